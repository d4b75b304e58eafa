// The one live-refresh mechanism. An element says what to read again and when, in attributes:
//   data-refresh-url     a server-rendered fragment that replaces the element's content
//   data-badge-url       JSON {count} written into the badge with its data-template ("{n}")
//   data-refresh-events / data-badge-events
//                        the Socket.IO events that change it, space-separated; "concierge.*"
//                        stands for every event whose name starts with "concierge."
//   data-refresh-match   optional "key=value …": an event whose payload names another value
//                        for a key is for another screen (one that names none is for all)
// It is read again on those events and after every (re)connect, when events may have been
// missed; reads are debounced and never overlap.
"use strict";

(() => {
  const socket = window.bonVoisin && window.bonVoisin.socket;
  if (!socket) {
    return;
  }
  const WAIT_MS = 250; // one read for a burst of events
  const followers = [];

  function words(text) {
    return (text || "").split(/\s+/).filter(Boolean);
  }

  function named(patterns, name) {
    return patterns.some((pattern) =>
      pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : pattern === name
    );
  }

  function concerns(conditions, payload) {
    const data = payload && typeof payload === "object" ? payload : {};
    return conditions.every(([key, value]) => data[key] == null || String(data[key]) === value);
  }

  // What a fragment would show, leaving out the CSRF tokens (signed afresh on every request).
  function markup(parent) {
    const copy = document.createElement("div");
    parent.childNodes.forEach((node) => copy.appendChild(node.cloneNode(true)));
    copy.querySelectorAll('input[name="csrf_token"]').forEach((input) => input.removeAttribute("value"));
    return copy.innerHTML.trim();
  }

  // Server-rendered and escaped by Jinja; parsed inert, it carries no script that runs.
  function replaceContent(region, response) {
    return response.text().then((html) => {
      const fresh = document.createElement("template");
      fresh.innerHTML = html;
      // The same content stays: what the person is typing or choosing in it is kept, and a
      // screen reader does not hear it again.
      if (markup(fresh.content) !== markup(region)) {
        region.replaceChildren(fresh.content);
      }
    });
  }

  function writeCount(badge, response) {
    return response.json().then((data) => {
      badge.hidden = !data.count;
      badge.textContent = badge.dataset.template.replace("{n}", String(data.count));
    });
  }

  // The server is too busy for now (503 or 429): read again after the back-off of every retry
  // of the page (realtime.js, bonVoisin.retryDelay), never sooner than its Retry-After.
  function busy(response) {
    return response.status === 503 || response.status === 429;
  }

  function retryAfter(response) {
    const seconds = Number(response.headers.get("Retry-After"));
    return seconds > 0 ? seconds : 0;
  }

  function follow(element, url, events, conditions, apply) {
    let timer = null;
    let reading = false;
    let again = false;
    let refusals = 0;

    function read() {
      if (reading) {
        again = true; // one more read once this one is in
        return;
      }
      reading = true;
      fetch(url, { credentials: "same-origin" })
        .then((response) => {
          if (busy(response)) {
            refusals += 1;
            const wait = window.bonVoisin.retryDelay(refusals, { retryAfterS: retryAfter(response) });
            window.clearTimeout(timer);
            timer = window.setTimeout(read, wait);
            return null;
          }
          refusals = 0;
          return response.ok ? apply(element, response) : null;
        })
        .catch(() => {}) // offline for a moment: the next event or reconnection reads again
        .finally(() => {
          reading = false;
          if (again) {
            again = false;
            schedule();
          }
        });
    }

    function schedule() {
      if (refusals > 0) {
        return; // a read after the back-off is already planned
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(read, WAIT_MS);
    }

    followers.push({ events, conditions, schedule });
  }

  document.querySelectorAll("[data-refresh-url]").forEach((region) => {
    const conditions = words(region.dataset.refreshMatch).map((pair) => {
      const at = pair.indexOf("=");
      return [pair.slice(0, at), pair.slice(at + 1)];
    });
    follow(region, region.dataset.refreshUrl, words(region.dataset.refreshEvents), conditions, replaceContent);
  });
  document.querySelectorAll("[data-badge-url]").forEach((badge) => {
    follow(badge, badge.dataset.badgeUrl, words(badge.dataset.badgeEvents), [], writeCount);
  });

  socket.onAny((name, payload) => {
    followers.forEach((follower) => {
      if (named(follower.events, name) && concerns(follower.conditions, payload)) {
        follower.schedule();
      }
    });
  });
  // Also called by realtime.js when the server says it lost events for a while.
  socket.on("connect", () => followers.forEach((follower) => follower.schedule()));
})();
