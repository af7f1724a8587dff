// Follows a roster import while it runs (templates/organisation/import_detail.html): asks for its status
// every second, moves the progress bar, and reloads the page when the status changes, so that the
// errors, the preview or the result are shown.
(function () {
  "use strict";
  var box = document.querySelector("[data-import-status-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-import-status-url");
  var shownStatus = box.getAttribute("data-status");
  var bar = box.querySelector(".progress");
  var fill = bar ? bar.querySelector("span") : null;
  var text = box.querySelector("[data-import-progress-text]");

  function show(status) {
    if (fill && !bar.classList.contains("progress-indeterminate")) {
      fill.style.width = status.progress + "%";
      bar.setAttribute("aria-valuenow", String(status.progress));
    }
    if (text) {
      text.textContent = text.getAttribute("data-template")
        .replace("{processed}", String(status.processed_rows))
        .replace("{total}", String(status.total_rows));
    }
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (status) {
        if (status.status !== shownStatus) {
          window.location.reload();
          return;
        }
        show(status);
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        // The server may be restarting: try again a little later.
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 1000);
})();
