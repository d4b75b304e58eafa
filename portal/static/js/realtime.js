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
  socket.on("disconnect", (reason) => {
    // The server ends a socket only when the session has ended.
    if (reason === "io server disconnect") {
      endSession();
    }
  });
  socket.on("connect", () => {
    document.documentElement.dataset.realtime = "connected";
    document.dispatchEvent(new CustomEvent("bv:connected", { detail: { socket } }));
  });
})();
