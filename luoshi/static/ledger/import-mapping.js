// The import's name mapping (ledger/import_preview.html): filter the rows as the user types,
// and let a suggestion chip fill the row (a chosen chip clears the typed name, and the other
// way round). No framework; works without it (the server reads the form either way).
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var box = document.getElementById("name-filter");
    var rows = document.querySelectorAll("[data-name-row]");
    var shown = document.getElementById("name-filter-count");
    if (box) {
      box.addEventListener("input", function () {
        var q = box.value.trim().toLowerCase();
        var n = 0;
        rows.forEach(function (row) {
          var hit = !q || row.getAttribute("data-name-row").toLowerCase().indexOf(q) !== -1;
          row.classList.toggle("d-none", !hit);
          if (hit) n += 1;
        });
        if (shown) shown.textContent = String(n);
      });
    }
    rows.forEach(function (row) {
      var text = row.querySelector("input[type=text], input[type=search], input:not([type])");
      var picks = row.querySelectorAll("input[type=radio]");
      picks.forEach(function (p) {
        p.addEventListener("change", function () {
          if (p.checked && text) text.value = "";
        });
      });
      if (text) {
        text.addEventListener("input", function () {
          if (text.value) picks.forEach(function (p) { p.checked = false; });
        });
      }
    });
  });
})();
