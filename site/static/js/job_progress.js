// Follows a background job (academy.jobs: a roster import, an export, issuing certificates) while it
// runs, as templates/includes/job_status.html shows it: asks the URL in
// data-job-status-url for its status every second, moves the progress bar, and reloads the page once the
// status leaves those listed in data-same-page (default: the status shown), so that the page shows what
// came of it. The page works without this script; it only spares a manual reload.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-job-status-url");
  var samePage = (box.getAttribute("data-same-page") || box.getAttribute("data-status")).split(" ");
  var bar = box.querySelector(".progress");
  var fill = bar ? bar.querySelector("span") : null;
  var text = box.querySelector("[data-job-progress-text]");

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
        if (samePage.indexOf(status.status) === -1) {
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
