// The rules playground: the typed condition (or expression) is parsed as it is typed and
// evaluated on a recorded request of the journal, with every configured rule and why it fires.

import { api, ApiError, wholeJournal } from "./api.js";
import { $, clear, el } from "./dom.js";

let timer = null;
let asked = 0;
let loadedSession = null;

export async function useSession(sessionId, events, step) {
  $("#pg-session").value = sessionId;
  loadedSession = sessionId;
  fillSteps(events, step);
}

function fillSteps(events, step) {
  const select = clear($("#pg-step"));
  for (const event of events) {
    select.append(el("option", { value: event.seq }, `${event.seq}. ${event.request.method} ${event.request.path} → ${event.response.status}`));
  }
  if (step) select.value = String(step);
  if (!select.value && events.length) select.value = String(events[events.length - 1].seq);
}

async function sessionChanged() {
  const sessionId = $("#pg-session").value.trim();
  if (!sessionId || sessionId === loadedSession) return;
  loadedSession = sessionId;
  try {
    const { events } = await wholeJournal(sessionId);
    fillSteps(events, null);
  } catch (error) {
    clear($("#pg-step"));
    showError(`Session ${sessionId}: ${error.message}`);
    return;
  }
  schedule();
}

function showError(text, caret) {
  const box = $("#pg-error");
  box.hidden = false;
  box.textContent = caret ? `${text}\n${caret}` : text;
  $("#pg-result").hidden = true;
}

// The line the error is on, with a caret under its column.
function pointAt(text, line, column) {
  const lines = text.split("\n");
  const source = lines[line - 1] ?? "";
  return `${source}\n${" ".repeat(Math.max(0, column - 1))}^`;
}

export async function evaluateNow() {
  const text = $("#pg-text").value;
  const language = $("#pg-language").value;
  const sessionId = $("#pg-session").value.trim();
  const step = Number($("#pg-step").value);
  if (!text.trim()) {
    $("#pg-error").hidden = true;
    $("#pg-result").hidden = true;
    return;
  }
  const mine = ++asked;
  let result;
  try {
    result = await api("/rules/evaluate", {
      method: "POST",
      body: { expression: text, language, session_id: sessionId || "-", step: step || 1 },
    });
  } catch (error) {
    if (mine !== asked) return;
    const problem = error instanceof ApiError ? error.problem : {};
    if (problem.line) {
      showError(`line ${problem.line}, column ${problem.column}: ${problem.reason}`, pointAt(text, problem.line, problem.column));
    } else if (error.status === 404 && (!sessionId || !step)) {
      showError("It parses. Choose a session and one of its requests to evaluate it.");
    } else {
      showError(error.message);
    }
    return;
  }
  if (mine !== asked) return;
  $("#pg-error").hidden = true;
  $("#pg-result").hidden = false;
  $("#pg-value").textContent = JSON.stringify(result.value);
  $("#pg-why").textContent = `${result.request.method} ${result.request.path} (step ${result.step}): ${result.why}`;
  const rows = clear($("#pg-rules tbody"));
  for (const rule of result.rules) {
    rows.append(
      el(
        "tr",
        { class: rule.fires ? "fires" : "quiet", "data-rule": rule.name },
        el("td", {}, rule.name),
        el("td", { class: "fires-cell" }, rule.fires ? "fires" : "no"),
        el("td", {}, rule.why),
        el("td", {}, rule.recorded ? "fired then" : ""),
      ),
    );
  }
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(evaluateNow, 200);
}

export function setUpPlayground() {
  $("#pg-text").addEventListener("input", schedule);
  $("#pg-language").addEventListener("change", schedule);
  $("#pg-step").addEventListener("change", schedule);
  $("#pg-session").addEventListener("change", sessionChanged);
}
