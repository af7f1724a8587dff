// Follows an export while it is written (templates/analytics/export_detail.html): asks for its status
// every second, moves the progress bar, and reloads the page when the status changes, so that the
// download link or the failure is shown.
(function () {
  "use strict";
  var box = document.querySelector("[data-export-status-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-export-status-url");
  var shownStatus = box.getAttribute("data-status");
  var bar = box.querySelector(".progress");
  var fill = bar ? bar.querySelector("span") : null;
  var text = box.querySelector("[data-export-progress-text]");

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (status) {
        if (status.status !== shownStatus && !(shownStatus === "pending" && status.status === "running")) {
          window.location.reload();
          return;
        }
        if (fill) {
          fill.style.width = status.progress + "%";
          bar.setAttribute("aria-valuenow", String(status.progress));
        }
        if (text) {
          text.textContent = text.getAttribute("data-template")
            .replace("{processed}", String(status.processed_rows))
            .replace("{total}", String(status.total_rows));
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 1000);
})();
