/* Taking an exam (templates/courses/attempt_take.html).
 *
 * The server decides everything: it holds the deadline, accepts saves only in time and scores the answers.
 * This script shows the time left (counted from the server's figure, so a phone with a wrong clock does not
 * matter), saves the answers on every change and retries until the server has them (weak rural networks),
 * keeps unsent answers in localStorage in case the page is closed, and submits when time is up.
 * Plain ES5 and XMLHttpRequest: it has to run in WeChat's in-app browser and old iOS Safari.
 */
(function () {
  "use strict";
  var form = document.getElementById("exam-form");
  if (!form) { return; }

  var saveUrl = form.getAttribute("data-save-url");
  var backupKey = "exam-attempt-" + form.getAttribute("data-attempt");
  var clock = document.getElementById("exam-clock");
  var answeredOut = document.getElementById("exam-answered");
  var statusOut = document.getElementById("exam-save-status");
  var submitButton = document.getElementById("exam-submit");
  var csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var questions = form.querySelectorAll("fieldset[data-question]");

  var deadline = Date.now() + parseInt(form.getAttribute("data-seconds-left"), 10) * 1000;
  var changes = 0;       // counts every change made on this page
  var savedChanges = 0;  // the change count the server last confirmed
  var sending = false;
  var submitting = false;
  var retryTimer = null;

  function text(name) { return form.getAttribute("data-text-" + name); }

  function collectAnswers() {
    var answers = {};
    for (var i = 0; i < questions.length; i++) {
      var chosen = [];
      var inputs = questions[i].querySelectorAll("input:checked");
      for (var j = 0; j < inputs.length; j++) { chosen.push(parseInt(inputs[j].value, 10)); }
      answers[questions[i].getAttribute("data-question")] = chosen;
    }
    return answers;
  }

  function countAnswered(answers) {
    var count = 0;
    for (var key in answers) { if (answers.hasOwnProperty(key) && answers[key].length) { count++; } }
    return count;
  }

  function showStatus(message) { statusOut.textContent = message || ""; }

  function backup(answers) {
    try { localStorage.setItem(backupKey, JSON.stringify(answers)); } catch (error) { /* private mode: no backup */ }
  }

  function dropBackup() {
    try { localStorage.removeItem(backupKey); } catch (error) { /* nothing kept */ }
  }

  // Answers changed here but never confirmed by the server (the page was closed offline): put them back.
  function restoreBackup() {
    var kept = null;
    try { kept = JSON.parse(localStorage.getItem(backupKey) || "null"); } catch (error) { kept = null; }
    if (!kept) { return false; }
    for (var i = 0; i < questions.length; i++) {
      var chosen = kept[questions[i].getAttribute("data-question")] || [];
      var inputs = questions[i].querySelectorAll("input");
      for (var j = 0; j < inputs.length; j++) {
        inputs[j].checked = chosen.indexOf(parseInt(inputs[j].value, 10)) !== -1;
      }
    }
    return true;
  }

  function retryLater() {
    if (retryTimer === null) { retryTimer = setTimeout(function () { retryTimer = null; save(); }, 10000); }
  }

  // One request at a time, so that an older set of answers never lands after a newer one.
  function save() {
    if (sending || submitting || savedChanges === changes) { return; }
    sending = true;
    var sentChanges = changes;
    var request = new XMLHttpRequest();
    request.open("POST", saveUrl, true);
    request.setRequestHeader("Content-Type", "application/json");
    request.setRequestHeader("X-CSRFToken", csrfToken);
    request.timeout = 15000;
    showStatus(text("saving"));
    request.onload = function () {
      sending = false;
      var reply = {};
      try { reply = JSON.parse(request.responseText); } catch (error) { reply = {}; }
      if (request.status === 200 && reply.saved) {
        savedChanges = sentChanges;
        deadline = Date.now() + reply.seconds_left * 1000;
        if (savedChanges === changes) { dropBackup(); }
        var now = new Date();
        showStatus(text("saved") + " " + ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2));
        save();
      } else if (request.status === 409 && reply.result_url) {
        dropBackup();
        window.location.href = reply.result_url;
      } else {
        showStatus(text("offline"));
        retryLater();
      }
    };
    request.onerror = request.ontimeout = function () {
      sending = false;
      showStatus(text("offline"));
      retryLater();
    };
    request.send(JSON.stringify({ answers: collectAnswers() }));
  }

  function changed() {
    changes++;
    var answers = collectAnswers();
    answeredOut.textContent = countAnswered(answers);
    backup(answers);
    save();
  }

  function pad(number) { return (number < 10 ? "0" : "") + number; }

  function tick() {
    var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    var hours = Math.floor(left / 3600);
    var minutes = Math.floor((left % 3600) / 60);
    clock.textContent = (hours ? hours + ":" + pad(minutes) : minutes) + ":" + pad(left % 60);
    clock.parentNode.className = "exam-clock" + (left <= 60 ? " exam-clock-ending" : "");
    if (left === 0 && !submitting) {
      // The form goes as it stands; the server counts it within its grace for the network.
      submitting = true;
      showStatus(text("time-up"));
      dropBackup();
      form.submit();
    }
  }

  form.addEventListener("change", changed);

  form.addEventListener("submit", function (event) {
    var unanswered = questions.length - countAnswered(collectAnswers());
    if (unanswered > 0 && !window.confirm(text("confirm"))) {
      event.preventDefault();
      return;
    }
    submitting = true;
    dropBackup();
    setTimeout(function () { submitButton.disabled = true; }, 0);
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { save(); }
  });

  window.addEventListener("online", save);

  // Periodic save: catches anything a failed request or a sleeping phone left unsent.
  setInterval(save, 20000);

  if (restoreBackup()) { changed(); }
  tick();
  setInterval(tick, 1000);
})();
