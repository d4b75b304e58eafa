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

  function endSession() {
    socket.disconnect();
    window.location.assign(loginUrl);
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
