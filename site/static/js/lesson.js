/* A lesson page: reports to the server while it is on screen, resumes videos, asks the server about
   knowledge checks. The server alone decides what counts (courses/progress.py): this script only reports.
   On a weak network nothing is lost: every heartbeat is kept (in localStorage, across reloads) until the
   server has it, sent in order with its age, and retried with backoff; the page says when it is offline.
   Plain ES5 with XMLHttpRequest, for old WeChat and iOS browsers. */
(function () {
  "use strict";

  var configElement = document.getElementById("lesson-config");
  if (!configElement) { return; }
  var config = JSON.parse(configElement.textContent);
  var MAX_KEPT = 1000;  // about three hours of heartbeats; beyond, the oldest go (the server bridges the gap)
  var BATCH = 50;  // heartbeats per request (the server takes up to 100)
  var MAX_RETRY_SECONDS = 60;
  var kept = load();  // heartbeats not yet accepted by the server, oldest first
  var sequence = Math.max.apply(null, [config.sequence].concat(kept.map(function (item) { return item.sequence; })));
  var timer = null;
  var stopped = false;
  var sending = false;
  var retryTimer = null;
  var retrySeconds = 0;
  var videos = Array.prototype.slice.call(document.querySelectorAll("video[data-block-id]"));

  function each(selector, callback) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), callback);
  }

  // Status 0 when no answer came (no signal, a timeout).
  function post(url, body, contentType, onDone) {
    var request = new XMLHttpRequest();
    request.open("POST", url, true);
    request.timeout = 20000;
    request.setRequestHeader("X-CSRFToken", config.csrfToken);
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    if (contentType) { request.setRequestHeader("Content-Type", contentType); }
    request.onload = function () {
      var data = null;
      try { data = JSON.parse(request.responseText); } catch (error) { data = null; }
      onDone(request.status, data);
    };
    request.onerror = request.ontimeout = function () { onDone(0, null); };
    request.send(body);
  }

  // Milliseconds on the page's monotonic clock, anchored to the wall clock when the page opened, so that
  // heartbeats kept by an earlier opening of the page still have an age.
  function clock() {
    var performance = window.performance;
    if (performance && performance.now && performance.timeOrigin) { return performance.timeOrigin + performance.now(); }
    return Date.now();
  }

  // Heartbeats the server has not accepted yet, kept in localStorage (where the browser allows it) so that a
  // reload or a closed WeChat does not lose them; those the server already has are dropped.
  function load() {
    var stored = [];
    try { stored = JSON.parse(window.localStorage.getItem(config.keptKey) || "[]"); } catch (error) { stored = []; }
    if (!Array.isArray(stored)) { return []; }
    return stored.filter(function (item) { return item && item.sequence > config.sequence; });
  }

  function save() {
    try {
      if (kept.length) {
        window.localStorage.setItem(config.keptKey, JSON.stringify(kept));
      } else {
        window.localStorage.removeItem(config.keptKey);
      }
    } catch (error) { /* private browsing or storage full: kept in memory only */ }
  }

  // The share of each video the server counts as watched, beside its caption.
  function showWatched(watched) {
    Object.keys(watched || {}).forEach(function (blockId) {
      each('[data-video-watched="' + blockId + '"]', function (element) {
        element.textContent = "· " + watched[blockId] + "%";
      });
    });
  }

  function show(progress) {
    each("[data-lesson-status]", function (element) { element.textContent = progress.status; });
    each("[data-lesson-percent]", function (element) {
      element.style.width = progress.percent + "%";
      element.parentNode.setAttribute("aria-valuenow", progress.percent);
    });
    showWatched(progress.videos);
    if (progress.complete) {
      each("[data-lesson-next]", function (element) { element.hidden = false; });
      each("[data-lesson-hint]", function (element) { element.hidden = true; });
      each("[data-lesson-end]", function (element) { element.className += " is-complete"; });
    }
  }

  // "No network: your progress is kept on this phone and sent when the network returns."
  function showOffline(offline) {
    each("[data-lesson-offline]", function (element) { element.hidden = !offline; });
  }

  function stop(message) {
    stopped = true;
    window.clearInterval(timer);
    if (message) { each("[data-lesson-status]", function (element) { element.textContent = message; }); }
  }

  // Sends the oldest kept heartbeats, each with its age, and goes on until none is left; when no answer comes,
  // tries again after 2, 4, 8... up to 60 seconds, or as soon as the browser says the network is back.
  function send() {
    if (sending || retryTimer !== null || stopped || !kept.length) { return; }
    sending = true;
    var batch = kept.slice(0, BATCH);
    var now = clock();
    var heartbeats = batch.map(function (item) {
      var heartbeat = { sequence: item.sequence, age: Math.max(0, Math.round(now - item.made)) / 1000 };
      if (item.video) {
        heartbeat.video = item.video;
        heartbeat.position = item.position;
      }
      return heartbeat;
    });
    post(config.heartbeatUrl, JSON.stringify({ heartbeats: heartbeats }), "application/json", function (status, data) {
      sending = false;
      if (status === 200 && data) {
        forget(data.sequence);  // accepted, or already passed (a repeat): the server has them
        // Another tab may have gone further: continue after the last number the server accepted.
        if (data.sequence > sequence) { sequence = data.sequence; }
        retrySeconds = 0;
        showOffline(false);
        show(data);
        send();
      } else if (status === 401 || status === 403 || status === 404 || status === 409) {
        stop(data && data.error);  // what is kept stays for the next opening of the page
      } else if (status === 400) {
        forget(batch[batch.length - 1].sequence);  // never acceptable: do not send it again
        send();
      } else {
        if (status === 0) { showOffline(true); }
        retrySeconds = Math.min(retrySeconds ? retrySeconds * 2 : 2, MAX_RETRY_SECONDS);
        retryTimer = window.setTimeout(function () {
          retryTimer = null;
          send();
        }, retrySeconds * 1000);
      }
    });
  }

  function forget(upTo) {
    kept = kept.filter(function (item) { return item.sequence > upTo; });
    save();
  }

  window.addEventListener("online", function () {
    window.clearTimeout(retryTimer);
    retryTimer = null;
    retrySeconds = 0;
    if (!kept.length) { showOffline(false); }
    send();  // the notice goes once what was kept has arrived
  });
  window.addEventListener("offline", function () { showOffline(true); });

  function playingVideo() {
    for (var index = 0; index < videos.length; index += 1) {
      if (!videos[index].paused && !videos[index].ended) { return videos[index]; }
    }
    return null;
  }

  // One heartbeat: a new sequence number, when it was made and, if a video is given, where it is. It is kept
  // until the server has it.
  function beat(video) {
    if (stopped) { return; }
    sequence += 1;
    var item = { sequence: sequence, made: clock() };
    if (video) {
      item.video = video.getAttribute("data-block-id");
      item.position = video.currentTime;
    }
    kept.push(item);
    if (kept.length > MAX_KEPT) { kept.splice(0, kept.length - MAX_KEPT); }
    save();
    send();
  }

  function tick() {
    if (document.visibilityState !== "hidden") { beat(playingVideo()); }
  }

  function startTimer() {
    window.clearInterval(timer);
    if (!stopped) { timer = window.setInterval(tick, config.interval * 1000); }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      beat(playingVideo());  // the time up to now counts; nothing while hidden
      window.clearInterval(timer);
    } else {
      startTimer();  // a full interval on screen before the next report
    }
  });

  videos.forEach(function (video) {
    var blockId = video.getAttribute("data-block-id");
    var resumeAt = (config.positions || {})[blockId] || 0;
    function resume() {
      // Back to where the trainee stopped, unless that was the very end.
      if (resumeAt > 1 && video.duration && resumeAt < video.duration - 2) { video.currentTime = resumeAt; }
      resumeAt = 0;
    }
    if (video.readyState >= 1) { resume(); } else { video.addEventListener("loadedmetadata", resume); }
    // A pause or the end reports at once, so the position is kept and the last seconds count.
    video.addEventListener("pause", function () { beat(video); });
  });

  showWatched(config.watched);
  if (navigator.onLine === false) { showOffline(true); }
  send();  // what an earlier opening of the page kept
  startTimer();

  // Knowledge checks: the page holds no answers; the server says right or wrong and explains.
  each("[data-knowledge-check]", function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var result = form.querySelector("[data-knowledge-check-result]");
      var verdict = form.querySelector("[data-verdict]");
      var explanation = form.querySelector("[data-explanation]");
      post(form.action, new FormData(form), null, function (status, data) {
        result.hidden = false;
        if (status !== 200 || !data) {
          verdict.textContent = (data && data.error) || "…";
          result.className = "knowledge-check-result";
          explanation.hidden = true;
          return;
        }
        verdict.textContent = data.verdict;
        result.className = "knowledge-check-result " + (data.correct ? "is-correct" : "is-wrong");
        explanation.textContent = data.explanation || "";
        explanation.hidden = !data.explanation;
      });
    });
  });
}());
