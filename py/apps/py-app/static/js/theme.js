// The theme: the system's (prefers-color-scheme) unless this browser picked one.
// Loaded in <head> without `defer`, so the page is painted in its theme from the start.
"use strict";

(function () {
  const KEY = "py-app.theme";
  const root = document.documentElement;

  function stored() {
    try { return window.localStorage.getItem(KEY); } catch (err) { return null; }
  }

  function apply(choice) {
    if (choice === "light" || choice === "dark") root.dataset.theme = choice;
    else delete root.dataset.theme;
  }

  apply(stored());

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".theme-select").forEach(function (select) {
      select.value = stored() || "system";
      select.addEventListener("change", function () {
        try {
          if (select.value === "system") window.localStorage.removeItem(KEY);
          else window.localStorage.setItem(KEY, select.value);
        } catch (err) { /* storage refused: the choice lasts for this page only */ }
        apply(select.value);
      });
    });
  });
})();
