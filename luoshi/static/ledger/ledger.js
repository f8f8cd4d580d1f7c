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

/* The unit filter of a large scope (data-unit-search): the page lists only the chosen unit and
   the others are found as the user types, from the units API (scoped like the page). */
(function () {
  "use strict";

  function setup(select) {
    if (select.tomselect || typeof TomSelect === "undefined") return;
    var d = select.dataset;
    new TomSelect(select, {
      valueField: "id",
      labelField: "name",
      searchField: ["name"],
      maxOptions: 50,
      preload: false,
      placeholder: d.placeholder || "",
      allowEmptyOption: true,
      load: function (query, callback) {
        var url = d.unitSearch + "?" + new URLSearchParams({ search: query, page_size: "50" });
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (resp) { return resp.ok ? resp.json() : { results: [] }; })
          .then(function (data) { callback(data.results || []); })
          .catch(function () { callback(); });
      },
      render: {
        no_results: function () {
          return '<div class="no-results">' + (d.noResults || "") + "</div>";
        },
      },
    });
  }

  function setupAll() {
    document.querySelectorAll("select[data-unit-search]").forEach(setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setupAll);
  else setupAll();
})();
