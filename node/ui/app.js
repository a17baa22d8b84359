// c2c ui: the one script of the pages. Everything works without it; it only
// puts the cursor on the first field to correct, and says that a long
// action (a sync, an import) is under way while the server works.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var bad = document.querySelector(".field.invalid input, .field.invalid textarea, .field.invalid select");
  if (bad) bad.focus();
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault();
    });
  });
  document.querySelectorAll("form.sync, form.upload").forEach(function (f) {
    f.addEventListener("submit", function () {
      var b = f.querySelector("button[type=submit]");
      if (b) {
        b.disabled = true;
        b.classList.add("busy");
      }
      document.body.classList.add("working");
    });
  });
});
