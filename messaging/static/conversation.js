// One conversation, live. Every send carries a client id and goes through an outbox kept
// on the tablet, so a message typed offline leaves when the connection returns and a retry
// never stores it twice. On every (re)connect the page asks for what came after the last
// message id it shows.
"use strict";

(function () {
  const root = document.getElementById("conversation");
  if (!root) {
    return;
  }
  const conversationId = Number(root.dataset.conversationId);
  const me = Number(root.dataset.me);
  const locale = root.dataset.locale || document.documentElement.lang;
  const list = document.getElementById("messages");
  const strings = document.getElementById("strings").dataset;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const outboxKey = "bv.outbox." + me;
  const timeFormat = makeTimeFormat(root.dataset.timeZone);
  let readStates = JSON.parse(root.dataset.readStates || "[]");
  let socket = null;
  let typingTimer = null;
  let lastTypingSent = 0;

  // Times in the person's own time zone and the language's short form, as the server writes
  // them (both follow CLDR's "short" time), whatever the tablet's clock says.
  function makeTimeFormat(timeZone) {
    const options = { timeStyle: "short" };
    try {
      return new Intl.DateTimeFormat(locale, { ...options, timeZone: timeZone || undefined });
    } catch (error) {
      return new Intl.DateTimeFormat(locale, options); // an unknown zone name
    }
  }

  // Outbox ---------------------------------------------------------------------------------

  function loadOutbox() {
    try {
      return JSON.parse(window.localStorage.getItem(outboxKey) || "[]");
    } catch (error) {
      return [];
    }
  }

  function saveOutbox(items) {
    window.localStorage.setItem(outboxKey, JSON.stringify(items));
  }

  function removeFromOutbox(clientId) {
    saveOutbox(loadOutbox().filter((item) => item.client_id !== clientId));
  }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // Rendering ------------------------------------------------------------------------------

  function lastId() {
    let max = 0;
    list.querySelectorAll("[data-message-id]").forEach((el) => {
      max = Math.max(max, Number(el.dataset.messageId) || 0);
    });
    return max;
  }

  function firstId() {
    const first = list.querySelector("[data-message-id]");
    return first ? Number(first.dataset.messageId) : 0;
  }

  // A message is the blank one of the page's <template> (Jinja's _message.html, the markup
  // of every message shown on load), filled with text and attributes only; the parts this
  // message has not are removed, exactly as the template leaves them out.
  const blank = document.getElementById("message-template").content.firstElementChild;

  function fillBody(node, message) {
    const attachment = message.attachment;
    const link = node.querySelector(".message-photo-link");
    if (message.kind === "photo" && attachment) {
      link.setAttribute("href", attachment.url);
      const img = link.querySelector(".message-photo");
      img.setAttribute("src", attachment.thumb_url || attachment.url);
      img.alt = img.alt.replace("{name}", () => (message.sender ? message.sender.name : ""));
    } else {
      link.remove();
    }
    const play = node.querySelector(".play-button");
    if (message.kind === "voice" && attachment) {
      play.dataset.audio = attachment.url;
    } else {
      play.remove();
    }
    const text = node.querySelector(".message-text");
    if (message.body) {
      text.textContent = message.body;
    } else {
      text.remove();
      node.querySelector(".read-aloud").remove();
    }
  }

  // `mine` says the message replaces one of this tablet's own sends: a message written as the
  // concierge desk names the desk, not its writer.
  function render(message, pending, mine) {
    const node = document.importNode(blank, true);
    const own = Boolean(pending || mine || (message.sender && message.sender.id === me));
    node.classList.toggle("message-mine", own);
    if (message.id) {
      node.id = "message-" + message.id;
      node.dataset.messageId = String(message.id);
    }
    node.dataset.clientId = message.client_id;
    if (message.created_at) {
      node.dataset.createdAt = message.created_at;
    }
    node.querySelector(".message-sender").textContent = message.sender ? message.sender.name : "";
    const time = node.querySelector(".message-time");
    const created = message.created_at ? new Date(message.created_at) : new Date();
    time.setAttribute("datetime", message.created_at || created.toISOString());
    time.textContent = pending ? strings.pending : timeFormat.format(created);
    fillBody(node, message);
    const report = node.querySelector(".report-form");
    if (own || !message.id) {
      report.remove();
    } else {
      report.setAttribute("action", report.getAttribute("action").replace(/\/0$/, "/" + message.id));
    }
    if (pending) {
      node.classList.add("message-pending");
    }
    return node;
  }

  function removeEmptyState() {
    const empty = document.getElementById("empty-state");
    if (empty) {
      empty.remove();
    }
  }

  function showMessage(message) {
    if (Number(message.conversation_id) !== conversationId) {
      return;
    }
    if (list.querySelector('[data-message-id="' + message.id + '"]')) {
      return; // already shown: never twice
    }
    const pending = list.querySelector('[data-client-id="' + CSS.escape(message.client_id) + '"]');
    const node = render(message, false, Boolean(pending));
    removeEmptyState();
    if (pending) {
      pending.replaceWith(node);
    } else {
      insertInOrder(node, message.id);
    }
    updateReceipt();
  }

  function insertInOrder(node, id) {
    const later = Array.from(list.querySelectorAll("[data-message-id]")).find(
      (el) => Number(el.dataset.messageId) > id
    );
    const firstPending = list.querySelector(".message-pending");
    list.insertBefore(node, later || firstPending || null);
  }

  function showPending(item) {
    if (list.querySelector('[data-client-id="' + CSS.escape(item.client_id) + '"]')) {
      return;
    }
    removeEmptyState();
    list.appendChild(render({ ...item, sender: { id: me, name: "" } }, true));
  }

  function markFailed(clientId, text) {
    const node = list.querySelector('[data-client-id="' + CSS.escape(clientId) + '"]');
    if (node) {
      node.classList.remove("message-pending");
      node.classList.add("message-failed");
      node.querySelector(".message-time").textContent = strings.failed + " — " + text;
    }
  }

  // Sending --------------------------------------------------------------------------------

  const RETRYABLE = new Set(["rate_limited", "server_error", "unauthenticated", "unavailable"]);

  function deliver(item) {
    if (!socket || !socket.connected) {
      setStatus(strings.offline);
      return;
    }
    socket.timeout(10000).emit("send_message", item, (error, ack) => {
      if (error) {
        // No answer: it stays in the outbox, sent again now and on reconnect (the server
        // keeps one message per client id, so a retry never doubles it).
        window.setTimeout(() => {
          if (loadOutbox().some((waiting) => waiting.client_id === item.client_id)) {
            deliver(item);
          }
        }, 5000);
        return;
      }
      if (ack && ack.ok) {
        removeFromOutbox(item.client_id);
        showMessage(ack.message);
        setStatus("");
      } else if (ack && !RETRYABLE.has(ack.error)) {
        removeFromOutbox(item.client_id);
        markFailed(item.client_id, ack.message);
      } else if (ack) {
        setStatus(ack.message);
        window.setTimeout(() => deliver(item), 3000);
      }
    });
  }

  function send(fields) {
    const item = { conversation_id: conversationId, client_id: newClientId(), kind: "text", body: "", ...fields };
    const items = loadOutbox();
    items.push(item);
    saveOutbox(items);
    showPending(item);
    deliver(item);
  }

  function flushOutbox() {
    loadOutbox()
      .filter((item) => item.conversation_id === conversationId)
      .forEach((item) => {
        showPending(item);
        deliver(item);
      });
  }

  function setStatus(text) {
    const status = document.getElementById("composer-status");
    if (status) {
      status.textContent = text;
    }
  }

  // Catching up, receipts, typing ----------------------------------------------------------

  function catchUp() {
    const after = {};
    after[conversationId] = lastId();
    socket.emit("catch_up", { conversations: after }, (ack) => {
      if (ack && ack.ok) {
        (ack.messages[String(conversationId)] || []).forEach(showMessage);
        markRead();
      }
    });
  }

  function markRead() {
    const id = lastId();
    if (!socket || !socket.connected || !id || document.visibilityState !== "visible") {
      return;
    }
    socket.emit("mark_read", { conversation_id: conversationId, message_id: id }, () => {});
  }

  function myLastId() {
    const mine = list.querySelectorAll(".message-mine[data-message-id]");
    return mine.length ? Number(mine[mine.length - 1].dataset.messageId) : 0;
  }

  function updateReceipt() {
    const receipt = document.getElementById("receipt");
    const target = myLastId();
    const others = readStates.filter((s) => s.person_id !== me && s.last_read_message_id >= target);
    if (!target || !others.length) {
      receipt.textContent = "";
      return;
    }
    if (root.dataset.kind === "direct" && others[0].read_at) {
      receipt.textContent = strings.readAt.replace("{time}", timeFormat.format(new Date(others[0].read_at)));
    } else {
      receipt.textContent = strings.readBy.replace("{names}", others.map((s) => s.first_name).join(", "));
    }
  }

  function onReadUpdated(data) {
    if (Number(data.conversation_id) !== conversationId) {
      return;
    }
    const state = readStates.find((s) => s.person_id === data.person_id);
    if (state) {
      state.last_read_message_id = data.last_read_message_id;
      state.read_at = data.read_at;
    }
    updateReceipt();
  }

  function onTyping(data) {
    if (Number(data.conversation_id) !== conversationId || data.person_id === me) {
      return;
    }
    const line = document.getElementById("typing");
    line.textContent = strings.typing.replace("{name}", data.name);
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(() => {
      line.textContent = "";
    }, 4000);
  }

  function onHidden(data) {
    const node = list.querySelector('[data-message-id="' + data.message_id + '"]');
    if (node) {
      node.remove();
    }
  }

  function onReactions(data) {
    const node = list.querySelector('[data-message-id="' + data.message_id + '"]');
    if (!node) {
      return;
    }
    node.querySelectorAll(".reaction").forEach((button) => {
      button.querySelector(".reaction-count").textContent = data.reactions[button.dataset.emoji] || "";
    });
  }

  // Older messages, media, speech ----------------------------------------------------------

  let loadingOlder = false;

  function loadOlder(button) {
    if (loadingOlder) {
      return;
    }
    loadingOlder = true;
    const url = root.dataset.apiMessages + "?before=" + firstId();
    fetch(url, { credentials: "same-origin" })
      .then((response) => response.json())
      .then((data) => {
        const before = document.documentElement.scrollHeight;
        const first = list.firstElementChild;
        data.messages
          .filter((message) => !list.querySelector('[data-message-id="' + message.id + '"]'))
          .forEach((message) => list.insertBefore(render(message, false), first));
        // Keep what the person was reading where it was.
        window.scrollBy(0, document.documentElement.scrollHeight - before);
        if (!data.has_more) {
          button.remove();
        }
      })
      .finally(() => {
        loadingOlder = false;
      });
  }

  function upload(kind, blob, durationMs) {
    const form = new FormData();
    form.append("kind", kind);
    form.append("file", blob, kind === "photo" ? "photo" : "voice");
    if (durationMs) {
      form.append("duration_ms", String(Math.round(durationMs)));
    }
    setStatus(strings.uploading);
    return fetch(root.dataset.apiUpload, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf },
    })
      .then((response) => response.json())
      .then((data) => {
        if (!data.ok) {
          setStatus(data.message);
          return;
        }
        setStatus("");
        send({ kind: kind, attachment_id: data.attachment.id });
      })
      .catch(() => setStatus(strings.offline));
  }

  let recorder = null;
  let recordStart = 0;
  let recordTimer = null;

  function toggleRecording(button) {
    const label = button.querySelector(".record-label");
    if (recorder && recorder.state === "recording") {
      recorder.stop();
      return;
    }
    navigator.mediaDevices
      .getUserMedia({ audio: true })
      .then((stream) => {
        const chunks = [];
        recorder = new MediaRecorder(stream);
        recorder.addEventListener("dataavailable", (event) => chunks.push(event.data));
        recorder.addEventListener("stop", () => {
          window.clearTimeout(recordTimer);
          stream.getTracks().forEach((track) => track.stop());
          label.textContent = button.dataset.start;
          button.setAttribute("aria-pressed", "false");
          const blob = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
          upload("voice", blob, Date.now() - recordStart);
        });
        recordStart = Date.now();
        recorder.start();
        label.textContent = button.dataset.stop;
        button.setAttribute("aria-pressed", "true");
        setStatus(strings.recording);
        recordTimer = window.setTimeout(() => recorder.stop(), 120000);
      })
      .catch(() => setStatus(strings.micRefused));
  }

  let playing = null;

  function play(button) {
    if (playing) {
      playing.pause();
    }
    playing = new Audio(button.dataset.audio);
    playing.play();
  }

  function readAloud(button) {
    const text = button.closest(".message").querySelector(".message-text");
    if (!text || !window.speechSynthesis) {
      return;
    }
    window.speechSynthesis.cancel();
    const utterance = new SpeechSynthesisUtterance(text.textContent);
    utterance.lang = locale;
    utterance.rate = 0.9;
    window.speechSynthesis.speak(utterance);
  }

  // Wiring ---------------------------------------------------------------------------------

  function wireComposer() {
    const form = document.getElementById("composer");
    if (!form) {
      return;
    }
    const body = document.getElementById("body");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = body.value.trim();
      if (!text) {
        body.focus();
        return;
      }
      send({ body: text });
      body.value = "";
      body.focus();
    });
    body.addEventListener("input", () => {
      if (socket && socket.connected && Date.now() - lastTypingSent > 3000) {
        lastTypingSent = Date.now();
        socket.emit("typing", { conversation_id: conversationId }, () => {});
      }
    });
    document.querySelectorAll(".quick-reply").forEach((button) => {
      button.addEventListener("click", () => send({ body: button.dataset.text }));
    });
    const photo = document.getElementById("photo-input");
    photo.addEventListener("change", () => {
      if (photo.files.length) {
        upload("photo", photo.files[0]);
        photo.value = "";
      }
    });
    const record = document.getElementById("record");
    if (window.MediaRecorder && navigator.mediaDevices) {
      record.hidden = false;
      record.setAttribute("aria-pressed", "false");
      record.addEventListener("click", () => toggleRecording(record));
    }
  }

  function wireList() {
    list.addEventListener("click", (event) => {
      const playButton = event.target.closest(".play-button");
      if (playButton) {
        play(playButton);
        return;
      }
      const speak = event.target.closest(".read-aloud");
      if (speak) {
        readAloud(speak);
        return;
      }
      const reaction = event.target.closest(".reaction");
      if (reaction && socket) {
        const messageId = Number(reaction.closest("[data-message-id]").dataset.messageId);
        socket.emit("toggle_reaction", { message_id: messageId, emoji: reaction.dataset.emoji }, () => {});
      }
    });
    const older = document.getElementById("load-older");
    if (older) {
      older.addEventListener("click", () => loadOlder(older));
      // Scrolling up to the button loads the next 50 by itself; the button stays for
      // keyboards and screen readers.
      if ("IntersectionObserver" in window) {
        let armed = false;
        const observer = new IntersectionObserver((entries) => {
          if (entries.some((entry) => entry.isIntersecting) && armed && older.isConnected) {
            loadOlder(older);
          }
          armed = true;
        });
        observer.observe(older);
      }
    }
  }

  function wireSocket() {
    socket = window.bonVoisin && window.bonVoisin.socket;
    if (!socket) {
      return;
    }
    const onConnect = () => {
      flushOutbox();
      catchUp();
    };
    socket.on("connect", onConnect);
    socket.on("messaging.message_created", (message) => {
      showMessage(message);
      markRead();
    });
    socket.on("messaging.read_updated", onReadUpdated);
    socket.on("messaging.typing_started", onTyping);
    socket.on("messaging.message_hidden", onHidden);
    socket.on("messaging.reaction_changed", onReactions);
    document.addEventListener("visibilitychange", markRead);
    if (socket.connected) {
      onConnect();
    } else {
      flushOutbox();
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    wireComposer();
    wireList();
    wireSocket();
    updateReceipt();
    const newest = list.lastElementChild;
    if (newest) {
      newest.scrollIntoView({ block: "end" });
    }
  });
})();
