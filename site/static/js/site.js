// On every page: what the Content-Security-Policy forbids in the markup (style="" and onchange="" attributes)
// is done here instead.
(function () {
  "use strict";
  // A progress bar's filled part is as wide as the bar's aria-valuenow says.
  document.querySelectorAll(".progress[aria-valuenow] > span").forEach(function (fill) {
    fill.style.width = (parseFloat(fill.parentNode.getAttribute("aria-valuenow")) || 0) + "%";
  });
  // A list marked data-submit-on-change (the year of a report) shows the choice at once.
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // On a PC the menu stays open (drawn as a row by the stylesheet); on a phone it opens with its button.
  var menu = document.querySelector("details.menu");
  if (menu && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 1200px)");
    var follow = function () { menu.open = wide.matches; };
    follow();
    if (wide.addEventListener) { wide.addEventListener("change", follow); }
  }
})();
