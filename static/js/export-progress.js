/* The progress bar of a statement's XLSX or PDF being prepared (templates/billing/statement_export.html): polls
 * the job's JSON state every second and moves the bar; when the job is over (ready or failed) the page is loaded
 * again, and the server shows « Télécharger » or the error. Served by the application (CSP: no inline script);
 * without JavaScript the page's « Actualiser » link does the same by hand. */
(function () {
  "use strict";
  var box = document.querySelector("[data-export-state]");
  if (!box) {
    return;
  }
  var status = box.getAttribute("data-export-status");
  if (status !== "pending" && status !== "running") {
    return;
  }
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-export-progress]");
  var url = box.getAttribute("data-export-state");

  function plural(n, word) {
    return n + " " + word + (n > 1 ? "s" : "");
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (state) {
        if (state.status !== status && state.status !== "pending" && state.status !== "running") {
          window.location.reload();
          return;
        }
        status = state.status;
        box.setAttribute("data-export-status", status);
        if (bar) {
          bar.value = state.percent;
          bar.textContent = state.percent + " %";
        }
        if (text) {
          text.textContent = plural(state.rows_done, "ligne") + " sur " + state.rows_total + " (" + state.percent + " %).";
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        window.setTimeout(poll, 5000); // the server is busy or the network is down: try again, more slowly
      });
  }

  window.setTimeout(poll, 1000);
})();
