/* A lesson page: reports to the server while it is on screen, resumes videos, shows the attention checks the
   server issues, asks the server about knowledge checks. The server alone decides what counts
   (courses/progress.py, courses/attention.py): this script only reports and shows.
   On a weak network nothing is lost: every heartbeat is kept (in localStorage, across reloads) until the
   server has it, sent in order with its age, and retried with backoff; the page says when it is offline.
   Plain ES5 with XMLHttpRequest, for old WeChat and iOS browsers. */
(function () {
  "use strict";

  var configElement = document.getElementById("lesson-config");
  if (!configElement) { return; }
  var config = JSON.parse(configElement.textContent);
  var MAX_KEPT = 1000;  // hours of heartbeats (1000 intervals); beyond, the oldest go (the server bridges the gap)
  var BATCH = 50;  // heartbeats per request (the server takes up to 100)
  var MAX_RETRY_SECONDS = 60;
  var kept = load();  // heartbeats not yet accepted by the server, oldest first
  var sequence = Math.max.apply(null, [config.sequence, lastUsed()].concat(kept.map(function (item) { return item.sequence; })));
  var timer = null;
  var nextTickAt = 0;  // when the timer reports next
  var onScreenSince = 0;  // when the page last came on screen (opened, or shown again)
  var studiedTimer = null;  // the one report made the moment the study time is reached
  var stopped = false;
  var sending = false;
  var retryTimer = null;
  var retrySeconds = 0;
  // The progress as the server left it, signed by the server: sent back with the heartbeats, it lets the server
  // apply them in one statement (courses/progress.py). Each answer brings the next.
  var state = config.state;
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

  // The last sequence number used here, for a page opened from its offline copy (offline.js, sw.js), whose
  // config.sequence is that of the day it was kept.
  function lastUsed() {
    try { return Number(window.localStorage.getItem(config.sequenceKey)) || 0; } catch (error) { return 0; }
  }

  function save() {
    try {
      window.localStorage.setItem(config.sequenceKey, String(sequence));
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
    window.clearTimeout(studiedTimer);
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
    post(config.heartbeatUrl, JSON.stringify({ heartbeats: heartbeats, state: state }), "application/json", function (status, data) {
      sending = false;
      if (status === 200 && data) {
        if (data.state) { state = data.state; }
        forget(data.sequence);  // accepted, or already passed (a repeat): the server has them
        // Another tab may have gone further: continue after the last number the server accepted.
        if (data.sequence > sequence) { sequence = data.sequence; }
        retrySeconds = 0;
        showOffline(false);
        show(data);
        if (data.hasOwnProperty("attention")) { showPrompt(data.attention); }
        reportWhenStudied(data.study_seconds_left);
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
    if (pendingAnswer !== null) { answer(pendingAnswer); }  // tapped while offline
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
      // While video.js switches between 流畅 and 标清 the new file starts at 0: the position is the one kept.
      var switching = video.getAttribute("data-switching-position");
      item.position = switching === null ? video.currentTime : Number(switching);
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
    window.clearTimeout(studiedTimer);
    if (stopped) { return; }
    onScreenSince = clock();
    nextTickAt = onScreenSince + config.interval * 1000;
    timer = window.setInterval(function () {
      nextTickAt = clock() + config.interval * 1000;
      tick();
    }, config.interval * 1000);
  }

  // A lesson that completes by study time reports once more the moment that time is reached (the server says
  // how much is left), so it shows complete then and not up to an interval later. Only after a full interval on
  // screen: the server counts the first report after an opening or a return as a whole interval (that is how
  // long the page waits), which an earlier one would not have been. Nothing counts while a check is open.
  function reportWhenStudied(secondsLeft) {
    window.clearTimeout(studiedTimer);
    if (typeof secondsLeft !== "number" || secondsLeft <= 0 || stopped || promptShown) { return; }
    var now = clock();
    var due = now + (secondsLeft + 1) * 1000;  // + 1: the server carries a fraction of a second to the next report
    if (due - onScreenSince < config.interval * 1000 || due >= nextTickAt) { return; }  // the timer reports first
    studiedTimer = window.setTimeout(tick, due - now);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      beat(playingVideo());  // the time up to now counts; nothing while hidden
      window.clearInterval(timer);
      window.clearTimeout(studiedTimer);
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

  // Attention checks. The server issues one at a random moment (a heartbeat's answer carries it, and so does
  // the page when it is opened again); the page puts it over everything, pauses the videos and sends the
  // number tapped with the check's token. Whether it was right, and what counts meanwhile, is the server's.
  var overlay = document.querySelector("[data-attention]");
  var promptShown = null;  // the check on screen
  var countdownTimer = null;
  var pausedForPrompt = [];  // videos that were playing when the check came, played again once it is answered
  var pendingAnswer = null;  // a number tapped while offline, sent when the network returns
  var answeredToken = null;  // a heartbeat's answer sent before the check was answered may still name it

  function part(name) { return overlay.querySelector("[data-attention-" + name + "]"); }

  function setResult(message) {
    part("result").textContent = message || "";
    part("result").hidden = !message;
  }

  // What became of the answer, for a while: what a missed check cost stays in its own line below.
  var noticeTimer = null;
  function showNotice(message) {
    window.clearTimeout(noticeTimer);
    each("[data-attention-notice]", function (element) {
      element.textContent = message || "";
      element.hidden = !message;
    });
    if (message) { noticeTimer = window.setTimeout(function () { showNotice(""); }, 15000); }
  }

  function showMissed(text) {
    each("[data-attention-missed]", function (element) {
      element.textContent = text || "";
      element.hidden = !text;
    });
  }

  function showOverdue(overdue) {
    part("time").hidden = overdue;
    part("overdue").hidden = !overdue;
  }

  function startCountdown(seconds) {
    window.clearInterval(countdownTimer);
    var ends = clock() + seconds * 1000;
    function update() {
      var left = Math.max(0, Math.ceil((ends - clock()) / 1000));
      part("countdown").textContent = left;
      if (left === 0) {
        window.clearInterval(countdownTimer);
        showOverdue(true);
      }
    }
    showOverdue(false);
    update();
    countdownTimer = window.setInterval(update, 1000);
  }

  function pauseVideos() {
    videos.forEach(function (video) {
      if (!video.paused && !video.ended) {
        pausedForPrompt.push(video);
        video.pause();  // its pause heartbeat keeps the position; the server counts nothing while the check is open
      }
      if (video.webkitDisplayingFullscreen && video.webkitExitFullscreen) { video.webkitExitFullscreen(); }
    });
    if (document.fullscreenElement && document.exitFullscreen) { document.exitFullscreen(); }
  }

  function showPrompt(prompt) {
    if (!overlay) { return; }
    if (!prompt) {
      hidePrompt();
      return;
    }
    if (prompt.token === answeredToken) { return; }
    var isNew = !promptShown || promptShown.token !== prompt.token;
    var numbersChanged = isNew || promptShown.question !== prompt.question ||
      promptShown.choices.join() !== prompt.choices.join();
    promptShown = prompt;
    if (numbersChanged) {
      part("token").value = prompt.token;
      part("question").textContent = prompt.question;
      var choices = part("choices");
      while (choices.firstChild) { choices.removeChild(choices.firstChild); }
      prompt.choices.forEach(function (number) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "attention-choice";
        button.value = number;
        button.textContent = number;
        button.addEventListener("click", function () { answer(number); });
        choices.appendChild(button);
      });
    }
    if (isNew) {
      setResult("");
      showNotice("");
      startCountdown(prompt.seconds_left);
    }
    if (prompt.overdue) {
      window.clearInterval(countdownTimer);
      showOverdue(true);
    }
    if (overlay.hidden) {
      pauseVideos();
      overlay.hidden = false;
      document.body.className += " has-attention-check";
      var first = part("choices").querySelector("button");
      if (first && first.focus) { first.focus(); }
    }
  }

  function hidePrompt() {
    if (!overlay || overlay.hidden) { return; }
    overlay.hidden = true;
    promptShown = null;
    pendingAnswer = null;
    window.clearInterval(countdownTimer);
    document.body.className = document.body.className.replace(" has-attention-check", "");
    var again = pausedForPrompt;
    pausedForPrompt = [];
    again.forEach(function (video) {
      var playing = video.play();  // right after the tap that answered, which browsers accept as the user's wish
      if (playing && playing.catch) { playing.catch(function () { /* the trainee presses play herself */ }); }
    });
  }

  function setChoicesDisabled(disabled) {
    Array.prototype.forEach.call(part("choices").querySelectorAll("button"), function (button) {
      button.disabled = disabled;
    });
  }

  function answer(number) {
    if (!promptShown) { return; }
    var form = part("form");
    var data = new FormData(form);
    data.append("answer", number);
    pendingAnswer = null;
    setChoicesDisabled(true);
    post(config.attention.answerUrl, data, null, function (status, reply) {
      setChoicesDisabled(false);
      if (status === 200 && reply) {
        showMissed(reply.missed);
        if (reply.closed) {
          answeredToken = promptShown && promptShown.token;
          hidePrompt();
          showNotice(reply.message);
        } else {
          showPrompt(reply.attention);
          setResult(reply.message);
        }
      } else if (status === 409) {
        hidePrompt();  // answered already (another tab): nothing more to do here
      } else if (status === 0) {
        pendingAnswer = number;
        setResult(config.attention.offlineText);
      } else {
        setResult((reply && reply.error) || config.attention.offlineText);
      }
    });
  }

  if (overlay) {
    part("form").addEventListener("submit", function (event) { event.preventDefault(); });
    showPrompt(config.attention.prompt);
  }

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
