/* Face-to-face session pages: tick everyone on a page of people; mark everyone not yet marked present.
   Plain ES5 so that it runs in WeChat's in-app browser; the pages work without it. */
(function () {
  "use strict";

  var checkAll = document.querySelector("[data-check-all]");
  if (checkAll) {
    document.querySelector("[data-check-all-wrap]").hidden = false;
    checkAll.addEventListener("change", function () {
      var boxes = document.querySelectorAll("form[data-select-all] input[name=people]");
      for (var i = 0; i < boxes.length; i++) { boxes[i].checked = checkAll.checked; }
    });
  }

  var markRest = document.querySelector("[data-mark-rest-present]");
  if (markRest) {
    markRest.hidden = false;
    markRest.addEventListener("click", function () {
      var rows = document.querySelectorAll(".attendance-row");
      for (var i = 0; i < rows.length; i++) {
        if (!rows[i].querySelector("input[type=radio]:checked")) {
          var present = rows[i].querySelector("input[type=radio][value=present]");
          if (present) { present.checked = true; }
        }
      }
    });
  }
})();
