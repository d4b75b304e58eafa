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

// The installable app: the service worker keeps the pages a resident saw last, to read them
// offline on their tablet. Staff pages (on shared desk computers) are never kept.
(() => {
  const person = document.querySelector('meta[name="bv-person"]');
  if (!("serviceWorker" in navigator) || !person) {
    return;
  }
  window.addEventListener("load", () => {
    if (person.hasAttribute("data-offline-pages")) {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
      return;
    }
    navigator.serviceWorker.getRegistration("/").then((registration) => {
      if (registration) {
        registration.unregister();
        window.caches.delete("bv-pages");
      }
    });
  });
})();

// A page the service worker gave from its saved copy (the tablet is offline) says so, with
// the time it was saved, until the connection returns (realtime.js then loads it afresh).
(() => {
  const saved = document.documentElement.dataset.offlineCopy;
  const status = document.getElementById("connection-status");
  if (saved === undefined || !status || !status.dataset.savedCopy) {
    return;
  }
  let when = "";
  try {
    const format = new Intl.DateTimeFormat(document.documentElement.lang, { dateStyle: "long", timeStyle: "short" });
    when = format.format(new Date(saved));
  } catch (error) {
    when = saved;
  }
  status.textContent = status.dataset.savedCopy.replace("{time}", when);
  status.hidden = false;
  status.classList.add("connection-saved-copy");
})();
