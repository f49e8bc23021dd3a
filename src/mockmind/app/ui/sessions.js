// Sessions: the list with its search, and one session's timeline, world at a step, diff,
// and its fork, reset, export and replay buttons.

import { api, ApiError, wholeJournal } from "./api.js";
import { $, clear, el, json, jsonBlock, say, when } from "./dom.js";

const current = { id: null, events: [], dropped: 0, step: 0 };
const listeners = [];

export function onSessionOpened(callback) {
  listeners.push(callback);
}

export function openedSession() {
  return current.id ? { id: current.id, events: current.events, step: current.step } : null;
}

function path(suffix = "") {
  return `/sessions/${encodeURIComponent(current.id)}${suffix}`;
}

export async function listSessions() {
  const prefix = $("#session-search").value.trim();
  const body = $("#sessions tbody");
  const note = $("#sessions-note");
  note.hidden = true;
  let page;
  try {
    page = await api("/sessions", { query: { prefix, limit: 100 } });
  } catch (error) {
    clear(body);
    note.hidden = false;
    note.textContent =
      error instanceof ApiError && error.status === 404 && /no admin route/.test(error.problem.detail || "")
        ? "This server cannot list sessions (GET /__mockmind/sessions); open one by its id."
        : `Could not list the sessions: ${error.message}`;
    return;
  }
  clear(body);
  for (const session of page.sessions) {
    body.append(
      el(
        "tr",
        { "data-session-id": session.id, class: "clickable", onclick: () => openSession(session.id) },
        el("td", {}, el("code", {}, session.id)),
        el("td", {}, session.requests),
        el("td", {}, when(session.last_seen)),
        el("td", {}, session.authenticated ? "yes" : "no"),
      ),
    );
  }
  if (!page.sessions.length) {
    note.hidden = false;
    note.textContent = prefix ? `No session starts with ${prefix}.` : "No session yet.";
  }
}

export async function openSession(id) {
  current.id = id;
  let journal;
  try {
    journal = await wholeJournal(id);
  } catch (error) {
    say(`Session ${id}: ${error.message}`, "error");
    return;
  }
  current.events = journal.events;
  current.dropped = journal.dropped;
  $("#session-view").hidden = false;
  $("#session-id").textContent = id;
  $("#replay-results").hidden = true;
  $("#action-result").hidden = true;
  renderTimeline();
  const last = current.events.length ? current.events[current.events.length - 1].seq : 0;
  const slider = $("#step");
  slider.min = String(current.dropped);
  slider.max = String(last);
  await showStep(last);
  for (const callback of listeners) callback(openedSession());
}

function renderTimeline() {
  const list = clear($("#timeline"));
  if (current.dropped) {
    list.append(el("li", { class: "dropped" }, `${current.dropped} earlier steps dropped (journal.max_events)`));
  }
  for (const event of current.events) {
    const request = event.request;
    const query = new URLSearchParams();
    for (const [name, values] of Object.entries(request.query || {})) {
      for (const value of values) query.append(name, value);
    }
    const line = `${request.method} ${request.path}${query.size ? "?" + query : ""}`;
    const details = el(
      "div",
      { class: "event-details", hidden: true },
      el("h4", {}, "Request"),
      jsonBlock(request, { class: "json request-json" }),
      el("h4", {}, "Answer"),
      jsonBlock(event.response, { class: "json response-json" }),
      el(
        "p",
        { class: "note" },
        `source ${event.source}` +
          (event.fallback_reason ? ` (${event.fallback_reason})` : "") +
          `, ${event.latency_ms.toFixed(1)} ms, ${event.llm_calls} LLM calls, ` +
          `${event.tokens} tokens, $${event.cost_usd.toFixed(4)}` +
          (event.rules.length ? `; rules: ${event.rules.join(", ")}` : "") +
          (event.moves.length
            ? `; moves: ${event.moves.map((m) => `${m.machine} ${m.entity_id}: ${m.from} → ${m.to}`).join(", ")}`
            : ""),
      ),
    );
    const summary = el(
      "button",
      { type: "button", class: "event-summary" },
      el("span", { class: "seq" }, event.seq),
      " ",
      line,
      " → ",
      el("span", { class: `status s${String(event.response.status)[0]}` }, event.response.status),
    );
    summary.addEventListener("click", () => {
      details.hidden = !details.hidden;
      showStep(event.seq);
    });
    list.append(el("li", { class: "event", "data-seq": event.seq }, summary, details));
  }
}

export async function showStep(step) {
  const slider = $("#step");
  const lowest = Number(slider.min);
  const highest = Number(slider.max);
  step = Math.max(lowest, Math.min(highest, step));
  current.step = step;
  slider.value = String(step);
  $("#step-label").textContent = `step ${step} of ${highest}`;
  for (const item of document.querySelectorAll("#timeline li.event")) {
    item.classList.toggle("current", Number(item.dataset.seq) === step);
    item.classList.toggle("future", Number(item.dataset.seq) > step);
  }
  const shown = $("#state-json");
  shown.dataset.loading = "true";
  try {
    const world = await api(path(`/at/${step}`));
    if (current.step !== step) return; // a later move of the slider won
    $("#world-step").textContent = String(world.step);
    shown.textContent = json(world.state);
    $("#entities-json").textContent = json(world.entities);
    shown.dataset.step = String(world.step);
    await showDiff(step);
  } catch (error) {
    shown.textContent = "";
    $("#entities-json").textContent = "";
    say(`Step ${step}: ${error.message}`, "error");
  } finally {
    if (current.step === step) delete shown.dataset.loading;
  }
}

async function showDiff(step) {
  const view = clear($("#diff-view"));
  if (step <= Number($("#step").min)) {
    view.append(el("p", { class: "note" }, "The first step kept: nothing before it to compare."));
    return;
  }
  const diff = await api(path("/diff"), { query: { from: step - 1, to: step } });
  const rows = [];
  for (const change of diff.entities) {
    const kind = change.before === null ? "created" : change.after === null ? "deleted" : "changed";
    rows.push(
      el(
        "div",
        { class: `diff ${kind}` },
        el("strong", {}, `${change.collection} ${change.id} ${kind}`),
        change.before === null ? null : jsonBlock(change.before, { class: "json before" }),
        change.after === null ? null : jsonBlock(change.after, { class: "json after" }),
      ),
    );
  }
  for (const [key, values] of Object.entries(diff.state)) {
    rows.push(
      el("div", { class: "diff changed" }, el("strong", {}, `state.${key}: `), `${JSON.stringify(values.before)} → ${JSON.stringify(values.after)}`),
    );
  }
  if (!rows.length) rows.push(el("p", { class: "note" }, "Nothing changed (a read)."));
  view.append(...rows);
}

function report(text) {
  const box = $("#action-result");
  box.hidden = false;
  box.textContent = text;
}

async function fork() {
  try {
    const made = await api(path("/fork"), { method: "POST", body: { at: current.step, id: null } });
    report(`Forked at step ${current.step}: new session ${made.id}`);
    await listSessions();
  } catch (error) {
    say(`Fork: ${error.message}`, "error");
  }
}

async function reset() {
  const step = current.step;
  if (!confirm(`Reset session ${current.id} to step ${step}? Later steps are lost.`)) return;
  try {
    await api(path("/reset"), { method: "POST", body: { to: step } });
    report(`Reset to step ${step}.`);
    await openSession(current.id);
    await listSessions();
  } catch (error) {
    say(`Reset: ${error.message}`, "error");
  }
}

async function exportFixture() {
  try {
    const fixture = await api(path("/export"));
    const blob = new Blob([json(fixture)], { type: "application/json" });
    const link = el("a", { href: URL.createObjectURL(blob), download: `${current.id}.json` });
    document.body.append(link);
    link.click();
    link.remove();
    report(`Exported ${fixture.journal.length} steps (${fixture.digest}).`);
  } catch (error) {
    say(`Export: ${error.message}`, "error");
  }
}

async function replay() {
  const box = clear($("#replay-results"));
  box.hidden = false;
  box.append(el("p", { class: "note" }, "Replaying…"));
  let result;
  try {
    result = await api(path("/replay"), { method: "POST", body: {} });
  } catch (error) {
    clear(box).append(el("p", { class: "error" }, `Replay: ${error.message}`));
    return;
  }
  const { summary } = result;
  clear(box).append(
    el("p", { id: "replay-summary" }, `${summary.steps} steps replayed in ${result.scratch_session_id}: ${summary.same} the same, ${summary.differ} differ.`),
    el(
      "table",
      { class: "list", id: "replay-steps" },
      el("thead", {}, el("tr", {}, ["Step", "Request", "Recorded", "Now", "Differences"].map((h) => el("th", {}, h)))),
      el(
        "tbody",
        {},
        result.steps.map((step) =>
          el(
            "tr",
            { class: step.same ? "same" : "differs" },
            el("td", {}, step.step),
            el("td", {}, `${step.method} ${step.path}`),
            el("td", {}, step.recorded_status),
            el("td", {}, step.status),
            el(
              "td",
              {},
              step.same
                ? "same"
                : el("ul", {}, step.differences.map((d) => el("li", {}, `${d.path}: ${JSON.stringify(d.recorded)} → ${JSON.stringify(d.now)}`))),
            ),
          ),
        ),
      ),
    ),
  );
}

export function setUpSessions() {
  $("#session-search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    listSessions();
  });
  $("#session-open").addEventListener("click", () => {
    const id = $("#session-search").value.trim();
    if (id) openSession(id);
  });
  $("#step").addEventListener("input", (event) => showStep(Number(event.target.value)));
  $("#step-prev").addEventListener("click", () => showStep(current.step - 1));
  $("#step-next").addEventListener("click", () => showStep(current.step + 1));
  $("#fork-btn").addEventListener("click", fork);
  $("#reset-btn").addEventListener("click", reset);
  $("#export-btn").addEventListener("click", exportFixture);
  $("#replay-btn").addEventListener("click", replay);
}
