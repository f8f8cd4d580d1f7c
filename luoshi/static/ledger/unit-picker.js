/* Unit pickers of the task form: searchable (Tom Select), order kept (the first responsible
   unit leads). Reorder by dragging (desktop) or with the ↑ button on each unit (phones).
   The <select multiple> underneath is what the form posts: Tom Select writes the chosen
   options into it in the order shown, and the server keeps that order (OrderedUnitsField).
   Every label comes from the select's data-* attributes, rendered translated by Django. */
(function () {
  "use strict";

  function moveEarlier(ts, value) {
    var values = ts.items.slice();
    var i = values.indexOf(value);
    if (i <= 0) return;
    values.splice(i, 1);
    values.splice(i - 1, 0, value);
    ts.setValue(values);
  }

  function setup(select) {
    if (select.tomselect || typeof TomSelect === "undefined") return;
    var d = select.dataset;
    var lead = d.unitPicker === "lead";
    var ts = new TomSelect(select, {
      plugins: {
        remove_button: { title: d.removeLabel || "×" },
        drag_drop: {},
      },
      maxOptions: 200,
      closeAfterSelect: true,
      placeholder: d.placeholder || "",
      render: {
        item: function (data, escape) {
          return (
            '<div class="unit-item"' +
            (lead ? ' data-lead="' + escape(d.leadLabel || "") + '"' : "") +
            ">" +
            '<span class="ts-move" role="button" tabindex="-1" title="' +
            escape(d.moveLabel || "↑") + '" aria-label="' + escape(d.moveLabel || "↑") +
            '">↑</span>' +
            "<span>" + escape(data.text) + "</span></div>"
          );
        },
        no_results: function () {
          return '<div class="no-results">' + (d.noResults || "") + "</div>";
        },
      },
    });
    ts.wrapper.classList.add("unit-picker");
    if (lead) ts.wrapper.classList.add("unit-picker-lead");
    // The ↑ button: before Tom Select sees the press (which would open the dropdown or start
    // a drag), move the unit one place earlier.
    ts.control.addEventListener(
      "mousedown",
      function (evt) {
        if (evt.target.closest(".ts-move")) {
          evt.preventDefault();
          evt.stopPropagation();
        }
      },
      true
    );
    ts.control.addEventListener(
      "click",
      function (evt) {
        var btn = evt.target.closest(".ts-move");
        if (!btn) return;
        evt.preventDefault();
        evt.stopPropagation();
        var item = btn.closest("[data-value]");
        if (item) moveEarlier(ts, item.dataset.value);
      },
      true
    );
  }

  function init(root) {
    (root || document).querySelectorAll("select[data-unit-picker]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(); });
  } else {
    init();
  }
})();
