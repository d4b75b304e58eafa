// Announcements: the staff's list of residents to call has a print button.
// (The resident's list follows new, changed and read announcements live through live.js.)
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-announcements-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
});
