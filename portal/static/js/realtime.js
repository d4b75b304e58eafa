// One Socket.IO connection per page. Reconnecting is the normal path: the server
// joins the rooms again from the database, and features ask for what they missed.
// Every retry of the page (reconnecting, the outbox, catching up) waits as retryDelay says,
// so that thousands of tablets losing the server at once do not all come back at once:
// exponential back-off with full jitter, never sooner than the server's retry_after.
// docs/api.md ("Retries and back-off") describes the same rule for every client.
"use strict";

window.bonVoisin = window.bonVoisin || {};

(function () {
  const RETRY = { baseMs: 1000, capMs: 60000 };

  // Milliseconds to wait before retry number `attempt` (1 for the first retry): a uniformly
  // random time in [0, min(cap, base * 2^(attempt - 1))), after the server's retry_after
  // (seconds) when it gave one.
  function retryDelay(attempt, options) {
    const settings = { ...RETRY, retryAfterS: 0, random: Math.random, ...(options || {}) };
    const exponent = Math.max(0, Math.min(30, (Number(attempt) || 1) - 1));
    const ceiling = Math.min(settings.capMs, settings.baseMs * 2 ** exponent);
    const hint = Math.max(0, Number(settings.retryAfterS) || 0) * 1000;
    return hint + Math.floor(settings.random() * ceiling);
  }

  window.bonVoisin.retryDelay = retryDelay;
  window.bonVoisin.RETRY = RETRY;
})();

(function () {
  if (typeof window.io !== "function") {
    return;
  }
  const bonVoisin = window.bonVoisin;
  const RECONNECT = { baseMs: 1000, capMs: 30000 };
  const BACK_ONLINE_MS = 3000; // the Wi-Fi back for the whole building: spread over this
  const RESYNC_WINDOW_S = 10; // when the server names no window of its own
  const loginMeta = document.querySelector('meta[name="bv-login-url"]');
  const loginUrl = loginMeta ? loginMeta.content : "/login";
  // Reconnecting is ours (below), not Socket.IO's: its delays have only half jitter.
  const socket = window.io({ transports: ["websocket", "polling"], reconnection: false });
  bonVoisin.socket = socket;

  let ended = false;
  let reconnectAttempts = 0;
  let reconnectTimer = null;

  function reconnectIn(ms) {
    window.clearTimeout(reconnectTimer);
    reconnectTimer = window.setTimeout(() => {
      reconnectTimer = null;
      if (ended || socket.connected) {
        return;
      }
      if (navigator.onLine === false) {
        return; // the "online" event starts again
      }
      socket.connect();
    }, ms);
  }

  function reconnectLater(retryAfterS) {
    if (ended || socket.connected || reconnectTimer !== null) {
      return;
    }
    reconnectAttempts += 1;
    reconnectIn(bonVoisin.retryDelay(reconnectAttempts, { ...RECONNECT, retryAfterS: retryAfterS || 0 }));
  }

  // A refusal of a busy server carries its retry_after in the error's data.
  socket.on("connect_error", (error) => {
    const data = error && error.data;
    reconnectLater(data && Number(data.retry_after) > 0 ? Number(data.retry_after) : 0);
  });
  window.addEventListener("online", () => {
    if (!ended && !socket.connected) {
      reconnectIn(Math.floor(Math.random() * BACK_ONLINE_MS));
    }
  });
  socket.on("connect", () => {
    reconnectAttempts = 0;
  });

  // Logging out on this page ends this page's session too: let the logout response
  // (the login page and its "logged out" message) arrive instead of loading the page again.
  let loggingOut = false;
  document.addEventListener("submit", (event) => {
    if (event.target instanceof HTMLFormElement && event.target.matches("[data-logout]")) {
      loggingOut = true;
    }
  });

  function endSession() {
    ended = true;
    socket.disconnect();
    // What the service worker kept of this person's pages goes with the session.
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "forget" });
    }
    if (!loggingOut) {
      window.location.assign(loginUrl);
    }
  }

  socket.on("portal.session_ended", endSession);
  // The server lost events for a while (its Redis restarted): every feature asks for what
  // it missed, exactly as after a reconnect (live.js reads its regions and badges again),
  // at a random moment of the window the server names (window_s), so that all its sockets
  // do not ask at once.
  let resyncTimer = null;
  socket.on("portal.resync", (data) => {
    if (resyncTimer !== null) {
      return; // one catch-up is already planned
    }
    const hint = data && Number(data.window_s) > 0 ? Number(data.window_s) : RESYNC_WINDOW_S;
    resyncTimer = window.setTimeout(() => {
      resyncTimer = null;
      if (socket.connected) {
        socket.listeners("connect").forEach((listener) => listener());
      }
    }, Math.floor(Math.random() * hint * 1000));
  });
  socket.on("disconnect", (reason) => {
    // The server ends a socket only when the session has ended.
    if (reason === "io server disconnect") {
      endSession();
    } else if (reason !== "io client disconnect") {
      reconnectLater(0);
    }
  });
  const status = document.getElementById("connection-status");
  let offlineTimer = null;
  function sayOfflineIfItLasts() {
    document.documentElement.dataset.realtime = "disconnected";
    if (offlineTimer !== null) {
      return;
    }
    // Tablets drop Wi-Fi for a moment all the time: say so only if it lasts.
    offlineTimer = window.setTimeout(() => {
      offlineTimer = null;
      if (status && !socket.connected && !status.classList.contains("connection-saved-copy")) {
        status.textContent = status.dataset.offline;
        status.hidden = false;
      }
    }, 3000);
  }
  socket.on("disconnect", sayOfflineIfItLasts);
  socket.on("connect_error", sayOfflineIfItLasts);
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
    offlineTimer = null;
    if (status) {
      status.hidden = true;
    }
    document.documentElement.dataset.realtime = "connected";
    if (document.documentElement.dataset.offlineCopy !== undefined) {
      window.location.reload(); // a saved copy, and the server is back: the page as it is now
    }
  });
})();
