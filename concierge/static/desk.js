// The concierge desk, live: every concierge.* event re-reads a server-rendered part.
"use strict";

(function () {
  // Re-read a part of the page from the server and put it in place (escaped by the server).
  function refresh(container) {
    if (!container) {
      return;
    }
    if (container.dataset.loading === "1") {
      container.dataset.again = "1"; // one more read once this one is in
      return;
    }
    container.dataset.loading = "1";
    fetch(container.dataset.url || container.dataset.timelineUrl, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
      .then((html) => {
        const parsed = new DOMParser().parseFromString(html, "text/html");
        container.replaceChildren(...Array.from(parsed.body.childNodes));
      })
      .catch(() => {})
      .finally(() => {
        container.dataset.loading = "0";
        if (container.dataset.again === "1") {
          container.dataset.again = "0";
          refresh(container);
        }
      });
  }

  function debounce(action, wait) {
    let timer = null;
    return () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(action, wait);
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-print]").forEach((button) => {
      button.addEventListener("click", () => window.print());
    });
    const socket = window.bonVoisin && window.bonVoisin.socket;
    if (!socket) {
      return;
    }
    const queue = document.getElementById("desk-queue");
    const ticket = document.getElementById("ticket-live");
    const parcels = document.getElementById("my-parcels");
    const refreshQueue = debounce(() => refresh(queue), 300);

    socket.onAny((name, data) => {
      const watched = name === "wellbeing.calls_changed" || name.startsWith("concierge.");
      if (typeof name !== "string" || !watched) {
        return;
      }
      const payload = data || {};
      if (queue && (!payload.building_id || String(payload.building_id) === queue.dataset.buildingId)) {
        refreshQueue();
      }
      if (ticket && name.startsWith("concierge.ticket_") && String(payload.ticket_id) === ticket.dataset.ticketId) {
        refresh(ticket);
      }
      if (parcels && name.startsWith("concierge.parcel_")) {
        refresh(parcels);
      }
    });
    // After a sleep or a lost connection, read again what may have changed meanwhile.
    document.addEventListener("bv:connected", () => {
      refresh(queue);
      refresh(ticket);
      refresh(parcels);
    });
  });
})();
