// A big photo button (templates/_photo_button.html): say in words that the photo is ready.
(() => {
  "use strict";
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.matches("[data-photo-input]")) {
      return;
    }
    const status = input.closest("label")?.nextElementSibling;
    if (!status || !status.matches("[data-photo-chosen]")) {
      return;
    }
    const count = input.files ? input.files.length : 0;
    status.textContent =
      count === 0 ? "" : count === 1 ? status.dataset.one : status.dataset.many.replace("{n}", count);
  });
})();
