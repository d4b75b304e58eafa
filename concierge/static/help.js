// Asking a neighbour for help: the form shows the pharmacy fields only for a pharmacy run.
"use strict";

(() => {
  function togglePharmacy(form) {
    const chosen = form.querySelector('input[name="kind"]:checked');
    const pharmacy = chosen !== null && chosen.value === "pharmacy";
    form.querySelectorAll("[data-when]").forEach((el) => {
      el.hidden = !pharmacy;
    });
    form.querySelectorAll("[data-when-not]").forEach((el) => {
      el.hidden = pharmacy;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("ask-form");
    if (form) {
      form.addEventListener("change", () => togglePharmacy(form));
      togglePharmacy(form);
    }
  });
})();
