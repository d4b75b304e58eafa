// Help between neighbours: the board and a request follow changes live; the ask form shows
// the pharmacy fields only for a pharmacy run.
"use strict";

(() => {
  async function refresh(region) {
    try {
      const response = await fetch(region.dataset.refreshUrl, { credentials: "same-origin" });
      if (response.ok) {
        // Server-rendered and escaped by Jinja; it carries no script.
        region.innerHTML = await response.text();
      }
    } catch (error) {
      // Offline for a moment: the next event or reconnection refreshes again.
    }
  }

  function follow(socket) {
    const board = document.getElementById("help-lists");
    const status = document.getElementById("help-status");
    socket.on("concierge.help_changed", (data) => {
      if (board) {
        refresh(board);
      }
      if (status && Number(status.dataset.requestId) === data.request_id) {
        refresh(status);
      }
    });
    // After a sleep or a lost connection, catch up with what changed meanwhile.
    let connections = socket.connected ? 1 : 0;
    document.addEventListener("bv:connected", () => {
      connections += 1;
      if (connections === 1) {
        return;
      }
      if (board) {
        refresh(board);
      }
      if (status) {
        refresh(status);
      }
    });
  }

  function togglePharmacy(form) {
    const chosen = form.querySelector('input[name="kind"]:checked');
    const pharmacy = chosen !== null && chosen.value === "pharmacy";
    form.querySelectorAll("[data-when]").forEach((el) => {
      el.hidden = !pharmacy;
    });
    form.querySelectorAll("[data-when-not]").forEach((el) => {
      el.hidden = pharmacy;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("ask-form");
    if (form) {
      form.addEventListener("change", () => togglePharmacy(form));
      togglePharmacy(form);
    }
    const socket = window.bonVoisin && window.bonVoisin.socket;
    if (socket) {
      follow(socket);
    }
  });
})();
