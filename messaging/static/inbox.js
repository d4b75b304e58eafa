// The conversation list stays current: new messages move a conversation up and update
// its unread count; the list is re-read from the server after every reconnect.
"use strict";

(function () {
  const list = document.getElementById("conversation-list");
  if (!list) {
    return;
  }

  // Busy or unreachable server: read again after the page's back-off (realtime.js), one
  // read at a time, never sooner than the server's retry_after.
  let failures = 0;
  let retryTimer = null;
  let reading = false;
  let again = false;

  function retryLater(retryAfterS) {
    failures += 1;
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(refresh, window.bonVoisin.retryDelay(failures, { retryAfterS: retryAfterS }));
  }

  function refresh() {
    if (reading) {
      again = true; // one more read once this one is in
      return;
    }
    reading = true;
    window.clearTimeout(retryTimer);
    fetch(list.dataset.api, { credentials: "same-origin" })
      .then((response) => response.json())
      .catch(() => ({ ok: false, error: "unavailable" }))
      .finally(() => {
        reading = false;
        if (again) {
          again = false;
          window.setTimeout(refresh, 0);
        }
      })
      .then((data) => {
        if (!data.ok) {
          if (data.error === "unavailable" || data.error === "rate_limited") {
            retryLater(Number(data.retry_after) || 0);
          }
          return;
        }
        failures = 0;
        const items = new Map();
        list.querySelectorAll("[data-conversation-id]").forEach((link) => {
          items.set(Number(link.dataset.conversationId), link.closest("li"));
        });
        if (data.conversations.some((c) => !items.has(c.id))) {
          window.location.reload();
          return;
        }
        data.conversations.forEach((conversation) => {
          const item = items.get(conversation.id);
          const link = item.querySelector("a");
          const badge = item.querySelector(".badge");
          link.classList.toggle("has-unread", conversation.unread > 0);
          badge.hidden = conversation.unread === 0;
          badge.dataset.unread = String(conversation.unread);
          badge.textContent = badge.textContent.replace(/\d+/, String(conversation.unread));
          const preview = item.querySelector(".conversation-preview");
          const last = conversation.last_message;
          if (last && last.body) {
            preview.textContent = last.body.length > 80 ? last.body.slice(0, 79) + "…" : last.body;
          }
          list.appendChild(item); // the server's order: latest first
        });
      });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const socket = window.bonVoisin && window.bonVoisin.socket;
    if (!socket) {
      return;
    }
    ["messaging.message_created", "messaging.read_updated", "messaging.conversation_changed",
      "messaging.message_hidden"].forEach((name) => socket.on(name, refresh));
    socket.on("connect", refresh);
  });
})();
