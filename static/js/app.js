// factcheck: what every page needs from JavaScript. Small and hand-written.
//
// When htmx gets an error it cannot show in place (a server error, a lost
// connection, a 403), nothing on the page is replaced, so whatever the
// reviewer typed stays in its form; this says what happened.
(function () {
  "use strict";

  function showError(text) {
    const box = document.getElementById("htmx-error");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(showError.timer);
    showError.timer = setTimeout(function () { box.hidden = true; }, 12000);
  }

  document.addEventListener("htmx:responseError", function (event) {
    const status = event.detail.xhr.status;
    let text;
    if (status === 403) text = "You are not allowed to do this in this project.";
    else if (status === 404) text = "This is no longer there: reload the page.";
    else text = "The server could not save this (error " + status + ").";
    showError(text + " Nothing you typed was lost: it is still in the form. Try again.");
  });

  document.addEventListener("htmx:sendError", function () {
    showError("The server cannot be reached. Nothing you typed was lost: it is still in the form. Try again when you are back online.");
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    const xhr = event.detail.xhr;
    if (xhr && xhr.status < 400) {
      const box = document.getElementById("htmx-error");
      if (box) box.hidden = true;
    }
  });
})();

// ----- selecting a passage of a text ------------------------------------------
//
// Shared by the review page (static/js/review.js: add a claim) and the source
// page (set an evidence link's excerpt). The box's textContent must be exactly
// the stored text (only text and marks inside).
(function () {
  "use strict";

  // The selection inside ``box`` as offsets in UTF-16 code units (what
  // JavaScript counts) into the box's text, trimmed of surrounding spaces;
  // null when nothing is selected there.
  function selectionIn(box) {
    const selection = window.getSelection();
    if (!box || !selection || !selection.rangeCount || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    if (!box.contains(range.startContainer) || !box.contains(range.endContainer)) return null;
    function upTo(node, offset) {
      const r = document.createRange();
      r.setStart(box, 0);
      r.setEnd(node, offset);
      return r.toString().length;
    }
    const text = box.textContent;
    let start = upTo(range.startContainer, range.startOffset);
    let end = upTo(range.endContainer, range.endOffset);
    while (start < end && /\s/.test(text[start])) start++;
    while (end > start && /\s/.test(text[end - 1])) end--;
    if (start >= end) return null;
    return { start: start, end: end, quote: text.slice(start, end) };
  }

  // A UTF-16 offset into ``text`` as a code-point offset (a Python string
  // index): every astral character (an emoji) is two units but one point.
  function codePointOffset(text, units) {
    return Array.from(text.slice(0, units)).length;
  }

  window.factcheck = { selectionIn: selectionIn, codePointOffset: codePointOffset };

  // The source page: a passage selected in the snapshot fills the excerpt
  // form, in code points, which the server checks against the quote.
  function onSnapshotPointer(event) {
    const box = document.querySelector("[data-excerpt-text]");
    const form = document.getElementById("excerpt-form");
    if (!box || !form || !box.contains(event.target)) return;
    const span = selectionIn(box);
    if (!span) return;
    const text = box.textContent;
    form.elements.quote.value = span.quote;
    form.elements.start.value = codePointOffset(text, span.start);
    form.elements.end.value = codePointOffset(text, span.end);
    const shown = form.querySelector("[data-excerpt-quote]");
    if (shown) shown.textContent = span.quote;
    const hint = form.querySelector("[data-selection-hint]");
    const next = form.dataset.selectedHint || "choose the link it quotes and save.";
    if (hint) hint.textContent = "Selected " + Array.from(span.quote).length + " characters: " + next;
  }
  document.addEventListener("mouseup", onSnapshotPointer);
  document.addEventListener("keyup", function (event) { if (event.shiftKey) onSnapshotPointer(event); });

  // Typing an excerpt by hand (the article excerpt page): the offsets of an
  // earlier selection no longer apply; the server looks for the words.
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("#excerpt-form [data-excerpt-quote-field]") && event.isTrusted) {
      event.target.form.elements.start.value = "";
      event.target.form.elements.end.value = "";
    }
  });
})();
