// The console's only script (the Content-Security-Policy allows no inline script). htmx sends the session's CSRF
// token with every request it makes; a few data attributes replace what inline handlers would do.
"use strict";
document.addEventListener("htmx:configRequest", (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) event.detail.headers["X-CSRF-Token"] = meta.content;
});
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  // A "select every row on this page" box.
  const all = target.closest("[data-check-all]");
  if (all instanceof HTMLInputElement) {
    document.querySelectorAll(all.dataset.checkAll).forEach((box) => { box.checked = all.checked; });
    document.dispatchEvent(new Event("selection-changed"));
  }
  // Print this page.
  if (target.closest("[data-print]")) { event.preventDefault(); window.print(); }
});
document.addEventListener("change", (event) => {
  if (event.target instanceof HTMLInputElement && event.target.name === "ids") {
    document.dispatchEvent(new Event("selection-changed"));
  }
});
document.addEventListener("selection-changed", () => {
  const count = document.querySelectorAll('input[name="ids"]:checked').length;
  document.querySelectorAll("[data-selected-count]").forEach((el) => { el.textContent = String(count); });
});
