// Stats: requests, cache hit rate, LLM calls and cost per hour, as SVG drawn here.

import { api } from "./api.js";
import { $, clear, el, svg } from "./dom.js";

const WIDTH = 560;
const HEIGHT = 180;
const PAD = { left: 52, right: 12, top: 14, bottom: 34 };

function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (value <= step * power) return step * power;
  }
  return 10 * power;
}

// One chart: bars (counts) or a line (rates, money), with its axes and hour labels.
export function chart({ title, hours, values, kind, format, fixedMax }) {
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const top = fixedMax ?? niceMax(Math.max(0, ...values));
  const x = (i) => PAD.left + (values.length <= 1 ? innerW / 2 : (i * innerW) / (values.length - 1));
  const y = (v) => PAD.top + innerH - (Math.max(0, v) / top) * innerH;
  const parts = [];
  for (const fraction of [0, 0.5, 1]) {
    const v = top * fraction;
    parts.push(
      svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v), class: "grid" }),
      svg("text", { x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, format(v)),
    );
  }
  const labelEvery = Math.max(1, Math.ceil(values.length / 6));
  hours.forEach((hour, i) => {
    if (i % labelEvery !== 0 && i !== hours.length - 1) return;
    const label = hour.slice(11, 16) || hour;
    parts.push(svg("text", { x: x(i), y: HEIGHT - PAD.bottom + 16, "text-anchor": "middle", class: "tick" }, label));
  });
  if (kind === "bars") {
    const slot = innerW / Math.max(1, values.length);
    values.forEach((v, i) => {
      const cx = values.length <= 1 ? PAD.left + innerW / 2 : PAD.left + slot * (i + 0.5);
      parts.push(
        svg(
          "rect",
          { x: cx - slot * 0.35, y: y(v), width: slot * 0.7, height: PAD.top + innerH - y(v), class: "bar" },
          svg("title", {}, `${hours[i]}: ${format(v)}`),
        ),
      );
    });
  } else {
    const points = values.map((v, i) => `${x(i)},${y(v)}`).join(" ");
    parts.push(svg("polyline", { points, class: "line" }));
    values.forEach((v, i) =>
      parts.push(svg("circle", { cx: x(i), cy: y(v), r: 3, class: "dot" }, svg("title", {}, `${hours[i]}: ${format(v)}`))),
    );
  }
  parts.push(
    svg("line", { x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: PAD.top + innerH, class: "axis" }),
    svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: PAD.top + innerH, y2: PAD.top + innerH, class: "axis" }),
  );
  return el(
    "figure",
    { class: "chart" },
    el("figcaption", {}, title),
    svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": title }, parts),
  );
}

const count = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
const percent = (v) => `${Math.round(v * 100)}%`;
const dollars = (v) => `$${v < 0.01 && v > 0 ? v.toFixed(4) : v.toFixed(2)}`;

export async function loadStats() {
  const hoursWanted = Number($("#stats-hours").value) || 24;
  const box = clear($("#charts"));
  const totals = clear($("#stats-totals"));
  let stats;
  try {
    stats = await api("/stats", { query: { hours: hoursWanted } });
  } catch (error) {
    box.append(
      el("p", { class: "note" }, error.status === 404 ? "This server has no stats route (GET /__mockmind/stats)." : `Stats: ${error.message}`),
    );
    return;
  }
  totals.append(
    el(
      "dl",
      { class: "totals" },
      Object.entries(stats.totals).flatMap(([name, value]) => [
        el("dt", {}, name.replaceAll("_", " ")),
        el("dd", {}, typeof value === "object" ? JSON.stringify(value) : String(value)),
      ]),
    ),
  );
  const rows = stats.hours;
  const hours = rows.map((row) => row.hour);
  box.append(
    chart({ title: "Requests per hour", hours, values: rows.map((r) => r.requests), kind: "bars", format: count }),
    chart({ title: "Cache hit rate", hours, values: rows.map((r) => r.cache_hit_rate ?? 0), kind: "line", format: percent, fixedMax: 1 }),
    chart({ title: "LLM calls per hour", hours, values: rows.map((r) => r.llm_calls), kind: "bars", format: count }),
    chart({ title: "Cost per hour (USD)", hours, values: rows.map((r) => r.cost_usd), kind: "line", format: dollars }),
  );
}

export function setUpStats() {
  $("#stats-load").addEventListener("click", loadStats);
}
