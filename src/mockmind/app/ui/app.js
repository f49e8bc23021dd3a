// The page: the token asked once per tab, the views behind the navigation.

import { forgetToken, keepToken, storedToken, whenUnauthorized } from "./api.js";
import { loadBehaviour, setUpBehaviour } from "./behaviour.js";
import { loadStats, setUpStats } from "./charts.js";
import { $, say } from "./dom.js";
import { setUpPlayground, useSession } from "./playground.js";
import { loadPrompts, setUpPrompts } from "./prompts.js";
import { listSessions, onSessionOpened, setUpSessions } from "./sessions.js";

const loaders = {
  sessions: listSessions,
  stats: loadStats,
  prompts: () => loadPrompts().catch((error) => say(`Prompts: ${error.message}`, "error")),
  behaviour: () => loadBehaviour().catch((error) => say(`Behaviour: ${error.message}`, "error")),
  playground: () => {},
};

function show(view) {
  for (const button of document.querySelectorAll("#nav button")) {
    button.classList.toggle("active", button.dataset.view === view);
  }
  for (const section of document.querySelectorAll("main .view")) {
    section.hidden = section.id !== `view-${view}`;
  }
  loaders[view]();
}

function askToken() {
  const dialog = $("#token-dialog");
  $("#token").value = storedToken() || "";
  if (!dialog.open) dialog.showModal();
  $("#token").focus();
}

function start() {
  setUpSessions();
  setUpStats();
  setUpPrompts();
  setUpBehaviour();
  setUpPlayground();
  onSessionOpened((session) => {
    useSession(session.id, session.events, session.step);
    $("#behaviour-session").value = session.id;
  });
  for (const button of document.querySelectorAll("#nav button")) {
    button.addEventListener("click", () => show(button.dataset.view));
  }
  $("#token-form").addEventListener("submit", () => {
    keepToken($("#token").value.trim());
    show(document.querySelector("#nav button.active").dataset.view);
  });
  $("#token-change").addEventListener("click", askToken);
  whenUnauthorized(() => {
    forgetToken();
    say("The admin token was refused: enter the server's token.", "error");
    askToken();
  });
  if (storedToken() === null) askToken();
  else listSessions();
}

start();
