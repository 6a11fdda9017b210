/* fundmatch – small page behaviour. No dependencies, loaded with `defer` after htmx.min.js.
 * Works with the strict CSP (script-src 'self'; style-src 'self'): no inline handlers, no eval,
 * no injected <style>. Everything uses event delegation, so content swapped in by htmx works too.
 *
 *   <meta name="csrf-token" content="...">    -> header X-CSRFToken on every htmx request
 *   <form data-confirm="Wirklich löschen?">   -> window.confirm before the form is submitted
 *   <button data-confirm="..." type="submit"> -> same, only for this submit button
 *   <button type="button" data-copy="Text">   -> copies "Text" to the clipboard
 */
(function () {
  "use strict";

  /* htmx: CSP-friendly settings. Deferred scripts run before DOMContentLoaded, htmx reads its
   * config on DOMContentLoaded, so this takes effect before htmx initialises. */
  if (window.htmx && window.htmx.config) {
    window.htmx.config.includeIndicatorStyles = false; // would inject an inline <style>; see style.css
    window.htmx.config.allowEval = false;              // no hx-on / js: / trigger filters (no 'unsafe-eval')
  }

  /* (a) CSRF token for htmx requests */
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  /* (b) data-confirm */
  function confirmText(element) {
    return element && element.getAttribute ? element.getAttribute("data-confirm") : null;
  }

  // Capture phase: runs before htmx's own submit listener on the form and before navigation.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter || document.activeElement;
    if (!submitter || submitter.form !== form) {
      submitter = null;
    }
    var question = confirmText(submitter) || confirmText(form);
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // htmx requests not started by a form submit (e.g. <button hx-post data-confirm="...">).
  document.addEventListener("htmx:confirm", function (event) {
    var detail = event.detail;
    var trigger = detail.triggeringEvent;
    if (trigger && trigger.type === "submit") {
      return; // already asked in the submit listener above
    }
    var question = confirmText(detail.elt);
    if (!question) {
      return;
    }
    event.preventDefault();
    if (window.confirm(question)) {
      detail.issueRequest(true);
    }
  });

  /* (c) data-copy: copy to clipboard, with a fallback for plain-http intranet hosts */
  var liveRegion = null;

  function announce(message) {
    if (!liveRegion) {
      liveRegion = document.createElement("div");
      liveRegion.className = "visually-hidden";
      liveRegion.setAttribute("role", "status");
      liveRegion.setAttribute("aria-live", "polite");
      document.body.appendChild(liveRegion);
    }
    liveRegion.textContent = "";
    window.setTimeout(function () { liveRegion.textContent = message; }, 50);
  }

  function fallbackCopy(text) {
    var previous = document.activeElement;
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (error) {
      ok = false;
    }
    document.body.removeChild(area);
    if (previous && previous.focus) {
      previous.focus(); // keep keyboard focus on the copy button
    }
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }

  function flashButton(button, label) {
    if (!button.hasAttribute("data-copy-label")) {
      button.setAttribute("data-copy-label", button.textContent);
    }
    button.textContent = label;
    window.clearTimeout(button._copyTimer);
    button._copyTimer = window.setTimeout(function () {
      button.textContent = button.getAttribute("data-copy-label");
      button.removeAttribute("data-copy-label");
      button.removeAttribute("data-copied");
    }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) {
      return;
    }
    event.preventDefault();
    var text = button.getAttribute("data-copy");
    copyText(text).then(function () {
      button.setAttribute("data-copied", "true");
      flashButton(button, "Kopiert ✓");
      announce("In die Zwischenablage kopiert.");
    }, function () {
      flashButton(button, "Kopieren fehlgeschlagen");
      announce("Kopieren fehlgeschlagen. Bitte den Text manuell markieren und kopieren.");
    });
  });
})();

// A failed htmx request (e.g. an expired CSRF token) says so instead of doing nothing.
document.addEventListener("htmx:responseError", function (event) {
  var main = document.querySelector("main");
  if (!main) { return; }
  var note = document.createElement("p");
  note.className = "flash error";
  note.setAttribute("role", "alert");
  note.textContent = "Die Aktion ist fehlgeschlagen (HTTP " + event.detail.xhr.status + "). Bitte laden Sie die Seite neu.";
  main.insertBefore(note, main.firstChild);
});
