/* Lesson videos on weak networks (courses/renditions.py makes the renditions; templates/blocks/video_block.html).
   - Nothing of a video loads before the trainee presses play (preload="none" in the page).
   - Each video starts on a rendition she kept on this device (offline.js), else on the one she chose last time
     (localStorage), else on the low one (流畅) when the browser or WeChat says the connection is cellular, slow
     or saving data, else on the standard one (标清).
   - The 流畅/标清 buttons switch, keeping the position and playing on if it played; the choice is remembered.
   Progress belongs to the video block, not to the file: lesson.js reports the block's id, and while a switch
   loads the other file it reports the position kept here (data-switching-position), not the new file's 0.
   Plain ES5, for old WeChat and iOS browsers. */
(function () {
  "use strict";

  var CHOICE_KEY = "academy.video.quality";
  var offlineElement = document.getElementById("offline-config");
  var videosCache = offlineElement ? JSON.parse(offlineElement.textContent).videosCache : null;

  function stored() {
    try { return window.localStorage.getItem(CHOICE_KEY); } catch (error) { return null; }
  }

  function remember(quality) {
    try { window.localStorage.setItem(CHOICE_KEY, quality); } catch (error) { /* private browsing */ }
  }

  // Cellular, slow or saving data, as the browser says (Network Information API: Android Chrome, WeChat's
  // Android browser) or as WeChat's user agent says (NetType/4G; WIFI otherwise), which iOS's WeChat also sends.
  function weakConnection() {
    var connection = navigator.connection || navigator.mozConnection || navigator.webkitConnection;
    if (connection) {
      if (connection.saveData) { return true; }
      if (/^(slow-2g|2g|3g)$/.test(connection.effectiveType || "")) { return true; }
      if (connection.type === "cellular") { return true; }
    }
    return /NetType\/(2G|3G|4G|5G|3GNET|EDGE)/i.test(navigator.userAgent);
  }

  function keptQuality(choices) {
    if (!videosCache || !window.caches) { return Promise.resolve(null); }
    return caches.open(videosCache).then(function (cache) {
      return Promise.all(choices.map(function (button) {
        return cache.match(button.getAttribute("data-url")).then(function (hit) { return hit ? button : null; });
      }));
    }).then(function (kept) {
      return kept.filter(Boolean)[0] || null;
    }).catch(function () { return null; });
  }

  function setup(group) {
    var video = document.querySelector('video[data-block-id="' + group.getAttribute("data-video-quality") + '"]');
    var choices = Array.prototype.slice.call(group.querySelectorAll("[data-quality]"));
    if (!video || !choices.length) { return; }

    function byQuality(quality) {
      return choices.filter(function (button) { return button.getAttribute("data-quality") === quality; })[0] || null;
    }

    function mark(button) {
      choices.forEach(function (other) { other.setAttribute("aria-pressed", other === button ? "true" : "false"); });
    }

    // Tells offline.js which file the block now plays (it offers to keep that one).
    function announce() {
      var event;
      try {
        event = new CustomEvent("academy:video-source", { bubbles: true });
      } catch (error) {
        event = document.createEvent("CustomEvent");
        event.initCustomEvent("academy:video-source", true, false, null);
      }
      video.dispatchEvent(event);
    }

    // Before play: only the address changes (nothing loads with preload="none"). During play: the other file
    // loads, the position is set again once its metadata is in, and it plays on if it was playing.
    function use(button) {
      var url = button.getAttribute("data-url");
      mark(button);
      if (video.getAttribute("src") === url) { return; }
      var started = video.played && video.played.length > 0 || video.currentTime > 0;
      if (!started) {
        video.setAttribute("src", url);
        announce();
        return;
      }
      var position = video.currentTime;
      var playing = !video.paused && !video.ended;
      video.setAttribute("data-switching-position", String(position));
      // She has started the video: the new file may load now (with preload="none" it would wait for a play).
      video.setAttribute("preload", "auto");
      video.addEventListener("loadedmetadata", function restore() {
        video.removeEventListener("loadedmetadata", restore);
        video.currentTime = position;
        video.removeAttribute("data-switching-position");
      });
      video.setAttribute("src", url);
      announce();
      if (playing) {  // within her tap, which browsers accept as her wish to play
        var played = video.play();
        if (played && played.catch) { played.catch(function () { /* she presses play herself */ }); }
      } else {
        video.load();
      }
    }

    choices.forEach(function (button) {
      button.addEventListener("click", function () {
        remember(button.getAttribute("data-quality"));
        use(button);
      });
    });

    var initial = byQuality(stored()) || (weakConnection() ? byQuality("low") : byQuality("standard")) || choices[0];
    use(initial);
    // A kept file plays without spending data, and without a network at all.
    keptQuality(choices).then(function (kept) {
      if (kept && !(video.played && video.played.length)) { use(kept); }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-video-quality]"), setup);
}());
