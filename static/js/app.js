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
