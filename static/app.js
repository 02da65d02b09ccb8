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
  // A table wider than its box scrolls sideways inside it (.table-wrap). A keyboard user can
  // only scroll a box that takes the focus (WCAG 2.1.1), and a box that takes the focus needs
  // a role and a name to be announced. Boxes that fit take no focus: a tab stop that does
  // nothing is a nuisance. Boxes the templates made focusable themselves are left as they are.
  function markScrollBoxes() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      var ours = box.hasAttribute("data-scroll-box");
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-box", "");
        if (!box.hasAttribute("role")) { box.setAttribute("role", "region"); }
        if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
          box.setAttribute("aria-label", scrollBoxName(box));
        }
      } else if (!scrolls && ours) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-box");
      }
    });
  }
  // scrollBoxName names a box after its table's caption, or else the heading before it.
  function scrollBoxName(box) {
    var cap = box.querySelector("caption");
    if (cap && cap.textContent.trim()) { return cap.textContent.trim(); }
    for (var el = box; el && el !== document.body; el = el.parentElement) {
      for (var s = el.previousElementSibling; s; s = s.previousElementSibling) {
        var hs = /^(H[1-4]|SUMMARY)$/.test(s.tagName) ? [s] : s.querySelectorAll("h1, h2, h3, h4");
        var h = hs[hs.length - 1];
        // "table" keeps it apart from the section the heading names, a region of its own.
        if (h && h.textContent.trim()) { return h.textContent.trim() + " table"; }
      }
    }
    return "Table";
  }
  var pending = false;
  function soon() {
    if (pending) { return; }
    pending = true;
    requestAnimationFrame(function () { pending = false; markScrollBoxes(); });
  }
  document.addEventListener("DOMContentLoaded", markScrollBoxes);
  window.addEventListener("resize", soon);
  document.addEventListener("htmx:afterSettle", soon);
  document.addEventListener("toggle", soon, true); // <details> opened: its table has a width now
  // Elements with data-confirm ask before their form submits (used for destructive actions).
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); }
  }, true);
})();
