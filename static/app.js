// idswap's own script: only what htmx attributes cannot say. No inline scripts exist, so the
// Content-Security-Policy can forbid them.
(function () {
  "use strict";
  // Move keyboard focus to the first field marked invalid after htmx swaps a form back in, so a
  // keyboard user lands on what needs fixing. The event fires on the content swapped in (for an
  // outerHTML swap detail.target is the element that was replaced). A region marked
  // data-keep-focus — live results while someone types elsewhere — never takes the focus.
  document.addEventListener("htmx:afterSwap", function (e) {
    var root = e.target instanceof Element ? e.target : e.detail.target;
    if (root.closest("[data-keep-focus]")) { return; }
    var bad = root.querySelector("[aria-invalid=true]");
    if (bad && typeof bad.focus === "function") { bad.focus(); }
  });
  // A row's log loaded on demand takes the keyboard focus, so the reader starts there.
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target.id === "row-log") { e.detail.target.focus(); }
  });
  // Elements with data-confirm ask before their form submits (used for destructive actions).
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); }
  }, true);
})();
