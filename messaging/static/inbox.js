// The conversation list stays current: new messages move a conversation up and update
// its unread count; the list is re-read from the server after every reconnect.
"use strict";

(function () {
  const list = document.getElementById("conversation-list");
  if (!list) {
    return;
  }

  function refresh() {
    fetch(list.dataset.api, { credentials: "same-origin" })
      .then((response) => response.json())
      .then((data) => {
        if (!data.ok) {
          return;
        }
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
