/* The service worker: a lesson opened once reads without a network (academy/offline.py says what is kept and
   why). Served at /sw.js by academy.offline.service_worker, which puts CONFIG before this file.

   - Lesson pages: from the network, and a copy is kept; without a network (or none within LESSON_WAIT), the
     kept copy. Their heartbeats wait in lesson.js's own queue, never here.
   - Other pages go to the network only; without one, the offline page.
   - The platform's own static files (not the CMS's): from the cache of this version, fetched and kept the
     first time.
   - Images: from the network, or the kept copy without one.
   - Videos: from the network, unless the trainee kept that video (offline.js): then from the cache, by ranges.
   - Signing out deletes the kept lessons and videos. */
/* global CONFIG */
"use strict";

var LESSON_WAIT = 8000;  // milliseconds a lesson page may take before the kept copy is shown
var lessonPattern = new RegExp(CONFIG.lessonPattern);
var precached = Object.keys(CONFIG.precache).map(function (name) { return CONFIG.precache[name]; });

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CONFIG.staticCache).then(function (cache) {
    // The offline page is the same for everybody: fetched without the visitor's cookies.
    return Promise.all([
      cache.addAll(precached),
      fetch(new Request(CONFIG.offlineUrl, { credentials: "omit" })).then(function (response) {
        if (!response.ok) { throw new Error("offline page: " + response.status); }
        return cache.put(CONFIG.offlineUrl, response);
      }),
    ]);
  }).then(function () { return self.skipWaiting(); }));
});

// The caches of other versions of the static files go; lessons and videos stay.
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(CONFIG.staticCachePrefix) === 0 && name !== CONFIG.staticCache;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function forgetKept() {
  return Promise.all([caches.delete(CONFIG.lessonsCache), caches.delete(CONFIG.videosCache)]);
}

function offlinePage() {
  return caches.open(CONFIG.staticCache).then(function (cache) { return cache.match(CONFIG.offlineUrl); })
    .then(function (page) { return page || Response.error(); });
}

// A lesson page from the network, its copy kept; the kept copy when the network fails or is too slow.
function lessonPage(event) {
  var request = event.request;
  var keeping = Promise.resolve();
  var fromNetwork = fetch(request).then(function (response) {
    // A redirect (to sign in, to the course when the lesson is locked) is not the lesson: never kept.
    if (response.ok && response.type === "basic" && !response.redirected) {
      var copy = response.clone();
      keeping = caches.open(CONFIG.lessonsCache).then(function (cache) { return cache.put(request.url, copy); });
    }
    return response;
  });
  event.waitUntil(fromNetwork.then(function () { return keeping; }, function () { return null; }));
  return caches.open(CONFIG.lessonsCache).then(function (cache) { return cache.match(request.url); }).then(function (kept) {
    if (!kept) { return fromNetwork.catch(offlinePage); }
    var waited = new Promise(function (resolve) { setTimeout(function () { resolve(kept); }, LESSON_WAIT); });
    return Promise.race([fromNetwork.catch(function () { return kept; }), waited]);
  });
}

// A static file of an older version (a kept lesson names the file names of its day) is found by its name
// without the hash when the network cannot be asked.
function staticByName(url) {
  var name = url.pathname.slice(CONFIG.staticUrl.length).replace(/\.[0-9a-f]{12}(\.[^./]+)$/, "$1");
  var current = CONFIG.precache[name];
  return current ? caches.match(current) : Promise.resolve(undefined);
}

function staticFile(request, url) {
  return caches.open(CONFIG.staticCache).then(function (cache) {
    return cache.match(request).then(function (hit) {
      if (hit) { return hit; }
      return fetch(request).then(function (response) {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      }).catch(function () {
        return staticByName(url).then(function (found) { return found || Response.error(); });
      });
    });
  });
}

// A kept video answers the player's byte ranges (iOS and WeChat ask for ranges only) from the cached file.
function keptVideo(request, kept) {
  var header = request.headers.get("range");
  if (!header) { return kept; }
  return kept.blob().then(function (blob) {
    var size = blob.size;
    var range = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
    var start = -1;
    var end = size - 1;
    if (range && range[1] !== "") {
      start = Number(range[1]);
      if (range[2] !== "") { end = Math.min(Number(range[2]), size - 1); }
    } else if (range && range[2] !== "") {  // the last n bytes
      start = Math.max(0, size - Number(range[2]));
    }
    if (start < 0 || start > end) {
      return new Response(null, { status: 416, headers: { "Content-Range": "bytes */" + size } });
    }
    return new Response(blob.slice(start, end + 1), {
      status: 206,
      headers: {
        "Content-Type": kept.headers.get("Content-Type") || "video/mp4",
        "Content-Range": "bytes " + start + "-" + end + "/" + size,
        "Content-Length": String(end - start + 1),
        "Accept-Ranges": "bytes",
      },
    });
  });
}

function isOwnStatic(url) {
  if (url.pathname.indexOf(CONFIG.staticUrl) !== 0) { return false; }
  var folder = url.pathname.slice(CONFIG.staticUrl.length).split("/")[0];
  return CONFIG.staticFolders.indexOf(folder) !== -1;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method !== "GET") {
    // Signing out: what this person kept goes before anyone else uses the phone.
    if (request.method === "POST" && url.pathname === CONFIG.signOutPath) { event.waitUntil(forgetKept()); }
    return;
  }
  if (request.mode === "navigate") {
    if (lessonPattern.test(url.pathname)) {
      event.respondWith(lessonPage(event));
    } else {
      event.respondWith(fetch(request).catch(offlinePage));
    }
    return;
  }
  if (isOwnStatic(url)) {
    event.respondWith(staticFile(request, url));
    return;
  }
  if (request.destination === "video" || request.destination === "audio" || request.headers.has("range")) {
    event.respondWith(caches.open(CONFIG.videosCache).then(function (cache) { return cache.match(request.url); })
      .then(function (kept) { return kept ? keptVideo(request, kept) : fetch(request); }));
    return;
  }
  if (request.destination === "image") {
    event.respondWith(fetch(request).catch(function () {
      return caches.match(request.url).then(function (kept) { return kept || Response.error(); });
    }));
  }
});
