// Suggestions for a commune field: fills its <datalist> from /communes/recherche/?q= as the person types.
// Progressive enhancement: without this script a name or an INSEE code can still be typed. No inline script (CSP).
(function () {
  "use strict";
  document.querySelectorAll("input[data-commune-search]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.getAttribute("data-commune-search");
    var timer = null;
    var last = "";
    if (!list || !url) {
      return;
    }
    input.addEventListener("input", function () {
      var term = input.value.trim();
      if (term.length < 2 || term === last || /^(\d{2}|2[AB])\d{3}$/.test(term)) {
        return;
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        last = term;
        fetch(url + "?q=" + encodeURIComponent(term), { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            list.replaceChildren.apply(list, data.results.map(function (item) {
              var option = document.createElement("option");
              option.value = item.value; // the name (and postcode) is what the person reads back in the field
              option.textContent = item.label;
              return option;
            }));
          })
          .catch(function () { /* suggestions are a convenience: typing the code still works */ });
      }, 200);
    });
  });
})();
