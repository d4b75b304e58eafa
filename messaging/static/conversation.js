// One conversation, live. Every send — text, photo, voice — goes through the tablet's outbox
// (portal/static/js/outbox.js, IndexedDB), so a message made offline leaves when the
// connection returns, from whichever page is open, and a retry never stores it twice. Under
// each of one's own messages the page says what happened in words: waiting to be sent, not
// sent (why, and "Try again"), sent, read. On every (re)connect the page asks for what came
// after the last message id it shows.
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

  // outbox.js runs after this script (base.html loads it with the page's shared scripts).
  let outbox = null;

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
    time.textContent = timeFormat.format(created);
    fillBody(node, message);
    if (!own) {
      node.querySelector(".message-status").remove();
    }
    const report = node.querySelector(".report-form");
    if (own || !message.id) {
      report.remove();
    } else {
      report.setAttribute("action", report.getAttribute("action").replace(/\/0$/, "/" + message.id));
    }
    if (pending) {
      node.classList.add("message-pending");
      setStatus(node, strings.pending);
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
    const following = readingNewest();
    removeEmptyState();
    if (pending) {
      // The tablet's own copy of a photo or recording is no longer needed.
      pending.querySelectorAll("[src^='blob:'], [href^='blob:']").forEach((el) => {
        URL.revokeObjectURL(el.getAttribute("src") || el.getAttribute("href"));
      });
      pending.replaceWith(node);
    } else {
      insertInOrder(node, message.id);
    }
    if (following) {
      keepInSight(node);
    }
    updateReceipt();
  }

  // The composer is docked at the bottom of the screen (portal.css): its height, kept in
  // --composer-height, is the page's scroll-padding, so that scrolling to a message or to a
  // focused control stops above it rather than under it.
  function wireDock() {
    const dock = document.querySelector(".composer");
    if (!dock) {
      return;
    }
    const update = () => {
      document.documentElement.style.setProperty("--composer-height", dock.offsetHeight + "px");
    };
    update();
    if (window.ResizeObserver) {
      new ResizeObserver(update).observe(dock);
    }
  }

  // Whether the end of the list is on screen (above the docked composer): a message that
  // arrives then is brought into sight, as a new line of a letter one is reading.
  function readingNewest() {
    const dock = document.querySelector(".composer");
    const bottom = dock ? Math.min(window.innerHeight, dock.getBoundingClientRect().top) : window.innerHeight;
    return list.getBoundingClientRect().bottom <= bottom + 4;
  }

  // A message in sight above the docked composer, then as much of the one-tap sends under
  // the messages (quick replies, photo, voice) as fits without pushing it off the top.
  function keepInSight(node) {
    node.scrollIntoView({ block: "nearest" });
    const extras = document.querySelector(".composer-extras");
    const dock = document.querySelector(".composer");
    if (!extras || !dock) {
      return;
    }
    const hidden = extras.getBoundingClientRect().bottom - dock.getBoundingClientRect().top;
    const by = Math.min(hidden, node.getBoundingClientRect().top);
    if (by > 0) {
      window.scrollBy(0, by);
    }
  }

  function insertInOrder(node, id) {
    const later = Array.from(list.querySelectorAll("[data-message-id]")).find(
      (el) => Number(el.dataset.messageId) > id
    );
    const firstPending = list.querySelector(".message-pending, .message-failed");
    list.insertBefore(node, later || firstPending || null);
  }

  // A message still in the outbox: its text, or its photo as the tablet keeps it.
  function showPending(item) {
    const existing = list.querySelector('[data-client-id="' + CSS.escape(item.client_id) + '"]');
    if (existing) {
      return existing;
    }
    removeEmptyState();
    const message = { ...item, sender: { id: me, name: root.dataset.meName || "" } };
    if (item.kind === "photo") {
      const url = item.blob ? URL.createObjectURL(item.blob) : item.attachment ? item.attachment.thumb_url || item.attachment.url : "";
      message.attachment = url ? { url: url, thumb_url: url } : null;
    } else if (item.kind === "voice" && item.blob) {
      message.attachment = { url: URL.createObjectURL(item.blob) };
    } else if (item.kind === "voice" && item.attachment) {
      message.attachment = item.attachment;
    }
    const node = render(message, true);
    list.appendChild(node);
    if (item.state === "failed") {
      markFailed(item.client_id, item.error);
    }
    return node;
  }

  // "Not sent: <why>", with "Try again" and "Remove" under it.
  function markFailed(clientId, reason) {
    const node = list.querySelector('[data-client-id="' + CSS.escape(clientId) + '"]');
    if (!node || node.dataset.messageId) {
      return;
    }
    node.classList.remove("message-pending");
    node.classList.add("message-failed");
    setStatus(node, strings.failed.replace("{reason}", reason || strings.noReason));
    if (node.querySelector(".retry-send")) {
      return;
    }
    const actions = node.querySelector(".message-actions");
    const again = document.createElement("button");
    again.type = "button";
    again.className = "button button-small retry-send";
    again.textContent = strings.retry;
    const drop = document.createElement("button");
    drop.type = "button";
    drop.className = "button button-small button-quiet-dark discard-send";
    drop.textContent = strings.discard;
    actions.prepend(again, drop);
  }

  function markWaiting(clientId) {
    const node = list.querySelector('[data-client-id="' + CSS.escape(clientId) + '"]');
    if (!node || node.dataset.messageId) {
      return;
    }
    node.classList.remove("message-failed");
    node.classList.add("message-pending");
    node.querySelectorAll(".retry-send, .discard-send").forEach((button) => button.remove());
    setStatus(node, strings.pending);
  }

  function setStatus(node, text) {
    const status = node.querySelector(".message-status");
    if (status && status.textContent !== text) {
      status.textContent = text;
    }
  }

  // Sending --------------------------------------------------------------------------------

  function send(fields) {
    if (!outbox) {
      return Promise.resolve();
    }
    const item = { conversation_id: conversationId, upload_url: root.dataset.apiUpload, ...fields };
    return outbox.add(item).then((stored) => {
      keepInSight(showPending(stored));
      updateReceipt();
      if (!socket || !socket.connected) {
        setComposerStatus(strings.offline);
      }
    });
  }

  function showOutbox() {
    if (!outbox) {
      return Promise.resolve();
    }
    return outbox.list().then((items) => {
      items
        .filter((item) => item.conversation_id === conversationId)
        .forEach((item) => showPending(item));
      updateReceipt();
    });
  }

  function ours(event) {
    return event.detail.item && event.detail.item.conversation_id === conversationId;
  }

  function wireOutbox() {
    if (!outbox) {
      return;
    }
    outbox.events.addEventListener("sent", (event) => {
      if (ours(event)) {
        showMessage(event.detail.message);
        setComposerStatus("");
      }
    });
    // Added by another part of the page (or from the outbox of another page of the tablet).
    outbox.events.addEventListener("added", (event) => {
      if (ours(event)) {
        showPending(event.detail.item);
        updateReceipt();
      }
    });
    outbox.events.addEventListener("failed", (event) => {
      if (ours(event)) {
        showPending(event.detail.item);
        markFailed(event.detail.item.client_id, event.detail.message);
        updateReceipt();
      }
    });
    outbox.events.addEventListener("waiting", (event) => {
      if (ours(event)) {
        markWaiting(event.detail.item.client_id);
        setComposerStatus(event.detail.offline ? strings.offline : "");
      }
    });
    outbox.events.addEventListener("retrying", (event) => {
      if (ours(event)) {
        setComposerStatus(event.detail.message || strings.offline);
      }
    });
    list.addEventListener("click", (event) => {
      const node = event.target.closest(".message");
      if (!node) {
        return;
      }
      if (event.target.closest(".retry-send")) {
        outbox.retry(node.dataset.clientId);
      } else if (event.target.closest(".discard-send")) {
        outbox.discard(node.dataset.clientId).then(() => {
          node.remove();
          updateReceipt();
        });
      }
    });
  }

  function setComposerStatus(text) {
    const status = document.getElementById("composer-status");
    if (status) {
      status.textContent = text;
    }
  }

  // Catching up, receipts, typing ----------------------------------------------------------

  // One catch-up at a time; refused or unanswered, it is asked again after the back-off
  // (bonVoisin.retryDelay, honouring the server's retry_after).
  let catchingUp = false;
  let catchUpAgain = false;
  let catchUpFailures = 0;
  let catchUpTimer = null;
  // The id a catch-up asks after is the newest one held when it was first needed (at the
  // connect, or when portal.resync arrived), and stays so across its retries: a live message
  // arriving meanwhile must not move it past the ones that were lost.
  let catchUpFrom = null;

  function pinCatchUpFrom() {
    if (catchUpFrom === null) {
      catchUpFrom = lastId();
    }
  }

  function catchUp() {
    if (!socket || !socket.connected) {
      return;
    }
    if (catchingUp) {
      catchUpAgain = true; // asked again while one is out: one more once it is in
      return;
    }
    window.clearTimeout(catchUpTimer);
    catchingUp = true;
    pinCatchUpFrom();
    const after = {};
    after[conversationId] = catchUpFrom;
    const timeout = (window.bonVoisin.outbox || {}).ACK_TIMEOUT_MS || 20000;
    socket.timeout(timeout).emit("catch_up", { conversations: after }, (error, ack) => {
      catchingUp = false;
      if (!error && ack && ack.ok) {
        catchUpFailures = 0;
        catchUpFrom = null;
        (ack.messages[String(conversationId)] || []).forEach(showMessage);
        markRead();
      } else if (error || !ack || ack.error === "unavailable" || ack.error === "rate_limited") {
        catchUpFailures += 1;
        const hint = ack ? Number(ack.retry_after) || 0 : 0;
        catchUpTimer = window.setTimeout(catchUp, window.bonVoisin.retryDelay(catchUpFailures, { retryAfterS: hint }));
        return;
      }
      if (catchUpAgain) {
        catchUpAgain = false;
        catchUp();
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

  // What happened to each of one's own messages, in words, under the message itself (never
  // under a later one still waiting): "Waiting to be sent", "Not sent: …", "Sent", and in a
  // one-to-one conversation "Read" ("Read at 15:03" under the last one read); in a group or
  // with the desk the last message others read says who.
  function updateReceipt() {
    const others = readStates.filter((s) => s.person_id !== me);
    const direct = root.dataset.kind === "direct";
    const sent = Array.from(list.querySelectorAll(".message-mine[data-message-id]"));
    const readUpTo = others.length ? Math.max(...others.map((s) => s.last_read_message_id || 0)) : 0;
    const lastRead = sent.filter((node) => Number(node.dataset.messageId) <= readUpTo).pop();
    sent.forEach((node) => {
      const id = Number(node.dataset.messageId);
      let text = strings.sent;
      if (direct && id <= readUpTo) {
        text = node === lastRead && others[0].read_at ? readAt(others[0].read_at) : strings.read;
      } else if (root.dataset.kind !== "announcements" && !direct && node === lastRead) {
        const readers = others.filter((s) => s.last_read_message_id >= id).map((s) => s.first_name);
        text = strings.readBy.replace("{names}", readers.join(", "));
      }
      setStatus(node, text);
    });
    // Said once more for screen readers: what happened to the newest of one's messages.
    const newest = list.querySelectorAll(".message-mine");
    const status = newest.length ? newest[newest.length - 1].querySelector(".message-status") : null;
    const receipt = document.getElementById("receipt");
    const said = status ? status.textContent : "";
    if (receipt.textContent !== said) {
      receipt.textContent = said;
    }
  }

  function readAt(when) {
    return strings.readAt.replace("{time}", timeFormat.format(new Date(when)));
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
        updateReceipt();
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

  // A photo or a recording is kept in the outbox with the message, uploaded when it leaves.
  function upload(kind, blob, durationMs) {
    const fields = { kind: kind, blob: blob };
    if (durationMs) {
      fields.duration_ms = Math.round(durationMs);
    }
    return send(fields);
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
        setComposerStatus(strings.recording);
        recordTimer = window.setTimeout(() => recorder.stop(), 120000);
      })
      .catch(() => setComposerStatus(strings.micRefused));
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
      catchUp(); // the outbox sends what waits by itself on every connect
    };
    socket.on("connect", onConnect);
    socket.on("portal.resync", pinCatchUpFrom); // realtime.js runs the catch-up later
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
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    outbox = (window.bonVoisin && window.bonVoisin.outbox) || null;
    wireDock();
    wireComposer();
    wireList();
    wireSocket();
    wireOutbox();
    updateReceipt();
    showOutbox();
    // The newest message in sight, above the docked composer; a conversation without any
    // stays at its top (the name of whom one writes to).
    const newest = list.lastElementChild;
    if (newest && newest.id !== "empty-state") {
      keepInSight(newest);
    }
  });
})();
