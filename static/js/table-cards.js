// Tables as cards on a phone (static/css/app.css): each cell is given its column's name (data-label). And a table
// that still scrolls sideways (a wide screen's long table) can be reached with the keyboard (tabindex="0").
// No inline script (CSP).
(function () {
  "use strict";
  document.querySelectorAll(".fr-table table").forEach(function (table) {
    var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, index) {
        if (names[index] && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", names[index]);
        }
      });
    });
    if (table.scrollWidth > table.clientWidth && !table.hasAttribute("tabindex")) {
      table.setAttribute("tabindex", "0");
    }
  });
})();
