/* The ledger page's multi-valued filters (<details class="filter-multi">): close an open one on
   a click elsewhere, and keep its summary naming what is chosen. The form itself is sent by
   htmx on every change (task_list.html); without script the <details> still work. */
(function () {
  "use strict";

  function summarise(details) {
    var summary = details.querySelector("summary");
    var chosen = [];
    details.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
      var label = details.querySelector("label[for='" + box.id + "']");
      if (label) chosen.push(label.textContent.trim());
    });
    summary.textContent = chosen.length ? chosen.join("、") : summary.dataset.empty;
  }

  document.addEventListener("change", function (evt) {
    var details = evt.target.closest && evt.target.closest("details.filter-multi");
    if (details) summarise(details);
  });

  document.addEventListener("click", function (evt) {
    document.querySelectorAll("details.filter-multi[open]").forEach(function (details) {
      if (!details.contains(evt.target)) details.removeAttribute("open");
    });
  });
})();
