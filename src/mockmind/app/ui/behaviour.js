// The behaviour designer: each state machine drawn as a diagram (states on a circle,
// transitions as arrows labelled with their trigger and guard), the chosen entity's state
// marked; and the rules in the order they run.

import { api } from "./api.js";
import { $, clear, el, svg } from "./dom.js";

let machines = [];

const COLUMN = 250;
const ROW = 150;
const MARGIN = { x: 110, y: 90 };

// States in columns by their distance from the initial state (moves run left to right);
// states no transition reaches go in a last column.
function layout(machine) {
  const depth = { [machine.initial]: 0 };
  const queue = [machine.initial];
  while (queue.length) {
    const state = queue.shift();
    for (const t of machine.transitions) {
      if (t.from.includes(state) && depth[t.to] === undefined) {
        depth[t.to] = depth[state] + 1;
        queue.push(t.to);
      }
    }
  }
  const reached = Object.values(depth);
  const last = (reached.length ? Math.max(...reached) : 0) + 1;
  const columns = [];
  for (const state of machine.states) {
    const column = depth[state] ?? last;
    (columns[column] ||= []).push(state);
  }
  const used = columns.filter(Boolean);
  const tallest = Math.max(1, ...used.map((c) => c.length));
  const at = {};
  used.forEach((states, column) => {
    states.forEach((state, row) => {
      const offset = ((tallest - states.length) * ROW) / 2;
      at[state] = { x: MARGIN.x + column * COLUMN, y: MARGIN.y + offset + row * ROW };
    });
  });
  return { at, width: 2 * MARGIN.x + (used.length - 1) * COLUMN, height: 2 * MARGIN.y + (tallest - 1) * ROW };
}

const RX = 52;
const RY = 30;

// Where a line from a state's centre towards (dx, dy) leaves its ellipse.
function rim(centre, dx, dy, gap) {
  const length = Math.hypot(dx, dy) || 1;
  const ux = dx / length;
  const uy = dy / length;
  const t = 1 / Math.hypot(ux / RX, uy / RY) + gap;
  return { x: centre.x + ux * t, y: centre.y + uy * t };
}

// An arrow from one state to another, bent so that a move back does not hide the move there.
function arrow(from, to, bend, label, guard) {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const length = Math.hypot(dx, dy) || 1;
  const control = {
    x: (from.x + to.x) / 2 - (dy / length) * bend * 2,
    y: (from.y + to.y) / 2 + (dx / length) * bend * 2,
  };
  const start = rim(from, control.x - from.x, control.y - from.y, 0);
  const end = rim(to, control.x - to.x, control.y - to.y, 3);
  // The label sits on the curve's middle (a quadratic's midpoint is halfway to its control).
  const mid = { x: (start.x + 2 * control.x + end.x) / 4, y: (start.y + 2 * control.y + end.y) / 4 };
  const lines = [label, guard ? `if ${guard}` : null].filter(Boolean);
  return svg(
    "g",
    { class: "transition" },
    svg("path", { d: `M${start.x},${start.y} Q${control.x},${control.y} ${end.x},${end.y}`, "marker-end": "url(#arrowhead)" }),
    svg(
      "text",
      { x: mid.x, y: mid.y - 6 - 7 * (lines.length - 1), "text-anchor": "middle" },
      lines.map((line, i) => svg("tspan", { x: mid.x, dy: i === 0 ? 0 : 14, class: i ? "guard" : "trigger" }, line)),
    ),
  );
}

function selfLoop(at, label, guard) {
  const lines = [label, guard ? `if ${guard}` : null].filter(Boolean);
  return svg(
    "g",
    { class: "transition" },
    svg("path", { d: `M${at.x - 14},${at.y - 30} C${at.x - 40},${at.y - 90} ${at.x + 40},${at.y - 90} ${at.x + 14},${at.y - 32}`, "marker-end": "url(#arrowhead)" }),
    svg("text", { x: at.x, y: at.y - 84, "text-anchor": "middle" }, lines.map((line, i) => svg("tspan", { x: at.x, dy: i ? 13 : 0 }, line))),
  );
}

export function diagram(machine, currentState) {
  const { at, width, height } = layout(machine);
  const parts = [
    svg(
      "defs",
      {},
      svg(
        "marker",
        { id: "arrowhead", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" },
        svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }),
      ),
    ),
  ];
  const drawn = new Map();
  for (const transition of machine.transitions) {
    for (const from of transition.from) {
      if (!at[from] || !at[transition.to]) continue;
      const key = [from, transition.to].sort().join("|");
      const count = drawn.get(key) || 0;
      drawn.set(key, count + 1);
      const bend = 18 + 34 * count;
      parts.push(
        from === transition.to
          ? selfLoop(at[from], transition.trigger, transition.guard)
          : arrow(at[from], at[transition.to], bend, transition.trigger, transition.guard),
      );
    }
  }
  for (const state of machine.states) {
    const { x, y } = at[state];
    const classes = ["state", state === machine.initial ? "initial" : "", state === currentState ? "current" : ""].join(" ").trim();
    parts.push(
      svg(
        "g",
        { class: classes, "data-state": state },
        svg("ellipse", { cx: x, cy: y, rx: 52, ry: 30 }),
        svg("text", { x, y: y + 5, "text-anchor": "middle" }, state),
        state === machine.initial ? svg("circle", { cx: x - 66, cy: y, r: 6, class: "start" }) : null,
      ),
    );
  }
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "machine", "data-machine": machine.name, role: "img", "aria-label": `state machine ${machine.name}` }, parts);
}

function chosen() {
  const value = $("#behaviour-entity").value;
  if (!value) return null;
  const [machine, entityId] = JSON.parse(value);
  return { machine, entityId };
}

function render() {
  const box = clear($("#machines"));
  const pick = chosen();
  for (const machine of machines) {
    const state = pick && pick.machine === machine.name ? machine.positions[pick.entityId] : null;
    const sets = machine.transitions.filter((t) => Object.keys(t.sets).length);
    box.append(
      el(
        "section",
        { class: "machine-card" },
        el("h3", {}, `${machine.name}: ${machine.resource}.${machine.field}`),
        pick && pick.machine === machine.name ? el("p", { class: "note position" }, `${machine.resource} ${pick.entityId} is ${state}`) : null,
        diagram(machine, state),
        sets.length
          ? el("ul", { class: "note" }, sets.map((t) => el("li", {}, `${t.trigger} sets ${Object.entries(t.sets).map(([k, v]) => `${k} = ${v}`).join(", ")}`)))
          : null,
      ),
    );
  }
  if (!machines.length) box.append(el("p", { class: "note" }, "The config declares no state machine."));
}

export async function loadBehaviour() {
  const sessionId = $("#behaviour-session").value.trim();
  const found = await api("/behaviour", { query: { session_id: sessionId || undefined } });
  machines = found.machines;
  const select = clear($("#behaviour-entity"));
  select.append(el("option", { value: "" }, "(none)"));
  for (const machine of machines) {
    for (const [entityId, state] of Object.entries(machine.positions)) {
      select.append(el("option", { value: JSON.stringify([machine.name, entityId]) }, `${machine.resource} ${entityId} (${state})`));
    }
  }
  if (select.options.length > 1) select.selectedIndex = 1;
  render();
  const rules = clear($("#rules tbody"));
  for (const rule of found.rules) {
    rules.append(el("tr", {}, el("td", {}, rule.name), el("td", {}, el("code", {}, rule.condition)), el("td", {}, rule.priority), el("td", {}, rule.action)));
  }
}

export function setUpBehaviour() {
  $("#behaviour-load").addEventListener("click", () => loadBehaviour().catch((e) => alertError(e)));
  $("#behaviour-entity").addEventListener("change", render);
}

function alertError(error) {
  clear($("#machines")).append(el("p", { class: "error" }, `Behaviour: ${error.message}`));
}
