// idswap's own script: only what htmx attributes cannot say. No inline scripts exist, so the
// Content-Security-Policy can forbid them.
(function () {
  "use strict";
  // Move keyboard focus to the first field marked invalid after htmx swaps a form back in, so a
  // keyboard user lands on what needs fixing. The event fires on the content swapped in (for an
  // outerHTML swap detail.target is the element that was replaced). A region marked
  // data-keep-focus — live results while someone types elsewhere — never takes the focus.
  // A region that names the next thing to do (data-focus, the change request wizard) sends the
  // focus there instead, so that after every step the keyboard is where the work is.
  document.addEventListener("htmx:afterSwap", function (e) {
    var root = e.target instanceof Element ? e.target : e.detail.target;
    if (root.closest("[data-keep-focus]")) { return; }
    var holder = root.matches("[data-focus]") ? root : root.querySelector("[data-focus]");
    var next = holder && holder.getAttribute("data-focus") ? document.getElementById(holder.getAttribute("data-focus")) : null;
    var bad = next || root.querySelector("[aria-invalid=true]");
    if (bad && typeof bad.focus === "function") {
      bad.focus();
      if (bad.scrollIntoView) { bad.scrollIntoView({ block: "nearest" }); }
    }
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
  // Enter in a search box inside a bigger form (the wizard's "Search the inventory") searches,
  // instead of submitting the whole form and throwing the focus to the top.
  // The keydown searches; the keypress and the submit that Enter would still cause (a browser
  // may send them apart from the keydown) are stopped before htmx sees them.
  function searchBox(el) { return el instanceof Element && el.getAttribute("data-enter") === "search" ? el : null; }
  document.addEventListener("keydown", function (e) {
    var el = searchBox(e.target);
    if (e.key !== "Enter" || !el) { return; }
    e.preventDefault();
    if (window.htmx) { window.htmx.trigger(el, "search"); }
  });
  document.addEventListener("keypress", function (e) {
    if (e.key === "Enter" && searchBox(e.target)) { e.preventDefault(); }
  });
  document.addEventListener("submit", function (e) {
    var el = searchBox(document.activeElement);
    if (!el || !e.target.contains(el) || (e.submitter && e.submitter.value !== "check")) { return; }
    e.preventDefault();
    e.stopImmediatePropagation();
  }, true);

  // Copy buttons beside identifiers: shown only where the clipboard works.
  function showCopyButtons(root) {
    if (!navigator.clipboard) { return; }
    root.querySelectorAll("button.copy[hidden]").forEach(function (b) { b.hidden = false; });
  }
  document.addEventListener("click", function (e) {
    var b = e.target instanceof Element ? e.target.closest("button.copy") : null;
    if (!b) { return; }
    navigator.clipboard.writeText(b.getAttribute("data-copy")).then(function () {
      b.textContent = "Copied";
      b.classList.add("copied");
      setTimeout(function () { b.textContent = "Copy"; b.classList.remove("copied"); }, 1500);
    });
  });

  // A request list's whole row opens the request: a click anywhere on it (but on a link or a
  // button of its own) follows the row's link. Keyboard users have the link itself.
  document.addEventListener("click", function (e) {
    var t = e.target instanceof Element ? e.target : null;
    var row = t ? t.closest("tr.row-link") : null;
    if (!row || t.closest("a, button, input, select, label")) { return; }
    var a = row.querySelector("a.row-target");
    if (a) { a.click(); }
  });

  // The inventory's selection: "select every line on this page", and a count of the chosen.
  function selectionCount(form) {
    var out = form.querySelector("[data-selected-count]");
    if (!out) { return; }
    var all = form.querySelector("[data-select-matching]");
    var n = form.querySelectorAll("input[name=device]:checked").length;
    out.textContent = all && all.checked ? "Every line matching the filter is selected." :
      (n === 0 ? "" : n + (n === 1 ? " line" : " lines") + " selected.");
  }
  document.addEventListener("change", function (e) {
    var t = e.target;
    var form = t instanceof Element ? t.closest("form[data-selection]") : null;
    if (!form) { return; }
    if (t.hasAttribute("data-select-page")) {
      form.querySelectorAll("input[name=device]").forEach(function (c) { c.checked = t.checked; });
    }
    selectionCount(form);
  });
  // Nothing selected: say so instead of opening an empty wizard.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute("data-selection")) { return; }
    var all = form.querySelector("[data-select-matching]");
    if ((all && all.checked) || form.querySelector("input[name=device]:checked")) {
      if (!(all && all.checked)) {
        // Only the chosen lines: the filter's fields would make the wizard take them all.
        form.querySelectorAll("input[type=hidden]").forEach(function (h) { h.disabled = true; });
      }
      return;
    }
    e.preventDefault();
    var out = form.querySelector("[data-selected-count]");
    if (out) { out.textContent = "Select lines first: tick them, or every line matching the filter."; }
  });

  // The wizard's draft: every field of the unsent request is kept in this browser as it is
  // typed, so an expired session or a reload loses nothing. A page that opens empty gets the
  // draft back; a request that was submitted (its page shows) forgets it; signing out forgets
  // every draft, so the next person at this browser does not see them.
  var DRAFT_FIELDS = ["idem", "tenant", "provider", "type", "reason", "rows"];
  function draftForm() { return document.querySelector("form[data-draft]"); }
  function saveDraft() {
    var form = draftForm();
    if (!form || !form.getAttribute("data-draft")) { return; }
    var d = {};
    DRAFT_FIELDS.forEach(function (n) {
      var el = form.elements[n];
      if (!el) { return; }
      d[n] = el.value;
    });
    try { localStorage.setItem(form.getAttribute("data-draft"), JSON.stringify(d)); } catch (err) { /* storage full or off */ }
  }
  function restoreDraft() {
    var form = draftForm();
    if (!form || !form.getAttribute("data-draft")) { return; }
    var key = form.getAttribute("data-draft");
    var raw = null;
    try { raw = localStorage.getItem(key); } catch (err) { return; }
    if (!raw) { return; }
    var pristine = !form.elements.rows.value.trim() && !form.elements.reason.value.trim() && !form.querySelector("[data-testid=notices]");
    var d;
    try { d = JSON.parse(raw); } catch (err) { return; }
    if (!pristine || !d || (!(d.rows || "").trim() && !(d.reason || "").trim())) { return; }
    DRAFT_FIELDS.forEach(function (n) {
      var el = form.elements[n];
      if (!el || d[n] === undefined || d[n] === "") { return; }
      if (el instanceof RadioNodeList) {
        Array.prototype.forEach.call(el, function (r) { r.checked = r.value === d[n]; });
      } else {
        el.value = d[n];
      }
    });
    var note = document.createElement("div");
    note.className = "alert info";
    note.setAttribute("role", "status");
    note.setAttribute("data-testid", "draft-restored");
    note.textContent = "Your unsent request is back as you left it. ";
    var drop = document.createElement("button");
    drop.type = "button";
    drop.className = "btn small secondary";
    drop.textContent = "Start afresh";
    drop.addEventListener("click", function () {
      try { localStorage.removeItem(key); } catch (err) { /* nothing to forget */ }
      window.location.reload();
    });
    note.appendChild(drop);
    form.insertBefore(note, form.querySelector("section"));
    // Check the restored rows at once, as if they had been typed.
    if (window.htmx && form.elements.rows.value.trim()) { window.htmx.trigger(form.elements.rows, "input"); }
  }
  document.addEventListener("input", function (e) {
    if (e.target instanceof Element && e.target.closest("form[data-draft]")) { saveDraft(); }
  });
  document.addEventListener("change", function (e) {
    if (e.target instanceof Element && e.target.closest("form[data-draft]")) { saveDraft(); }
  });
  // Steps that rewrite the rows (fixes, drops, adds, uploads) change the text box on the server.
  document.addEventListener("htmx:afterSettle", function () { saveDraft(); });
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail.elt;
    var form = draftForm();
    if (form && elt && elt.getAttribute && elt.getAttribute("value") === "submit" && elt.closest("form[data-draft]")) {
      try { sessionStorage.setItem("idswap.submitted", form.getAttribute("data-draft")); } catch (err) { /* ignore */ }
    }
  });
  function forgetSubmitted() {
    var key = null;
    try { key = sessionStorage.getItem("idswap.submitted"); } catch (err) { return; }
    if (!key) { return; }
    if (document.getElementById("bulk-status")) {
      try { localStorage.removeItem(key); sessionStorage.removeItem("idswap.submitted"); } catch (err) { /* ignore */ }
    } else if (draftForm()) {
      try { sessionStorage.removeItem("idswap.submitted"); } catch (err) { /* ignore */ }
    }
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.getAttribute("action") === "/logout") {
      try {
        for (var i = localStorage.length - 1; i >= 0; i--) {
          var k = localStorage.key(i);
          if (k && k.indexOf("idswap.draft.") === 0) { localStorage.removeItem(k); }
        }
      } catch (err) { /* ignore */ }
    }
    // A plain (no htmx) submit of the wizard: remember it, as above.
    var sub = e.submitter;
    if (sub && sub.getAttribute("value") === "submit" && form.hasAttribute("data-draft")) {
      try { sessionStorage.setItem("idswap.submitted", form.getAttribute("data-draft")); } catch (err) { /* ignore */ }
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    forgetSubmitted();
    restoreDraft();
    showCopyButtons(document);
  });
  document.addEventListener("htmx:afterSettle", function (e) {
    showCopyButtons(e.detail.elt instanceof Element ? e.detail.elt : document);
  });

  // Elements with data-confirm ask before their form submits (used for destructive actions).
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); }
  }, true);
})();
