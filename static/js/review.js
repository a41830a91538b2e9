// The review page: keyboard, selection of claims, adding a claim from the
// text, and keeping what the reviewer types. Everything here is an aid: the
// page works without it (links and plain forms).
(function () {
  "use strict";

  const DRAFT_PREFIX = "factcheck-draft:";
  let current = null; // the selected claim's id, as a string
  let loadTimer = null;

  function root() { return document.querySelector("[data-review]"); }
  function row(id) { return document.getElementById("claim-" + id); }
  function badge(id) { return document.getElementById("hl-" + id); }
  function rows() { return Array.from(document.querySelectorAll("#claim-list .claim-row")); }
  function detail() { return document.getElementById("claim-detail"); }

  // ----- which claim is selected -------------------------------------------

  function mark(id) {
    document.querySelectorAll(".is-current").forEach(function (el) {
      el.classList.remove("is-current");
      el.removeAttribute("aria-current");
    });
    if (!id) return;
    const r = row(id);
    if (r) { r.classList.add("is-current"); r.setAttribute("aria-current", "true"); }
    const b = badge(id);
    if (b) b.classList.add("is-current");
    document.querySelectorAll('#article-text [data-claims~="' + id + '"]').forEach(function (el) {
      el.classList.add("is-current");
    });
  }

  function loadDetail(id) {
    const d = detail();
    if (d && d.dataset.claim === String(id)) return Promise.resolve();
    const url = root().dataset.detailUrl.replace(/\/0\/$/, "/" + id + "/");
    return htmx.ajax("GET", url, { target: "#claim-detail", swap: "outerHTML" });
  }

  // how: "row" (clicked in the list), "text" (clicked in the text), "key".
  function select(id, how) {
    id = String(id);
    current = id;
    mark(id);
    const url = new URL(window.location.href);
    url.searchParams.set("claim", id);
    url.hash = "";
    history.replaceState(null, "", url);
    const r = row(id);
    const b = badge(id);
    const link = r && r.querySelector(".claim-link");
    if (how === "row") {
      if (b) { b.scrollIntoView({ block: "center" }); b.focus({ preventScroll: true }); }
    } else if (how === "text") {
      if (r) r.scrollIntoView({ block: "nearest" });
      if (link) link.focus({ preventScroll: true });
    } else {
      if (r) r.scrollIntoView({ block: "nearest" });
      if (b) b.scrollIntoView({ block: "nearest" });
      if (link) link.focus({ preventScroll: true });
    }
    clearTimeout(loadTimer);
    loadTimer = setTimeout(function () { loadDetail(id); }, how === "key" ? 120 : 0);
  }

  function move(delta) {
    const list = rows();
    if (!list.length) return;
    let index = list.findIndex(function (r) { return r.dataset.claim === current; });
    if (index < 0) index = delta > 0 ? 0 : list.length - 1;
    else index = Math.min(list.length - 1, Math.max(0, index + delta));
    select(list[index].dataset.claim, "key");
  }

  // Run fn once the detail panel shows the selected claim.
  function withDetail(fn) {
    if (!current) {
      const first = rows()[0];
      if (!first) return;
      select(first.dataset.claim, "key");
    }
    clearTimeout(loadTimer);
    const want = current;
    const d = detail();
    if (d && d.dataset.claim === want) { fn(want); return; }
    loadDetail(want).then(function () { if (current === want) fn(want); });
  }

  function decide(action) {
    if (!current) return;
    const r = row(current);
    const button = r && r.querySelector('button[value="' + action + '"]');
    if (button) button.click();
  }

  function verdict(slug) {
    withDetail(function (id) {
      const form = document.getElementById("verdict-form-" + id);
      const radio = form && form.querySelector('input[name="label"][value="' + slug + '"]');
      if (!radio) return;
      radio.checked = true;
      form.dataset.dirty = "1";
      form.requestSubmit();
    });
  }

  function focusIn(formId, selector) {
    withDetail(function (id) {
      const form = document.getElementById(formId + id);
      const field = form && form.querySelector(selector);
      if (field) { field.scrollIntoView({ block: "nearest" }); field.focus(); }
    });
  }

  // c / v: confirm or reject the selected claim's first suggested match.
  function matchDecide(action) {
    withDetail(function (id) {
      const section = document.getElementById("matches-" + id);
      const button = section && section.querySelector('[data-first-suggested] button[value="' + action + '"]');
      if (!button) return;
      // A section swapped in a moment ago is wired up by htmx only when the
      // swap settles; a quick key would post the plain form instead.
      htmx.process(button.form);
      button.click();
    });
  }

  function toggleShortcuts() {
    const dialog = document.getElementById("shortcuts");
    if (!dialog) return;
    if (dialog.open) dialog.close();
    else dialog.showModal();
  }

  const KEYS = {
    j: function () { move(1); },
    k: function () { move(-1); },
    a: function () { decide("accept"); },
    x: function () { decide("dismiss"); },
    s: function () { verdict("supported"); },
    d: function () { verdict("disputed"); },
    r: function () { focusIn("verdict-form-", 'textarea[name="rationale"]'); },
    e: function () { focusIn("evform-", 'input[type="url"]'); },
    c: function () { matchDecide("confirm"); },
    v: function () { matchDecide("reject"); },
    n: function () {
      const next = document.getElementById("next-article");
      if (next) window.location.href = next.href;
    },
    "?": toggleShortcuts,
  };

  function typing(el) {
    if (!el || !el.tagName) return false;
    if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    return el.tagName === "INPUT" && !/^(radio|checkbox|button|submit|reset)$/.test(el.type);
  }

  document.addEventListener("keydown", function (event) {
    if (!root()) return;
    const target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.form && target.tagName === "TEXTAREA") {
      event.preventDefault();
      target.form.requestSubmit();
      return;
    }
    if (event.key === "Escape" && typing(target)) { target.blur(); return; }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(target)) return;
    const dialog = document.getElementById("shortcuts");
    if (dialog && dialog.open && event.key !== "?") return;
    const handler = KEYS[event.key];
    if (!handler) return;
    event.preventDefault();
    handler();
  });

  // ----- clicks on either side -----------------------------------------------

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-show-shortcuts]")) { toggleShortcuts(); return; }
    const link = event.target.closest(".claim-link, #article-text .badge");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    select(link.dataset.claim, link.classList.contains("badge") ? "text" : "row");
  });

  // ----- adding a claim from a selection -------------------------------------

  // Offsets in UTF-16 code units (what JavaScript counts) into the text box's
  // text, which is exactly the article's canonical text: the badges hold no
  // text. The server converts them to code points and checks the quote.
  function selectionInText() {
    return window.factcheck.selectionIn(document.getElementById("article-text"));
  }

  function offerClaim(span) {
    const form = document.getElementById("add-claim");
    if (!form) return;
    form.elements["new-quote"].value = span.quote;
    form.elements["new-start_utf16"].value = span.start;
    form.elements["new-end_utf16"].value = span.end;
    const box = document.getElementById("add-claim-box");
    if (box) box.open = true;
    const hint = form.querySelector("[data-selection-hint]");
    if (hint) hint.textContent = "Selected " + Array.from(span.quote).length + " characters: add them as a claim?";
  }

  function onTextPointer(event) {
    const box = document.getElementById("article-text");
    if (!box || !box.contains(event.target)) return;
    const span = selectionInText();
    if (span) { offerClaim(span); return; }
    const segment = event.target.closest && event.target.closest(".hl");
    if (segment && event.type === "mouseup") select(segment.dataset.claim, "text");
  }
  document.addEventListener("mouseup", onTextPointer);
  document.addEventListener("keyup", function (event) { if (event.shiftKey) onTextPointer(event); });

  // Typing a quote by hand: the offsets of an earlier selection no longer apply.
  document.addEventListener("input", function (event) {
    if (event.target.name === "new-quote" && event.isTrusted) {
      const form = event.target.form;
      form.elements["new-start_utf16"].value = "";
      form.elements["new-end_utf16"].value = "";
    }
  });

  // ----- never lose what was typed -------------------------------------------

  // Drafts: every field of a form marked data-draft is kept in localStorage
  // as it is typed, until the server has saved it. A panel replaced by j/k,
  // a reload or a crash brings it back.
  function draftKey(form, field) {
    return DRAFT_PREFIX + window.location.pathname + ":" + form.dataset.draft + ":" + field.name;
  }
  function draftFields(form) {
    return Array.from(form.elements).filter(function (el) {
      return el.name && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && /^(text|url|search)$/.test(el.type)));
    });
  }

  document.addEventListener("input", function (event) {
    const form = event.target.form;
    if (!form) return;
    if (form.hasAttribute("data-guard")) form.dataset.dirty = "1";
    if (form.dataset.draft && draftFields(form).indexOf(event.target) >= 0) {
      try { localStorage.setItem(draftKey(form, event.target), event.target.value); } catch (e) { /* storage full or off */ }
    }
  });
  document.addEventListener("change", function (event) {
    const form = event.target.form;
    if (form && form.hasAttribute("data-guard")) form.dataset.dirty = "1";
  });

  function restoreDrafts() {
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      let restored = false;
      draftFields(form).forEach(function (field) {
        let saved = null;
        try { saved = localStorage.getItem(draftKey(form, field)); } catch (e) { return; }
        if (saved !== null && saved !== field.value) { field.value = saved; restored = true; }
      });
      if (restored && !form.querySelector(".draft-note")) {
        form.dataset.dirty = "1";
        const note = document.createElement("p");
        note.className = "draft-note";
        note.setAttribute("role", "status");
        note.textContent = "Your unsaved text was restored.";
        (form.querySelector("fieldset") || form).prepend(note);
      }
    });
  }

  function clearDrafts(form) {
    draftFields(form).forEach(function (field) {
      try { localStorage.removeItem(draftKey(form, field)); } catch (e) { /* nothing kept */ }
    });
  }

  // Before the swap: afterwards the form is detached and its events no
  // longer reach the document.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const form = event.detail.requestConfig && event.detail.requestConfig.elt;
    const xhr = event.detail.xhr;
    if (form && form.dataset && form.dataset.draft && xhr && xhr.status >= 200 && xhr.status < 300) {
      clearDrafts(form);
    }
  });

  // A form the reviewer has started changing is never replaced out of band
  // (by another action's refresh); saving it later is checked against the
  // claim's version like any other save.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    const target = event.detail.target;
    if (target && target.matches && target.matches("form[data-guard]") && target.dataset.dirty) {
      event.preventDefault();
    }
  });

  // The search for evidence to link. htmx starts listening to a field it
  // swapped in only when the swap settles (20 ms later, when the flash of the
  // same response already shows), and its "changed" filter then takes the
  // text in the field as searched: what was typed in between was never
  // searched. And the response to "Link evidence" replaces the field the
  // reviewer may be typing in, losing the text and the search waiting for
  // its delay. So the page keeps what was typed in each search field, puts
  // it back in the same task as the swap (before the next keystroke), and
  // once htmx listens, searches for a field's text if the server did not
  // render the results for it.
  const SEARCH = '.target-search input[type="search"]';
  const searchText = new Map(); // field id -> the text typed in it

  function isSearch(el) { return Boolean(el && el.id && el.matches && el.matches(SEARCH)); }
  function searchFields(elt) {
    if (!elt || !elt.querySelectorAll) return [];
    return isSearch(elt) ? [elt] : Array.from(elt.querySelectorAll(SEARCH)).filter(isSearch);
  }

  document.addEventListener("input", function (event) {
    if (!isSearch(event.target)) return;
    if (event.target.value) searchText.set(event.target.id, event.target.value);
    else searchText.delete(event.target.id);
  });

  // For a swap in or out of band alike; the caret goes to the end.
  document.addEventListener("htmx:afterSwap", function (event) {
    searchFields(event.target).forEach(function (field) {
      const typed = searchText.get(field.id);
      if (typed !== undefined && field.value === field.defaultValue) field.value = typed;
    });
  });

  document.addEventListener("htmx:load", function (event) {
    searchFields(event.target).forEach(function (field) {
      if (field.value !== field.defaultValue && field.form) field.form.requestSubmit();
    });
  });

  // A new claim's detail panel arrives out of band: select it.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    const target = event.detail.target;
    if (target && target.id === "claim-detail") {
      const d = detail();
      if (d && d.dataset.claim) current = d.dataset.claim;
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    mark(current);
    restoreDrafts();
    if (current && document.activeElement === document.body) {
      const r = row(current);
      const link = r && r.querySelector(".claim-link");
      if (link) link.focus({ preventScroll: true });
    }
  });

  function start() {
    if (!root()) return;
    const d = detail();
    if (d && d.dataset.claim) { current = d.dataset.claim; mark(current); }
    restoreDrafts();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
