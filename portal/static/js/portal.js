// Small page behaviours; no inline scripts anywhere (see the Content-Security-Policy).
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});
