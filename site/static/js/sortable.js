/* Dashboard tables: click (or tap) a column heading to sort by it, again to reverse. Each cell carries the
   value it sorts by in data-sort (numbers as numbers); empty cells stay last either way. Plain ES5 so that
   it runs in WeChat's in-app browser; without it the table keeps the order the server chose. */
(function () {
  "use strict";

  var collator = window.Intl && Intl.Collator ? new Intl.Collator(document.documentElement.lang || undefined) : null;

  function compareText(a, b) {
    return collator ? collator.compare(a, b) : (a < b ? -1 : a > b ? 1 : 0);
  }

  function sortTable(table, column, numeric, header) {
    var descending = header.getAttribute("aria-sort") === "ascending";
    var headers = table.tHead.rows[0].cells;
    for (var h = 0; h < headers.length; h++) { headers[h].removeAttribute("aria-sort"); }
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");

    var body = table.tBodies[0];
    var rows = [];
    for (var r = 0; r < body.rows.length; r++) {
      var cell = body.rows[r].cells[column];
      var raw = cell ? cell.getAttribute("data-sort") : "";
      rows.push({ row: body.rows[r], raw: raw, value: numeric ? parseFloat(raw) : raw, position: r });
    }
    rows.sort(function (a, b) {
      var aEmpty = a.raw === "" || a.raw === null, bEmpty = b.raw === "" || b.raw === null;
      if (aEmpty !== bEmpty) { return aEmpty ? 1 : -1; }
      var order = 0;
      if (!aEmpty) { order = numeric ? a.value - b.value : compareText(a.value, b.value); }
      if (descending) { order = -order; }
      return order || a.position - b.position;
    });
    for (var i = 0; i < rows.length; i++) { body.appendChild(rows[i].row); }
  }

  function enhance(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    for (var c = 0; c < headers.length; c++) {
      (function (header, column) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "sort-button";
        while (header.firstChild) { button.appendChild(header.firstChild); }
        var mark = document.createElement("span");
        mark.className = "sort-mark";
        mark.setAttribute("aria-hidden", "true");
        button.appendChild(mark);
        header.appendChild(button);
        button.addEventListener("click", function () {
          sortTable(table, column, header.hasAttribute("data-numeric"), header);
        });
      })(headers[c], c);
    }
    var section = table.parentNode && table.parentNode.parentNode;
    var hint = section ? section.querySelector(".sort-hint") : null;
    if (hint) { hint.hidden = false; }
  }

  var tables = document.querySelectorAll("table[data-sortable]");
  for (var t = 0; t < tables.length; t++) { enhance(tables[t]); }
})();
