// After a failed submit, the error summary is the first thing read: the focus moves to it (it has tabindex="-1").
// No inline script (CSP).
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
})();
