// Tenure dashboard: small progressive enhancements. Every page works
// without this file. Served as /static/app.js (no inline script: the
// Content-Security-Policy forbids it).
"use strict";

// Sortable tables: a click on a column header sorts the rows shown by that
// column (numbers as numbers), a second click reverses.
function sortTable(table, index, numeric, th) {
  const body = table.tBodies[0];
  if (!body) return;
  const ascending = th.getAttribute("aria-sort") !== "ascending";
  for (const other of table.tHead.rows[0].cells) other.removeAttribute("aria-sort");
  th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  const key = (row) => {
    const text = (row.cells[index] ? row.cells[index].textContent : "").trim();
    if (!numeric) return text.toLowerCase();
    const n = parseFloat(text.replace(/,/g, ""));
    return isNaN(n) ? -Infinity : n;
  };
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = key(a), y = key(b);
    const order = x < y ? -1 : x > y ? 1 : 0;
    return ascending ? order : -order;
  });
  for (const row of rows) body.appendChild(row);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const table of document.querySelectorAll("table.sortable")) {
    if (!table.tHead) continue;
    Array.from(table.tHead.rows[0].cells).forEach((th, i) => {
      th.tabIndex = 0;
      const numeric = th.dataset.type === "num";
      const sort = () => sortTable(table, i, numeric, th);
      th.addEventListener("click", sort);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter") sort(); });
    });
  }
  // A custom date clears the preset, a preset clears the custom dates.
  for (const form of document.querySelectorAll("form.filters")) {
    const dates = form.querySelectorAll("input[type=date][name=from], input[type=date][name=to]");
    const presets = form.querySelectorAll("input[name=range]");
    for (const d of dates) d.addEventListener("change", () => { for (const p of presets) p.checked = false; });
    for (const p of presets) p.addEventListener("change", () => { for (const d of dates) d.value = ""; });
  }
});
