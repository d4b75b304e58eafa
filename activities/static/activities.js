// Places left update live while the page is open.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const socket = window.bonVoisin && window.bonVoisin.socket;
  if (!socket) {
    return;
  }
  socket.on("activities.signup_changed", (data) => {
    const status = document.getElementById("my-status");
    if (status && data.promoted && Number(status.dataset.occurrenceId) === data.occurrence_id) {
      status.querySelector("strong").textContent = status.dataset.promoted;
    }
  });
  socket.on("activities.places_changed", (data) => {
    document.querySelectorAll('[data-places-for="' + data.occurrence_id + '"]').forEach((el) => {
      if (data.places_left === null) {
        return;
      }
      el.textContent =
        data.places_left === 0 ? el.dataset.templateFull : el.dataset.templateLeft.replace("{n}", String(data.places_left));
    });
  });
});
