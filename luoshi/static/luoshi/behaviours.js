// Small page behaviours declared in the markup with data-* attributes, so that no page needs an
// inline script or event handler: the Content-Security-Policy runs scripts from this server only.
//   data-submit-on-change   a select or checkbox that submits its form when changed
//   data-confirm="…"        a button (or form) that asks before it submits
//   data-print / data-back  a button that prints the page / goes back
//   data-check-all="name"   a checkbox that ticks every checkbox of that name
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var el = e.target.closest("[data-submit-on-change]");
    if (el && el.form) el.form.submit();
  });
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-print]");
    if (el) { window.print(); return; }
    el = e.target.closest("[data-back]");
    if (el) { history.back(); return; }
    el = e.target.closest("[data-check-all]");
    if (el) {
      document.querySelectorAll('input[type="checkbox"][name="' + el.dataset.checkAll + '"]')
        .forEach(function (box) { box.checked = el.checked; });
      return;
    }
    el = e.target.closest("button[data-confirm], input[data-confirm]");
    if (el && !window.confirm(el.dataset.confirm)) e.preventDefault();
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      e.preventDefault();
    }
  });
})();
