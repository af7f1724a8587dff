/* On every page: reading lessons without a network (academy/offline.py; the worker is sw.js).
   - registers the service worker;
   - forgets the lessons and videos kept for someone else when another person (or nobody) is signed in;
   - on a lesson page, keeps the page and its images (the worker keeps pages it serves; this covers the first
     visit, before the worker controls the page) and offers to keep each video;
   - on the offline page, lists the lessons kept on this device;
   - offers to add the platform to the home screen where the browser allows it (beforeinstallprompt).
   The lesson's heartbeats are lesson.js's: kept there while offline, sent when the network returns.
   Plain ES5, for old WeChat and iOS browsers; where service workers are missing (WeChat on iOS) it does nothing. */
(function () {
  "use strict";

  var configElement = document.getElementById("offline-config");
  if (!configElement || !("serviceWorker" in navigator) || !window.caches || !window.isSecureContext) { return; }
  var config = JSON.parse(configElement.textContent);
  var OWNER_KEY = "academy.offline.owner";
  var DISMISSED_KEY = "academy.install.dismissed";
  var lessonPattern = new RegExp(config.lessonPattern);
  var offlineList = document.querySelector("[data-offline-lessons]");

  function each(selector, callback) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), callback);
  }

  function sameOrigin(url) {
    return url && new URL(url, location.href).origin === location.origin;
  }

  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (error) { return undefined; }
  }

  function store(key, value) {
    try { window.localStorage.setItem(key, value); } catch (error) { /* private browsing: not remembered */ }
  }

  // Lessons and videos kept on this device belong to the person signed in when they were kept. True when
  // they were someone else's and are gone.
  function forgetOthers() {
    var before = stored(OWNER_KEY);
    if (offlineList || before === undefined || before === config.owner) { return Promise.resolve(false); }
    return Promise.all([caches.delete(config.lessonsCache), caches.delete(config.videosCache)]).then(function () {
      store(OWNER_KEY, config.owner);
      return true;
    });
  }

  // Keeps ``url`` in ``cacheName`` unless it is there already; a redirect (to sign in) is never kept.
  function keep(cacheName, url) {
    return caches.open(cacheName).then(function (cache) {
      return cache.match(url).then(function (hit) {
        if (hit) { return null; }
        return fetch(url, { credentials: "same-origin" }).then(function (response) {
          if (response.ok && !response.redirected) { return cache.put(url, response); }
          return null;
        });
      });
    }).catch(function () { return null; });
  }

  function keepLesson(servedByWorker) {
    // A page the worker served is kept by the worker; the first visit, before it controls the page, is not.
    var urls = servedByWorker ? [] : [location.href.split("#")[0]];
    each("img", function (image) { urls.push(image.currentSrc || image.src); });
    each("video[poster]", function (video) { urls.push(video.poster); });
    urls.filter(sameOrigin).forEach(function (url) { keep(config.lessonsCache, url); });
    // The page's own scripts and styles, through the worker, which keeps them (the first visit is not
    // served by the worker: once it controls the page, they are asked for again).
    var assets = [];
    each("script[src]", function (script) { assets.push(script.src); });
    each("link[rel=stylesheet]", function (link) { assets.push(link.href); });
    whenControlled(function () {
      assets.filter(sameOrigin).forEach(function (url) { fetch(url).catch(function () { return null; }); });
    });
  }

  function whenControlled(callback) {
    if (navigator.serviceWorker.controller) { callback(); return; }
    var done = false;
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (!done) { done = true; callback(); }
    });
  }

  // The offline page: the kept lessons, each by the title of its page.
  function listKeptLessons() {
    var list = offlineList.querySelector("ul");
    caches.open(config.lessonsCache).then(function (cache) {
      return cache.keys().then(function (requests) {
        var lessons = requests.filter(function (request) { return lessonPattern.test(new URL(request.url).pathname); });
        return Promise.all(lessons.map(function (request) {
          return cache.match(request).then(function (response) { return response.text(); }).then(function (html) {
            var page = new DOMParser().parseFromString(html, "text/html");
            var heading = page.querySelector("h1");
            return { url: request.url, title: heading ? heading.textContent.trim() : request.url };
          });
        }));
      });
    }).then(function (lessons) {
      lessons.forEach(function (lesson) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = lesson.url;
        link.textContent = lesson.title;
        item.appendChild(link);
        list.appendChild(item);
      });
      offlineList.querySelector("[data-offline-none]").hidden = lessons.length > 0;
      list.hidden = lessons.length === 0;
    });
  }

  // "保存视频以便离线观看": the whole file in the cache, played from there by the worker, until removed. A video
  // block has one keeper per file it may play (流畅, 标清, or the original): the one of the file playing shows,
  // and any kept one, so that it can be removed.
  function videoKeeper(element) {
    var url = element.getAttribute("data-video-url");
    var button = element.querySelector("[data-video-keep-button]");
    var video = document.querySelector('video[data-block-id="' + element.getAttribute("data-video-for") + '"]');
    var isKept = false;
    function playing() {
      return !video || new URL(video.getAttribute("src") || "", location.href).href === new URL(url, location.href).href;
    }
    function state(name) {
      Array.prototype.forEach.call(element.querySelectorAll("[data-video-state]"), function (part) {
        part.hidden = part.getAttribute("data-video-state").split(" ").indexOf(name) === -1;
      });
      element.hidden = !isKept && !playing();
    }
    function showStored() {
      return caches.open(config.videosCache).then(function (cache) { return cache.match(url); }).then(function (hit) {
        isKept = Boolean(hit);
        if (hit) { state("kept"); } else { state(navigator.onLine === false ? "needs-network" : "offer"); }
      });
    }
    if (video) { video.addEventListener("academy:video-source", showStored); }
    button.addEventListener("click", function () {
      state("saving");
      if (navigator.storage && navigator.storage.persist) { navigator.storage.persist(); }
      fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok || response.status === 206) { throw new Error("status " + response.status); }
        return caches.open(config.videosCache).then(function (cache) { return cache.put(url, response); });
      }).then(function () { isKept = true; state("kept"); }, function () { state("failed"); });
    });
    element.querySelector("[data-video-remove]").addEventListener("click", function () {
      caches.open(config.videosCache).then(function (cache) { return cache.delete(url); }).then(showStored);
    });
    window.addEventListener("online", showStored);
    window.addEventListener("offline", showStored);
    showStored();
  }

  // The install banner (signed-in pages only, includes/install_banner.html), where the browser offers it.
  var banner = document.querySelector("[data-install-banner]");
  var installEvent = null;
  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    installEvent = event;
    if (banner && !stored(DISMISSED_KEY)) { banner.hidden = false; }
  });
  window.addEventListener("appinstalled", function () { if (banner) { banner.hidden = true; } });
  if (banner) {
    banner.querySelector("[data-install-accept]").addEventListener("click", function () {
      banner.hidden = true;
      if (installEvent) { installEvent.prompt(); installEvent = null; }
    });
    banner.querySelector("[data-install-dismiss]").addEventListener("click", function () {
      banner.hidden = true;
      store(DISMISSED_KEY, String(Date.now()));
    });
  }

  var servedByWorker = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.register(config.worker, { scope: "/" }).catch(function () { return null; });
  forgetOthers().then(function (forgotten) {
    if (offlineList) { listKeptLessons(); }
    if (config.owner && lessonPattern.test(location.pathname)) {
      keepLesson(servedByWorker && !forgotten);
      each("[data-video-url]", videoKeeper);
    }
  });
}());
