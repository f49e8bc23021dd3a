// Prompts: the variants under experiment (GET /prompts), with the numbers and verdict
// `mockmind prompts` prints, rounded alike (toFixed here; cli/output.fixed rounds ties as it
// does), so the two can be compared cell by cell.

import { api } from "./api.js";
import { $, clear, el } from "./dom.js";

const share = (v) => (v === null || v === undefined ? "-" : `${(v * 100).toFixed(1)}%`);
const milliseconds = (v) => (v === null || v === undefined ? "-" : v.toFixed(1));

// One variant's cells, in the order of the table's head.
function cells(row) {
  const interval = row.valid_first_try_interval;
  return [
    row.name,
    String(row.weight),
    String(row.answers),
    String(row.calls),
    String(row.valid_first_try),
    share(row.valid_first_try_rate),
    interval ? `${share(interval[0])}-${share(interval[1])}` : "-",
    String(row.repaired),
    String(row.fallbacks),
    milliseconds(row.latency_p50_ms),
    milliseconds(row.latency_p95_ms),
    String(row.prompt_tokens),
    String(row.completion_tokens),
    row.cost_usd.toFixed(6),
  ];
}

export async function loadPrompts() {
  const table = $("#prompts");
  const body = clear(table.querySelector("tbody"));
  const verdict = $("#prompts-verdict");
  const note = $("#prompts-note");
  table.dataset.loading = "true";
  let report;
  try {
    report = await api("/prompts");
  } catch (error) {
    table.hidden = true;
    verdict.hidden = true;
    note.hidden = false;
    note.textContent =
      error.status === 404 ? "This server has no prompts route (GET /__mockmind/prompts)." : `Prompts: ${error.message}`;
    delete table.dataset.loading;
    return;
  }
  note.hidden = true;
  for (const row of report.variants) {
    body.append(
      el(
        "tr",
        { "data-variant": row.name },
        cells(row).map((text, i) => el("td", { class: i === 0 ? null : "number" }, text)),
      ),
    );
  }
  table.hidden = report.variants.length === 0;
  verdict.hidden = false;
  verdict.textContent = report.verdict;
  delete table.dataset.loading;
}

export function setUpPrompts() {
  $("#prompts-load").addEventListener("click", loadPrompts);
}
