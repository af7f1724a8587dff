/* A lesson page: reports to the server while it is on screen, resumes videos, asks the server about
   knowledge checks. The server alone decides what counts (courses/progress.py): this script only reports.
   Plain ES5 with XMLHttpRequest, for old WeChat and iOS browsers. */
(function () {
  "use strict";

  var configElement = document.getElementById("lesson-config");
  if (!configElement) { return; }
  var config = JSON.parse(configElement.textContent);
  var sequence = config.sequence;
  var timer = null;
  var stopped = false;
  var videos = Array.prototype.slice.call(document.querySelectorAll("video[data-block-id]"));

  function each(selector, callback) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), callback);
  }

  function post(url, body, contentType, onDone) {
    var request = new XMLHttpRequest();
    request.open("POST", url, true);
    request.setRequestHeader("X-CSRFToken", config.csrfToken);
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    if (contentType) { request.setRequestHeader("Content-Type", contentType); }
    request.onload = function () {
      var data = null;
      try { data = JSON.parse(request.responseText); } catch (error) { data = null; }
      onDone(request.status, data);
    };
    request.send(body);
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

  function stop(message) {
    stopped = true;
    window.clearInterval(timer);
    if (message) { each("[data-lesson-status]", function (element) { element.textContent = message; }); }
  }

  function playingVideo() {
    for (var index = 0; index < videos.length; index += 1) {
      if (!videos[index].paused && !videos[index].ended) { return videos[index]; }
    }
    return null;
  }

  // One heartbeat: a new sequence number and, if a video is given, where it is.
  function beat(video) {
    if (stopped) { return; }
    sequence += 1;
    var body = { sequence: sequence };
    if (video) {
      body.video = video.getAttribute("data-block-id");
      body.position = video.currentTime;
    }
    post(config.heartbeatUrl, JSON.stringify(body), "application/json", function (status, data) {
      if (status === 200 && data) {
        // Another tab may have gone further: continue after the last number the server accepted.
        if (data.sequence > sequence) { sequence = data.sequence; }
        show(data);
      } else if (status === 401 || status === 403 || status === 404 || status === 409) {
        stop(data && data.error);
      }
    });
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
