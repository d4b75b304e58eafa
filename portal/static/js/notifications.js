// The notifications page: a new notification appears at the top as it arrives.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("notification-list");
  const socket = window.bonVoisin && window.bonVoisin.socket;
  const token = document.querySelector('meta[name="csrf-token"]');
  if (!list || !socket || !token) {
    return;
  }
  function span(className, text) {
    const el = document.createElement("span");
    el.className = className;
    el.textContent = text;
    return el;
  }
  socket.on("portal.notification_created", (data) => {
    const item = document.createElement("li");
    item.className = "notification notification-unread";
    const form = document.createElement("form");
    form.method = "post";
    form.action = list.dataset.openUrl.replace("/0/", "/" + String(data.id) + "/");
    const csrf = document.createElement("input");
    csrf.type = "hidden";
    csrf.name = "csrf_token";
    csrf.value = token.content;
    const button = document.createElement("button");
    button.type = "submit";
    button.className = "notification-button";
    button.append(
      span("notification-new", list.dataset.newLabel),
      span("notification-title", data.title),
      span("notification-time", list.dataset.nowLabel),
    );
    form.append(csrf, button);
    item.appendChild(form);
    list.prepend(item);
    const empty = document.getElementById("notifications-empty");
    if (empty) {
      empty.remove();
    }
  });
});
