// The admin API, as the page calls it: the base is where the page is served from (behind a
// stage prefix too), the token is the tab's (sessionStorage), errors are problem documents.

const TOKEN_KEY = "mockmind-admin-token";

export const ADMIN_BASE = location.pathname.replace(/\/ui(\/.*)?$/, "");

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem && (problem.detail || problem.title) ? (problem.detail || problem.title) : `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function keepToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

let onUnauthorized = () => {};

export function whenUnauthorized(callback) {
  onUnauthorized = callback;
}

export async function api(path, { method = "GET", body, query } = {}) {
  const url = new URL(ADMIN_BASE + path, location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { Accept: "application/json, application/problem+json" };
  const token = storedToken();
  if (token) headers["X-Mockmind-Admin-Token"] = token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { title: text };
    }
  }
  if (!answer.ok) {
    if (answer.status === 401) onUnauthorized();
    throw new ApiError(answer.status, parsed);
  }
  return parsed;
}

// Every event of a session's journal, page by page.
export async function wholeJournal(sessionId) {
  const events = [];
  let after = 0;
  let dropped = 0;
  for (;;) {
    const page = await api(`/sessions/${encodeURIComponent(sessionId)}/journal`, {
      query: { after, limit: 1000 },
    });
    dropped = page.dropped;
    events.push(...page.events);
    if (page.next_after === null || page.next_after === undefined) break;
    after = page.next_after;
  }
  return { events, dropped };
}
