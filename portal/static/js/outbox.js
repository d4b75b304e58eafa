// The outbox: whatever this tablet sends — a text, a photo, a voice recording — is first kept
// in IndexedDB, then sent by whichever page is open, oldest first and one at a time, until the
// server has it. Every send carries its client id, so a retry never stores it twice. A retry
// waits as bonVoisin.retryDelay says (realtime.js; docs/api.md, "Retries and back-off"):
// exponential back-off with full jitter, never sooner than the server's retry_after, and at
// most one attempt in flight (tabs of the same tablet take turns through a Web Lock).
"use strict";

(() => {
  const bonVoisin = (window.bonVoisin = window.bonVoisin || {});
  const personMeta = document.querySelector('meta[name="bv-person"]');
  if (!personMeta || !window.indexedDB) {
    return;
  }
  const me = Number(personMeta.content);
  const DB_NAME = "bon-voisin";
  const STORE = "outbox";
  const ACK_TIMEOUT_MS = 20000; // longer than the server ever takes to answer or refuse
  const SAFETY_PUMP_MS = 60000; // another tab that was sending closed: take over
  // Worth sending again as they are; anything else is refused for good ("Not sent: …").
  const RETRYABLE = new Set(["rate_limited", "server_error", "unavailable", "unauthenticated"]);
  const events = new EventTarget();
  const attempts = new Map(); // client id -> failed attempts so far (this page)
  let database = null;
  let lastSeq = 0;
  let pumping = false;
  let pumpAgain = false;
  let timer = null;
  let notBefore = 0;

  // Storage ---------------------------------------------------------------------------------

  function openDatabase() {
    if (!database) {
      database = new Promise((resolve, reject) => {
        const request = window.indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => {
          const store = request.result.createObjectStore(STORE, { keyPath: "client_id" });
          store.createIndex("person", "person_id");
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return database;
  }

  function transact(mode, work) {
    return openDatabase().then(
      (db) =>
        new Promise((resolve, reject) => {
          const transaction = db.transaction(STORE, mode);
          const request = work(transaction.objectStore(STORE));
          transaction.oncomplete = () => resolve(request ? request.result : undefined);
          transaction.onerror = () => reject(transaction.error);
          transaction.onabort = () => reject(transaction.error);
        })
    );
  }

  // This person's items, oldest first.
  function list() {
    return transact("readonly", (store) => store.index("person").getAll(me)).then((items) =>
      (items || []).sort((a, b) => a.seq - b.seq)
    );
  }

  function get(clientId) {
    return transact("readonly", (store) => store.get(clientId));
  }

  function put(item) {
    return transact("readwrite", (store) => store.put(item));
  }

  function remove(clientId) {
    return transact("readwrite", (store) => store.delete(clientId));
  }

  function nextSeq() {
    lastSeq = Math.max(Date.now(), lastSeq + 1);
    return lastSeq;
  }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function notify(type, item, extra) {
    events.dispatchEvent(new CustomEvent(type, { detail: { item, ...(extra || {}) } }));
  }

  // Adding, retrying, discarding -----------------------------------------------------------

  // Keep a send (fields of send_message, plus `blob` and `upload_url` for a photo or a
  // recording not uploaded yet) and start sending; resolves with the stored item.
  function add(fields) {
    const item = {
      kind: "text",
      body: "",
      ...fields,
      client_id: newClientId(),
      person_id: me,
      seq: nextSeq(),
      created_at: new Date().toISOString(),
      state: "waiting",
      error: "",
    };
    return put(item).then(() => {
      notify("added", item);
      pump();
      return item;
    });
  }

  // The person taps "Try again" under a message that was not sent.
  function retry(clientId) {
    return get(clientId).then((item) => {
      if (!item) {
        return null;
      }
      const waiting = { ...item, state: "waiting", error: "" };
      attempts.delete(clientId);
      return put(waiting).then(() => {
        notify("waiting", waiting);
        pump();
        return waiting;
      });
    });
  }

  function discard(clientId) {
    return remove(clientId).then(() => notify("discarded", { client_id: clientId }));
  }

  // Sending ---------------------------------------------------------------------------------

  function schedule(ms) {
    window.clearTimeout(timer);
    timer = window.setTimeout(pump, Math.max(0, ms));
  }

  // Send what waits, unless this page (or another tab) is sending already, or a retry is
  // not due yet. Called on every (re)connect, on every add and when a retry is due.
  function pump() {
    if (pumping) {
      pumpAgain = true;
      return Promise.resolve();
    }
    const wait = notBefore - Date.now();
    if (wait > 0) {
      schedule(wait);
      return Promise.resolve();
    }
    pumping = true;
    const run =
      navigator.locks && typeof navigator.locks.request === "function"
        ? navigator.locks.request("bv-outbox-" + me, { ifAvailable: true }, (lock) => (lock ? drain() : null))
        : drain();
    return Promise.resolve(run)
      .catch(() => {})
      .finally(() => {
        pumping = false;
        if (pumpAgain) {
          pumpAgain = false;
          pump();
        }
      });
  }

  async function drain() {
    for (;;) {
      const waiting = (await list()).filter((item) => item.state === "waiting");
      if (!waiting.length) {
        return;
      }
      const item = waiting[0]; // in order: a later message never overtakes an earlier one
      const socket = bonVoisin.socket;
      if (!socket || !socket.connected) {
        notify("waiting", item, { offline: true });
        return; // the next connect sends it
      }
      const { outcome, latest } = await attempt(item, socket);
      if (outcome.sent) {
        attempts.delete(item.client_id);
        await remove(item.client_id);
        notify("sent", latest, { message: outcome.message });
      } else if (outcome.failed) {
        attempts.delete(item.client_id);
        const failed = { ...latest, state: "failed", error: outcome.message || "" };
        await put(failed);
        notify("failed", failed, { message: failed.error });
      } else if (outcome.offline) {
        notify("waiting", latest, { offline: true });
        return;
      } else {
        const count = (attempts.get(item.client_id) || 0) + 1;
        attempts.set(item.client_id, count);
        const wait = bonVoisin.retryDelay(count, { retryAfterS: outcome.retryAfter });
        notBefore = Date.now() + wait;
        notify("retrying", latest, { message: outcome.message || "", attempt: count, waitMs: wait });
        schedule(wait);
        return;
      }
    }
  }

  // One attempt: upload the file if it is not uploaded yet, then send the message.
  async function attempt(item, socket) {
    let latest = item;
    if ((item.kind === "photo" || item.kind === "voice") && !item.attachment_id) {
      const uploaded = await upload(item);
      if (!uploaded.id) {
        return { outcome: uploaded, latest };
      }
      // Uploaded once: later attempts only send the message.
      latest = { ...item, attachment_id: uploaded.id, attachment: uploaded.attachment, blob: null };
      await put(latest);
    }
    return { outcome: await emitOnce(socket, latest), latest };
  }

  function retryAfterOf(response, data) {
    if (data && Number(data.retry_after) > 0) {
      return Number(data.retry_after);
    }
    const header = Number(response.headers.get("Retry-After"));
    return header > 0 ? header : 0;
  }

  async function upload(item) {
    if (!item.blob || !item.upload_url) {
      return { failed: true, message: "" };
    }
    const form = new FormData();
    form.append("kind", item.kind);
    form.append("file", item.blob, item.kind === "photo" ? "photo" : "voice");
    if (item.duration_ms) {
      form.append("duration_ms", String(Math.round(item.duration_ms)));
    }
    const token = document.querySelector('meta[name="csrf-token"]');
    let response;
    try {
      response = await fetch(item.upload_url, {
        method: "POST",
        body: form,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.content : "" },
      });
    } catch (error) {
      return navigator.onLine === false ? { offline: true } : { retry: true };
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null; // not an answer of ours (a proxy's page, the login page): try again later
    }
    if (response.ok && data && data.ok) {
      return { id: data.attachment.id, attachment: data.attachment };
    }
    const retryAfter = retryAfterOf(response, data);
    if (!data || response.status === 429 || response.status >= 500 || RETRYABLE.has(data.error)) {
      return { retry: true, retryAfter, message: data ? data.message : "" };
    }
    return { failed: true, message: data.message || "" };
  }

  // Emit send_message once; the attempt ends with its acknowledgement, when the connection
  // drops, or after ACK_TIMEOUT_MS without an answer.
  function emitOnce(socket, item) {
    const payload = {
      conversation_id: item.conversation_id,
      client_id: item.client_id,
      kind: item.kind,
      body: item.body || "",
    };
    if (item.attachment_id) {
      payload.attachment_id = item.attachment_id;
    }
    return new Promise((resolve) => {
      let done = false;
      let timeout = null;
      const finish = (outcome) => {
        if (done) {
          return;
        }
        done = true;
        window.clearTimeout(timeout);
        socket.off("disconnect", onDisconnect);
        resolve(outcome);
      };
      const onDisconnect = () => finish({ offline: true });
      timeout = window.setTimeout(() => finish({ retry: true }), ACK_TIMEOUT_MS);
      socket.on("disconnect", onDisconnect);
      socket.emit("send_message", payload, (ack) => finish(classify(ack)));
    });
  }

  function classify(ack) {
    if (ack && ack.ok) {
      return { sent: true, message: ack.message };
    }
    if (!ack || RETRYABLE.has(ack.error)) {
      return { retry: true, retryAfter: ack ? Number(ack.retry_after) || 0 : 0, message: ack ? ack.message : "" };
    }
    return { failed: true, message: ack.message || "" };
  }

  // Wiring ----------------------------------------------------------------------------------

  // Messages kept by the earlier outbox (localStorage) move here once.
  function adoptEarlierOutbox() {
    const key = "bv.outbox." + me;
    let earlier = [];
    try {
      earlier = JSON.parse(window.localStorage.getItem(key) || "[]");
    } catch (error) {
      earlier = [];
    }
    if (!Array.isArray(earlier) || !earlier.length) {
      return Promise.resolve();
    }
    const items = earlier.map((item) => ({
      ...item,
      person_id: me,
      seq: nextSeq(),
      created_at: new Date().toISOString(),
      state: "waiting",
      error: "",
    }));
    return Promise.all(items.map(put)).then(() => window.localStorage.removeItem(key));
  }

  bonVoisin.outbox = { add, list, get, retry, discard, pump, events, ACK_TIMEOUT_MS };

  const socket = bonVoisin.socket;
  adoptEarlierOutbox()
    .catch(() => {})
    .then(() => {
      if (socket) {
        socket.on("connect", pump);
        if (socket.connected) {
          pump();
        }
      }
      window.setInterval(pump, SAFETY_PUMP_MS);
    });
})();
