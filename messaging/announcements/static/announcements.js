// Announcements: the resident's list follows new, changed and read announcements live;
// the staff's list of residents to call has a print button.
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

  function follow(socket, region) {
    [
      "announcements.announcement_published",
      "announcements.announcement_changed",
      "announcements.announcement_read",
    ].forEach((name) => socket.on(name, () => refresh(region)));
    // After a sleep or a lost connection, catch up with what changed meanwhile.
    let connections = socket.connected ? 1 : 0;
    document.addEventListener("bv:connected", () => {
      connections += 1;
      if (connections > 1) {
        refresh(region);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-announcements-print]").forEach((button) => {
      button.addEventListener("click", () => window.print());
    });
    const region = document.getElementById("announcement-cards");
    const socket = window.bonVoisin && window.bonVoisin.socket;
    if (region && socket) {
      follow(socket, region);
    }
  });
})();
