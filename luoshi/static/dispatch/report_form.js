/* The report form: a live count under each limited text box ("已输入 N / M 字"), and the
   attachment block that htmx swaps in place (choosing a file saves the draft and uploads it
   in one request, so nothing typed is lost). */
(function () {
  "use strict";

  function length(text) {
    return Array.from(text).length; // characters as the server counts them (a line break is one)
  }

  function counter(box) {
    var max = parseInt(box.getAttribute("maxlength"), 10);
    var format = box.getAttribute("data-counter") || "{n} / {max}";
    // The field's help text ("at most M characters") becomes the live count.
    var out = box.parentElement.querySelector(".form-text");
    if (!out) {
      out = document.createElement("div");
      out.className = "form-text";
      box.insertAdjacentElement("afterend", out);
    }
    out.classList.add("char-counter");
    out.id = out.id || box.id + "-count";
    out.setAttribute("aria-live", "polite");
    box.setAttribute("aria-describedby", out.id);
    function update() {
      var n = length(box.value);
      out.textContent = format.replace("{n}", n).replace("{max}", max);
      out.classList.toggle("over", n > max);
    }
    box.addEventListener("input", update);
    update();
  }

  function init() {
    document.querySelectorAll("textarea[maxlength][data-counter]").forEach(counter);
    var form = document.getElementById("report-form");
    if (form && window.htmx) {
      form.classList.add("js-upload");
    }
  }

  // A refused upload (bad file, stale page, text too long) still shows its reason in place.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var status = event.detail.xhr.status;
    if (target && target.id === "attachments" && status >= 400 && status < 500) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
