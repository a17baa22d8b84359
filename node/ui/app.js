// c2c ui: the one script of the pages. Everything works without it; it only
// puts the cursor on the first field to correct, says that a long action
// (a sync, an import) is under way while the server works, and follows a
// running sync: it asks the server for the block #sync-progress every
// moment and puts it in place (without script, the page reloads itself).
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
  followSync();
});

function followSync() {
  var box = document.getElementById("sync-progress");
  if (!box || box.getAttribute("data-state") !== "running") return;
  var run = box.getAttribute("data-run");
  var poll = function () {
    var x = new XMLHttpRequest();
    x.open("GET", "/sync/progress?run=" + encodeURIComponent(run));
    x.onload = function () {
      if (x.status !== 200) {
        window.setTimeout(poll, 2000);
        return;
      }
      var doc = new DOMParser().parseFromString(x.responseText, "text/html");
      var next = doc.getElementById("sync-progress");
      var cur = document.getElementById("sync-progress");
      if (!next || !cur) return;
      cur.parentNode.replaceChild(document.importNode(next, true), cur);
      if (next.getAttribute("data-state") === "running") window.setTimeout(poll, 700);
      else window.location.replace("/sync?run=" + encodeURIComponent(run)); // the result, and the remotes' new state
    };
    x.onerror = function () { window.setTimeout(poll, 2000); };
    x.send();
  };
  window.setTimeout(poll, 500);
}
