// The running total of the rubric, as the assessor types; the server computes the stored score.
(function () {
  "use strict";
  var form = document.querySelector("[data-score-form]");
  if (!form) return;
  var total = form.querySelector("[data-score-total]");
  var inputs = form.querySelectorAll("input.score-input");
  function update() {
    var sum = 0, filled = 0;
    inputs.forEach(function (input) {
      var value = parseFloat(input.value);
      if (!isNaN(value)) { sum += value; filled += 1; }
    });
    total.textContent = filled ? (Math.round(sum * 10) / 10).toString() : "–";
  }
  inputs.forEach(function (input) { input.addEventListener("input", update); });
  update();
})();
