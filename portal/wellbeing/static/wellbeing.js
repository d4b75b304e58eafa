// The "To call" list and the resident's call for help follow every change live: an event
// says what changed (no personal data), the page re-reads its part from the server.
"use strict";

(() => {
  function refresh(region) {
    if (!region) {
      return;
    }
    if (region.dataset.loading === "1") {
      region.dataset.again = "1";
      return;
    }
    region.dataset.loading = "1";
    fetch(region.dataset.url || region.dataset.refreshUrl, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
      .then((html) => {
        // Server-rendered and escaped by Jinja; it carries no script.
        const parsed = new DOMParser().parseFromString(html, "text/html");
        region.replaceChildren(...Array.from(parsed.body.childNodes));
      })
      .catch(() => {})
      .finally(() => {
        region.dataset.loading = "0";
        if (region.dataset.again === "1") {
          region.dataset.again = "0";
          refresh(region);
        }
      });
  }

  function follow(socket) {
    const list = document.getElementById("to-call");
    const call = document.getElementById("call-status");
    socket.on("wellbeing.calls_changed", (data) => {
      if (list && String((data || {}).building_id) === list.dataset.buildingId) {
        refresh(list);
      }
    });
    socket.on("wellbeing.help_call_changed", () => refresh(call));
    // After a sleep or a lost connection, read again what may have changed meanwhile.
    let connections = socket.connected ? 1 : 0;
    document.addEventListener("bv:connected", () => {
      connections += 1;
      if (connections > 1) {
        refresh(list);
        refresh(call);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const socket = window.bonVoisin && window.bonVoisin.socket;
    if (socket) {
      follow(socket);
    }
  });
})();
