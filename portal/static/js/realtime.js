// One Socket.IO connection per page. Reconnecting is the normal path: the server
// joins the rooms again from the database, and features ask for what they missed.
"use strict";

(function () {
  if (typeof window.io !== "function") {
    return;
  }
  const loginMeta = document.querySelector('meta[name="bv-login-url"]');
  const loginUrl = loginMeta ? loginMeta.content : "/login";
  const socket = window.io({ transports: ["websocket", "polling"] });
  window.bonVoisin = window.bonVoisin || {};
  window.bonVoisin.socket = socket;

  // Logging out on this page ends this page's session too: let the logout response
  // (the login page and its "logged out" message) arrive instead of loading the page again.
  let loggingOut = false;
  document.addEventListener("submit", (event) => {
    if (event.target instanceof HTMLFormElement && event.target.matches("[data-logout]")) {
      loggingOut = true;
    }
  });

  function endSession() {
    socket.disconnect();
    if (!loggingOut) {
      window.location.assign(loginUrl);
    }
  }

  socket.on("portal.session_ended", endSession);
  // The server lost events for a while (its Redis restarted): every feature asks for what
  // it missed, exactly as after a reconnect (live.js reads its regions and badges again).
  socket.on("portal.resync", () => {
    socket.listeners("connect").forEach((listener) => listener());
  });
  socket.on("disconnect", (reason) => {
    // The server ends a socket only when the session has ended.
    if (reason === "io server disconnect") {
      endSession();
    }
  });
  const status = document.getElementById("connection-status");
  let offlineTimer = null;
  socket.on("disconnect", () => {
    document.documentElement.dataset.realtime = "disconnected";
    // Tablets drop Wi-Fi for a moment all the time: say so only if it lasts.
    offlineTimer = window.setTimeout(() => {
      if (status && !socket.connected) {
        status.textContent = status.dataset.offline;
        status.hidden = false;
      }
    }, 3000);
  });
  // Notifications (reminders, promotions, changes) appear on screen as they arrive.
  const toasts = document.getElementById("toasts");
  socket.on("portal.notification_created", (data) => {
    if (!toasts) {
      return;
    }
    const toast = document.createElement("div");
    toast.className = "toast";
    const text = document.createElement("p");
    text.textContent = data.title;
    toast.appendChild(text);
    const actions = document.createElement("div");
    actions.className = "actions";
    if (data.url) {
      const link = document.createElement("a");
      link.className = "button button-primary";
      link.href = data.url;
      link.textContent = toasts.dataset.open;
      actions.appendChild(link);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.className = "button";
    close.textContent = toasts.dataset.close;
    close.addEventListener("click", () => toast.remove());
    actions.appendChild(close);
    toast.appendChild(actions);
    toasts.appendChild(toast);
  });

  // Presence: "online now" while a page is open and visible.
  window.setInterval(() => {
    if (socket.connected && document.visibilityState === "visible") {
      socket.emit("heartbeat", {}, () => {});
    }
  }, 60000);

  socket.on("connect", () => {
    window.clearTimeout(offlineTimer);
    if (status) {
      status.hidden = true;
    }
    document.documentElement.dataset.realtime = "connected";
  });
})();
