// The service worker, served at /sw.js (the server writes CONFIG above this line): the shell
// (styles, scripts, icons) and the pages last seen stay readable when the tablet loses its
// connection, each marked as a saved copy. Pages always come from the network first; only
// GET requests of this site are kept, and nothing is kept after logging out.
/* global CONFIG */
"use strict";

const SHELL_CACHE = "bv-shell-" + CONFIG.version;
const PAGES_CACHE = "bv-pages"; // pages and pictures of the person logged in
const MAX_PAGES = 40;
const MAX_PICTURES = 120;
const SAVED_HEADER = "X-BV-Saved-At";
const NEVER_KEPT = ["/socket.io/", "/api/", "/sw.js", "/healthz"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const shell = await caches.open(SHELL_CACHE);
      await shell.addAll(CONFIG.shell);
      // The offline page and the home, as this person sees them (when logged in).
      await Promise.all([CONFIG.offlineUrl, CONFIG.homeUrl].map((url) => keepPage(new Request(url))));
      await self.skipWaiting();
    })()
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((name) => name.startsWith("bv-shell-") && name !== SHELL_CACHE).map((name) => caches.delete(name))
      );
      await self.clients.claim();
    })()
  );
});

// A page calls this after logging out elsewhere (its session ended): forget what it saw.
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "forget") {
    event.waitUntil(forget());
  }
});

function forget() {
  return caches.delete(PAGES_CACHE);
}

function sameSite(url) {
  return url.origin === self.location.origin;
}

function isLogin(url) {
  return url.pathname === CONFIG.loginUrl || url.pathname.startsWith(CONFIG.loginUrl + "/");
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (!sameSite(url)) {
    return;
  }
  if (request.method === "POST" && url.pathname === CONFIG.logoutUrl) {
    event.waitUntil(forget());
    return;
  }
  if (request.method !== "GET" || NEVER_KEPT.some((prefix) => url.pathname.startsWith(prefix))) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (CONFIG.shell.includes(url.pathname) || isAsset(request, url)) {
    event.respondWith(shellFile(event));
  } else if (request.destination === "image") {
    event.respondWith(picture(event));
  }
});

// Pages: the network first (as long as it takes: a slow server still gives the page as it is
// now); its answer replaces the saved copy. Offline, the saved copy, marked as such; a page
// never seen gives the offline page.
async function page(event) {
  const request = event.request;
  try {
    const response = await fetch(request);
    event.waitUntil(keepResponse(request, response.clone()));
    return response;
  } catch (error) {
    return (
      (await savedPage(request)) || (await savedPage(new Request(CONFIG.offlineUrl))) || Response.error()
    );
  }
}

async function keepPage(request) {
  try {
    await keepResponse(request, await fetch(request, { credentials: "same-origin" }));
  } catch (error) {
    // offline while installing: the pages are kept as they are seen
  }
}

// Keep a page of the person logged in; reaching the login page means nobody is: forget all.
async function keepResponse(request, response) {
  const url = new URL(response.url || request.url);
  if (isLogin(url)) {
    await forget();
    return;
  }
  const type = response.headers.get("Content-Type") || "";
  if (!response.ok || response.redirected || !type.startsWith("text/html")) {
    return;
  }
  const headers = new Headers(response.headers);
  headers.set(SAVED_HEADER, new Date().toISOString());
  const body = await response.blob();
  const cache = await caches.open(PAGES_CACHE);
  await cache.put(request.url, new Response(body, { status: 200, headers }));
  await trim(cache, (key) => !isPicture(key), MAX_PAGES);
}

// A saved page with its date written on <html data-offline-copy="…">: portal.js says so.
async function savedPage(request) {
  const cache = await caches.open(PAGES_CACHE);
  const saved = await cache.match(request.url, { ignoreSearch: false });
  if (!saved) {
    return null;
  }
  const when = saved.headers.get(SAVED_HEADER) || "";
  const html = (await saved.text()).replace(/<html\b/i, '<html data-offline-copy="' + when.replace(/[^0-9TZ:.+-]/g, "") + '"');
  const headers = new Headers(saved.headers);
  headers.delete("Content-Length");
  return new Response(html, { status: 200, headers });
}

// Styles and scripts of this site (the portal's and each part's own).
function isAsset(request, url) {
  const kinds = ["script", "style", "font", "manifest"];
  return kinds.includes(request.destination) && /^\/([a-z_]+\/)?(static|vendor)\//.test(url.pathname);
}

// Styles and scripts: the network first (the browser's own cache answers most), so a page
// and its scripts always match; the saved copy when offline.
async function shellFile(event) {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const response = await fetch(event.request);
    if (response.ok) {
      event.waitUntil(cache.put(event.request, response.clone()));
    }
    return response;
  } catch (error) {
    return (await cache.match(event.request)) || Response.error();
  }
}

function isPicture(request) {
  const path = new URL(request.url).pathname;
  return path.startsWith("/media/") || path.includes("/avatar") || path.startsWith("/static/");
}

// Pictures (photos in messages, avatars): the network first, the saved copy offline.
async function picture(event) {
  const cache = await caches.open(PAGES_CACHE);
  try {
    const response = await fetch(event.request);
    if (response.ok && response.type === "basic") {
      event.waitUntil(
        cache.put(event.request, response.clone()).then(() => trim(cache, isPicture, MAX_PICTURES))
      );
    }
    return response;
  } catch (error) {
    return (await cache.match(event.request)) || Response.error();
  }
}

// Keep only the newest `max` entries that `which` selects (the cache lists oldest first).
async function trim(cache, which, max) {
  const keys = (await cache.keys()).filter(which);
  await Promise.all(keys.slice(0, Math.max(0, keys.length - max)).map((key) => cache.delete(key)));
}
