// Small page behaviours; no inline scripts anywhere (see the Content-Security-Policy).
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});

// "Read aloud": the browser's own voice reads the page's main content in the page's language.
(() => {
  const button = document.querySelector("[data-read-aloud]");
  if (!button || !("speechSynthesis" in window) || typeof SpeechSynthesisUtterance === "undefined") {
    return; // the button stays hidden where the browser cannot speak
  }
  const label = button.querySelector("[data-read-aloud-text]");
  const setReading = (reading) => {
    label.textContent = reading ? button.dataset.stopLabel : button.dataset.readLabel;
  };
  const mainText = () => {
    const main = document.getElementById("main");
    if (!main) return "";
    const copy = main.cloneNode(true);
    copy.querySelectorAll("[aria-hidden='true'], [hidden], script, style, .visually-hidden")
      .forEach((node) => node.remove());
    return (copy.innerText || copy.textContent || "").replace(/\s+/g, " ").trim();
  };
  button.hidden = false;
  setReading(false);
  button.addEventListener("click", () => {
    if (window.speechSynthesis.speaking) {
      window.speechSynthesis.cancel();
      setReading(false);
      return;
    }
    const utterance = new SpeechSynthesisUtterance(mainText());
    utterance.lang = button.dataset.lang || document.documentElement.lang;
    utterance.addEventListener("end", () => setReading(false));
    utterance.addEventListener("error", () => setReading(false));
    setReading(true);
    window.speechSynthesis.speak(utterance);
  });
  window.addEventListener("pagehide", () => window.speechSynthesis.cancel());
})();
