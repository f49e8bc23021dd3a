"""Run schemathesis over the conformance corpus, against mockmind and Prism: `make conformance`.

For each document: the server is started on it (`mockmind serve --openapi DOC`, `prism mock
DOC`), schemathesis runs in positive mode with the checks of corpus.toml's [run] (the four
conformance checks and the two stateful ones), one session header for the whole run, a seed and
a time limit; its NDJSON events are read back, and each failed check is put in a class
(classify.py). Results go to .cache/conformance/results/<server>/<document>.json, reproductions
to .cache/conformance/results/reproductions.md, and the table to bench/RESULTS.md (section 11;
`--no-write` leaves RESULTS.md alone).

    python -m bench.conformance.run                       # every document, both servers
    python -m bench.conformance.run petstore-3.0 --servers mockmind
"""

from __future__ import annotations

import argparse
import base64
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.conformance.bottomless import Bottomless, bottomless_responses, documented_key
from bench.conformance.classify import (
    BOTTOMLESS,
    CLASS_TITLES,
    DOT_SEGMENT,
    FRAMING,
    JS_LITERAL,
    NO_CONTENT,
    NO_FINAL,
    NO_NOT_FOUND,
    OFF_PATTERN,
    REUSED,
    Answer,
    Failure,
    classify,
)
from bench.conformance.corpus import RESULTS, ROOT, Corpus, Document, RunSettings, load
from bench.conformance.fetch import fetch_all
from bench.conformance.links import without_broken_links
from bench.report import (
    PRISM_VERSION,
    Section,
    ToolMissing,
    bench_env,
    ensure_prism,
    free_port,
    running,
    wait_http,
    write_section,
)

SERVERS = ("mockmind", "prism")
# Serializers for media types schemathesis has none for (schemathesis_hooks.py).
HOOKS = "bench.conformance.schemathesis_hooks"
START_TIMEOUT_S = 180.0
SESSION_HEADER = "X-Session-ID"
SHOWN_HEADERS = ("content-type", "x-mockmind-source")
# A table cell shows this much of a class's main reason (the rest is in reproductions.md).
REASON_WIDTH = 64
# Reproductions kept per (class, reason), for the findings.
EXAMPLES_PER_REASON = 2


@dataclass
class Reproduction:
    operation: str
    check: str
    request: str
    status: int
    answer: str


@dataclass
class Outcome:
    """One server's verdict on one document."""

    document: str
    server: str
    # pass | fail | load-error | timeout | error
    verdict: str
    seconds: float = 0.0
    operations: int = 0
    test_cases: int = 0
    # class -> reason -> count of failed checks
    classes: dict[str, dict[str, int]] = field(default_factory=dict)
    reproductions: dict[str, list[Reproduction]] = field(default_factory=dict)
    note: str = ""
    # 5xx answers the operation documents, not counted as failures (_read_scenario).
    documented_5xx: int = 0
    # What the classes are worked out from, kept so `--reclassify` can redo them without a run:
    # schemathesis's exit code and last lines, its own errors, and the server's crash line.
    exit_code: int | None = None
    output_tail: str = ""
    harness_errors: list[str] = field(default_factory=list)
    crash: str = ""
    # What schemathesis's copy of the document leaves out (links it refuses, links.py).
    left_out: list[str] = field(default_factory=list)

    @property
    def conformant(self) -> bool:
        return self.verdict == "pass"

    def class_keys(self) -> list[str]:
        return sorted(self.classes, key=_class_order)

    def add(self, klass: str, reason: str, reproduction: Reproduction | None) -> None:
        reasons = self.classes.setdefault(klass, {})
        reasons[reason] = reasons.get(reason, 0) + 1
        key = f"{klass}\t{reason}"
        kept = self.reproductions.setdefault(key, [])
        if reproduction is not None and len(kept) < EXAMPLES_PER_REASON:
            kept.append(reproduction)

    def summary(self) -> str:
        """The verdict and, on a failure, its classes and their main reasons, for a table."""
        left_out = f"{len(self.left_out)} {LEFT_OUT}" if self.left_out else ""
        if self.verdict == "pass":
            notes = "; ".join(n for n in (self.note, left_out) if n)
            return f"pass ({notes})" if notes else "pass"
        parts = []
        for klass in self.class_keys():
            reasons = self.classes[klass]
            top = max(reasons, key=lambda r: reasons[r])
            if len(top) > REASON_WIDTH:
                top = top[: REASON_WIDTH - 1] + "…"
            more = f" (+{len(reasons) - 1})" if len(reasons) > 1 else ""
            parts.append(f"{klass}: {top}{more}")
        if self.note and not parts:
            parts.append(self.note)
        if left_out:
            parts.append(left_out)
        return f"**{self.verdict}**: " + "; ".join(parts)


# How a cell says what schemathesis's copy of the document left out.
LEFT_OUT = "link(s) schemathesis refuses left out of its copy of the document"


def _class_order(klass: str) -> tuple[int, str]:
    return (0 if klass.isdigit() else 1, klass)


# ------------------------------------------------------------------------------------ servers


def mockmind_env() -> dict[str, str]:
    """The servers' environment: offline and in memory, this tree's code first."""
    env = bench_env()
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    return env


@contextmanager
def serving(
    server: str, document: Path, log: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The server on ``document`` on a free loopback port: its base URL and process.

    Raises LoadError with the log's tail when the server exits or never answers.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if server == "mockmind":
        argv = [sys.executable, "-m", "mockmind.cli", "serve", "--openapi", str(document)]
        argv += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        probe = base + "/__mockmind/health"
    else:
        argv = [str(ensure_prism()), "mock", "-h", "127.0.0.1", "-p", str(port)]
        argv += ["-v", "warn", str(document)]
        probe = base + "/"
    log.parent.mkdir(parents=True, exist_ok=True)
    with running(argv, env=mockmind_env(), log=log) as proc:
        try:
            wait_http(probe, timeout=START_TIMEOUT_S, proc=proc)
        except (RuntimeError, TimeoutError) as exc:
            raise LoadError(f"{exc}: {_tail(log)}") from exc
        yield base, proc


class LoadError(RuntimeError):
    """The server refused the document or never answered."""


def _crash(log: Path) -> str:
    """The log's last line that is not a stack frame: the error that ended the process."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "no log"
    kept = [line.strip() for line in lines if line.strip() and not line.strip().startswith("at ")]
    return kept[-1][:110] if kept else "no log"


def _tail(log: Path, lines: int = 3) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return ""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:])[-400:]


# ------------------------------------------------------------------------------- schemathesis


def schemathesis_argv(
    document: Document, location: Path, url: str, settings: RunSettings, report_dir: Path
) -> list[str]:
    executable = Path(sys.executable).with_name("schemathesis")
    config = report_dir.parent / "schemathesis.toml"
    # schemathesis signs up and logs in by itself where it finds a register operation (and
    # fails with an internal error on some documents): the run's only credential is its session.
    config.write_text("[auth]\nauto-signup = false\n")
    argv = [
        str(executable) if executable.exists() else shutil.which("schemathesis") or "schemathesis",
        "--config-file",
        str(config),
        "run",
        str(location),
        "--url",
        url,
        "--mode",
        "positive",
        "--checks",
        ",".join(settings.checks),
        # One session for the run, so what a step creates the next step can read.
        "--header",
        f"{SESSION_HEADER}: conformance-{document.name}",
        "--max-examples",
        str(document.max_examples or settings.max_examples),
        "--seed",
        str(settings.seed),
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "20",
        "--report",
        "ndjson,json",
        "--report-dir",
        str(report_dir),
        "--output-sanitize",
        "false",
        "--no-color",
    ]
    if document.include_path_regex:
        argv += ["--include-path-regex", document.include_path_regex]
    return argv


def run_document(
    document: Document,
    server: str,
    settings: RunSettings,
    *,
    location: Path | None = None,
    work: Path | None = None,
    keep: Path | None = None,
) -> Outcome:
    """One server's run of schemathesis over one document; ``keep`` is where its failed
    scenarios are written (NDJSON), for `--reclassify`."""
    location = location or document.location()
    started = time.perf_counter()
    outcome = Outcome(document.name, server, "error")
    with tempfile.TemporaryDirectory(prefix="conformance-") as scratch:
        scratch_dir = Path(scratch)
        log = (work or scratch_dir) / f"{server}-{document.name}.log"
        try:
            with serving(server, location, log) as (base, proc):
                report_dir = scratch_dir / "report"
                tested = _schemathesis_copy(location, scratch_dir, outcome)
                argv = schemathesis_argv(document, tested, base, settings, report_dir)
                timeout = document.timeout or settings.timeout
                done = _run(argv, timeout, cwd=scratch_dir)
                events = _failed_scenarios(report_dir, outcome)
                _read_report(report_dir, outcome)
                if proc.poll() is not None:
                    outcome.crash = _crash(log)
                if done is None:
                    outcome.verdict = "timeout"
                    outcome.note = f"schemathesis did not finish in {timeout:.0f} s"
                else:
                    outcome.exit_code, output = done
                    lines = [line for line in output.strip().splitlines() if line.strip()]
                    outcome.output_tail = " | ".join(lines[-3:])[-300:]
                if keep is not None:
                    keep.parent.mkdir(parents=True, exist_ok=True)
                    keep.write_text("".join(json.dumps(e) + "\n" for e in events))
                classify_outcome(
                    outcome,
                    events,
                    documented_statuses(location),
                    framing_parameters(location),
                    bottomless_statuses(location),
                )
        except LoadError as exc:
            outcome.verdict = "load-error"
            outcome.note = str(exc)
            classify_outcome(outcome, [])
        except ToolMissing as exc:
            outcome.verdict = "error"
            outcome.note = str(exc)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _schemathesis_copy(location: Path, scratch: Path, outcome: Outcome) -> Path:
    """The document schemathesis is given: a copy without the links it would refuse (their
    list in ``outcome.left_out``), else the document itself."""
    raw = _parsed(location)
    if not isinstance(raw, dict):
        return location
    copy, dropped = without_broken_links(raw)
    if not dropped:
        return location
    outcome.left_out = dropped
    tested = scratch / f"schemathesis-{location.stem}.json"
    tested.write_text(json.dumps(copy))
    return tested


def _parsed(location: Path) -> Any:
    try:
        text = location.read_text()
        return json.loads(text) if location.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError):
        return None


def bottomless_statuses(location: Path) -> Bottomless:
    """The responses whose schema no finite value satisfies (bottomless.py)."""
    raw = _parsed(location)
    return bottomless_responses(raw) if isinstance(raw, dict) else {}


Statuses = dict[tuple[str, str], tuple[str, ...]]
"""The statuses each operation documents, by (method in capitals, path template)."""


def documented_statuses(location: Path) -> Statuses:
    """The document's operations and the statuses they document (2.0 and 3.x alike)."""
    try:
        text = location.read_text()
        raw = json.loads(text) if location.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError):
        return {}
    found: Statuses = {}
    paths = raw.get("paths") if isinstance(raw, dict) else None
    for template, item in (paths or {}).items():
        if not isinstance(item, dict):
            continue
        for method, operation in item.items():
            if isinstance(operation, dict) and isinstance(operation.get("responses"), dict):
                codes = tuple(str(code) for code in operation["responses"])
                found[(str(method).upper(), str(template))] = codes
    return found


Framing = dict[tuple[str, str], tuple[str, ...]]
"""The framing headers each operation lists as parameters, by (method in capitals, path)."""

_FRAMING_HEADERS = {"content-length": "Content-Length", "transfer-encoding": "Transfer-Encoding"}


def framing_parameters(location: Path) -> Framing:
    """The operations that list Content-Length or Transfer-Encoding as header parameters
    (path-level ones and local ``$ref``s included)."""
    try:
        text = location.read_text()
        raw = json.loads(text) if location.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError):
        return {}
    if not isinstance(raw, dict):
        return {}

    def resolved(value: Any) -> Any:
        ref = value.get("$ref") if isinstance(value, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return value
        found: Any = raw
        for escaped in ref[2:].split("/"):
            part = escaped.replace("~1", "/").replace("~0", "~")
            found = found.get(part) if isinstance(found, dict) else None
        return found

    def framing(parameters: Any) -> list[str]:
        names = []
        for listed in parameters if isinstance(parameters, list) else []:
            parameter = resolved(listed)
            if isinstance(parameter, dict) and parameter.get("in") == "header":
                name = _FRAMING_HEADERS.get(str(parameter.get("name", "")).lower())
                if name:
                    names.append(name)
        return names

    found: Framing = {}
    for template, item in (raw.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = framing(item.get("parameters"))
        for method, operation in item.items():
            if isinstance(operation, dict) and method != "parameters":
                names = sorted(set(shared + framing(operation.get("parameters"))))
                if names:
                    found[(str(method).upper(), str(template))] = tuple(names)
    return found


def classify_outcome(
    outcome: Outcome,
    events: list[dict[str, Any]],
    statuses: Statuses | None = None,
    framing: Framing | None = None,
    bottomless: Bottomless | None = None,
) -> None:
    """The outcome's classes and verdict, worked out afresh from its failed scenarios and the
    raw facts it keeps (load error, crash, schemathesis's errors and exit code); ``statuses``
    (the document's) tell which operations document a 404, ``bottomless`` which responses no
    finite value satisfies."""
    outcome.classes, outcome.reproductions, outcome.documented_5xx = {}, {}, 0
    if outcome.verdict == "load-error":
        outcome.add("L", _load_reason(outcome.note), None)
        return
    for recorder in events:
        _read_scenario(recorder, outcome, statuses, framing, bottomless)
    for text in outcome.harness_errors:
        outcome.add("X", f"schemathesis error: {text[:110]}", None)
    if outcome.crash:
        outcome.add("E", f"the server process died: {outcome.crash}", None)
    if outcome.verdict != "timeout" and outcome.exit_code is not None:
        _verdict(outcome, outcome.exit_code, outcome.output_tail)


def _run(argv: list[str], timeout: float, *, cwd: Path) -> tuple[int, str] | None:
    """The exit code and output, or None when the time limit ended it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["SCHEMATHESIS_HOOKS"] = HOOKS
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 15)
        proc.communicate()
        return None
    return proc.returncode, out.decode(errors="replace")


# schemathesis's error for a request schema nothing satisfies (`allOf: [string, integer]`): the
# document's own contradiction, the same for every server, so the operation is left untested.
UNSATISFIABLE = "schemathesis error: Schema Error"
# schemathesis's error for a link naming a parameter its target operation does not have
# (listennotes: POST /podcasts -> getPodcastsInBatch's `next_episode_pub_date`, a form field):
# the document's own error, the same for every server; only the stateful phase is not run.
BROKEN_LINKS = "schemathesis error: Invalid OpenAPI Links Definition"


def _untestable(reason: str) -> bool:
    """X reasons that say the document (or a request schemathesis made up from an earlier
    answer) leaves nothing to check, not that the run broke."""
    return (
        reason
        in (
            UNSATISFIABLE,
            BROKEN_LINKS,
            NO_NOT_FOUND,
            DOT_SEGMENT,
            OFF_PATTERN,
            JS_LITERAL,
            NO_CONTENT,
            BOTTOMLESS,
        )
        or reason.endswith(NO_FINAL)
        or reason.startswith((REUSED, FRAMING))
    )


def _verdict(outcome: Outcome, code: int, output: str) -> None:
    failed = any(k != "X" for k in outcome.classes)
    reasons = set(outcome.classes.get("X", {}))
    untestable = bool(reasons) and all(_untestable(reason) for reason in reasons)
    if failed:
        outcome.verdict = "fail"
    elif code == 0 or untestable:
        outcome.verdict = "pass"
        if untestable:
            count = outcome.classes["X"].get(UNSATISFIABLE, 0)
            notes = [f"{count} operation(s) untestable: no request satisfies their schema"]
            count = sum(n for r, n in outcome.classes["X"].items() if r.endswith(NO_FINAL))
            notes.append(f"{count} answer(s) where the operation documents no final status")
            count = outcome.classes["X"].get(NO_NOT_FOUND, 0)
            notes.append(f"{count} read(s) after a DELETE where the read documents no 404")
            count = sum(n for r, n in outcome.classes["X"].items() if r.startswith(REUSED))
            notes.append(f"{count} refusal(s) of a value reused from an earlier answer")
            count = outcome.classes["X"].get(DOT_SEGMENT, 0)
            notes.append(f"{count} path(s) whose dot segment the client removed")
            count = sum(n for r, n in outcome.classes["X"].items() if r.startswith(FRAMING))
            notes.append(f"{count} request(s) a made-up framing header made unparsable")
            count = outcome.classes["X"].get(OFF_PATTERN, 0)
            notes.append(f"{count} refusal(s) of a value its pattern refuses")
            count = outcome.classes["X"].get(JS_LITERAL, 0)
            notes.append(f"{count} value(s) under a pattern no string matches")
            count = outcome.classes["X"].get(NO_CONTENT, 0)
            notes.append(f"{count} empty 204(s) documented with a body")
            count = outcome.classes["X"].get(BOTTOMLESS, 0)
            notes.append(f"{count} answer(s) under a response schema no finite value satisfies")
            if BROKEN_LINKS in outcome.classes["X"]:
                notes.append("links naming parameters their target lacks: no stateful phase")
            outcome.note = "; ".join(n for n in notes if not n.startswith("0 "))
    else:
        outcome.verdict = "error"
        if "X" not in outcome.classes:
            outcome.add("X", f"schemathesis exited {code}: {output[-200:]}", None)


def _load_reason(message: str) -> str:
    if "Swagger 2.0" in message or "swagger" in message.lower():
        return "Swagger 2.0 refused"
    if "did not answer within" in message:
        return f"not serving {START_TIMEOUT_S:.0f} s after its start"
    return message.split(": ", 1)[-1][:110]


def _failed_scenarios(report_dir: Path, outcome: Outcome) -> list[dict[str, Any]]:
    """The recorders of the run's scenarios that failed a check (from its NDJSON events)."""
    failed: list[dict[str, Any]] = []
    for path in sorted(report_dir.glob("*.ndjson")):
        for line in path.read_text(errors="replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            finished = event.get("ScenarioFinished")
            if finished and finished.get("status") == "failure":
                failed.append(finished["recorder"])
            loaded = event.get("LoadingFinished")
            if loaded:
                selected = loaded.get("statistic", {}).get("operations", {}).get("selected")
                outcome.operations = int(selected or 0)
    return failed


def _read_scenario(
    recorder: dict[str, Any],
    outcome: Outcome,
    statuses: Statuses | None = None,
    framing: Framing | None = None,
    bottomless: Bottomless | None = None,
) -> None:
    interactions = recorder.get("interactions", {})
    seen: set[tuple[str, str, str]] = set()
    for case_id, checks in recorder.get("checks", {}).items():
        passed = {c["name"] for c in checks if c.get("status") == "success"}
        for check in checks:
            if check.get("status") != "failure":
                continue
            if check["name"] == "not_a_server_error" and "status_code_conformance" in passed:
                # A 5xx the operation documents (`/status/503` answers only 503): the mock
                # answered what the document says; not_a_server_error flags every 5xx.
                outcome.documented_5xx += 1
                continue
            info = (check.get("failure_info") or {}).get("failure") or {}
            interaction = interactions.get(case_id)
            answer = _answer(interaction) if interaction else None
            case = recorder.get("cases", {}).get(case_id, {})
            failure = Failure(
                check=check["name"],
                code=str(info.get("code", "")),
                title=str(info.get("title", "")),
                message=str(info.get("message", "")),
                operation=str(info.get("operation") or recorder.get("label", "")),
                answer=answer,
                drawn=_drawn(case),
                documented=_documented(case, statuses),
                dot_segment=_dot_segment(case),
                framing=_framing(case, framing),
                bottomless=_bottomless(case, answer, bottomless, _documented(case, statuses)),
            )
            klass, reason = classify(failure)
            # One scenario repeats a failure over its steps; count it once.
            key = (klass, reason, failure.operation)
            if key in seen:
                continue
            seen.add(key)
            outcome.add(klass, reason, _reproduction(failure, interaction))


_TRANSITION_LOCATIONS = {
    "path_parameters": "path",
    "query": "query",
    "query_parameters": "query",
    "headers": "header",
    "cookies": "cookie",
}


def _documented(case: dict[str, Any], statuses: Statuses | None) -> tuple[str, ...] | None:
    """The statuses the case's operation documents, when the document says."""
    value = case.get("value") or {}
    if statuses is None or not isinstance(value, dict):
        return None
    return statuses.get((str(value.get("method", "")).upper(), str(value.get("path", ""))))


def _framing(case: dict[str, Any], framing: Framing | None) -> tuple[str, ...]:
    value = case.get("value") or {}
    if framing is None or not isinstance(value, dict):
        return ()
    return framing.get((str(value.get("method", "")).upper(), str(value.get("path", ""))), ())


def _bottomless(
    case: dict[str, Any],
    answer: Answer | None,
    bottomless: Bottomless | None,
    documented: tuple[str, ...] | None,
) -> bool:
    """Whether the response the answer's status falls under (its code, else its range, else
    default, among all the operation documents) has no finite instance."""
    value = case.get("value") or {}
    if not bottomless or answer is None or not isinstance(value, dict):
        return False
    found = bottomless.get((str(value.get("method", "")).upper(), str(value.get("path", ""))))
    if not found:
        return False
    return documented_key(answer.status, documented or tuple(found)) in found


def _dot_segment(case: dict[str, Any]) -> bool:
    """Whether a path parameter was serialised as a ``.`` or ``..`` segment."""
    value = case.get("value") or {}
    parameters = value.get("path_parameters") if isinstance(value, dict) else None
    if not isinstance(parameters, dict):
        return False
    return any(
        segment in {".", ".."}
        for serialised in parameters.values()
        for segment in str(serialised).split("/")
    )


def _drawn(case: dict[str, Any]) -> tuple[str, ...]:
    """The request's parameters whose values schemathesis took from an earlier answer
    (``location.name``), by its resource pool or a link it followed (its stateful phase infers
    links, `GET /search -> user_ids/*` into `PUT /users/{id}`); neither checks the value
    against the parameter's schema. A link's body counts as ``body`` when it became the whole
    body (schemathesis puts it in place of a body it cannot merge into), else field by field."""
    value = case.get("value") or {}
    meta = value.get("meta") or {}
    drawn = [
        f"{draw.get('location')}.{draw.get('parameter_name')}"
        for draw in meta.get("pool_draws") or []
    ]
    transition = case.get("transition") or {}
    for container, values in (transition.get("parameters") or {}).items():
        location = _TRANSITION_LOCATIONS.get(container, container)
        drawn += [f"{location}.{name}" for name in values or {}]
    linked = (transition.get("request_body") or {}).get("value")
    body = value.get("body")
    if linked is not None and body == linked:
        drawn.append("body")
    elif isinstance(linked, dict) and isinstance(body, dict):
        drawn += [f"body.{name}" for name, item in linked.items() if body.get(name) == item]
    return tuple(drawn)


def _answer(interaction: dict[str, Any]) -> Answer | None:
    response = interaction.get("response")
    if not response:
        return None
    headers = {k.lower(): ", ".join(v) for k, v in (response.get("headers") or {}).items()}
    return Answer(int(response["status_code"]), headers, _body(response.get("content")))


def _body(content: Any) -> str:
    if isinstance(content, dict) and "$base64" in content:
        return base64.b64decode(content["$base64"]).decode(errors="replace")
    if isinstance(content, str):
        return content
    return "" if content is None else json.dumps(content)


def _reproduction(failure: Failure, interaction: dict[str, Any] | None) -> Reproduction | None:
    if not interaction or failure.answer is None:
        return None
    request = interaction["request"]
    headers = {k: ", ".join(v) for k, v in (request.get("headers") or {}).items()}
    lines = [f"{request['method']} {request['uri']}"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() != SESSION_HEADER.lower()]
    body = _body(request.get("body"))
    if body:
        lines += ["", body[:600]]
    answer = failure.answer
    shown = [f"{answer.status}"]
    shown += [f"{k}: {answer.headers[k]}" for k in SHOWN_HEADERS if k in answer.headers]
    shown += ["", answer.body[:600], "", f"check: {failure.check} ({failure.code})"]
    shown += [failure.message[:800]]
    return Reproduction(
        failure.operation, failure.check, "\n".join(lines), answer.status, "\n".join(shown)
    )


def _read_report(report_dir: Path, outcome: Outcome) -> None:
    """Totals and schemathesis's own errors (not verdicts on the server: class X)."""
    for path in sorted(report_dir.glob("*.json")):
        try:
            report = json.loads(path.read_text())
        except ValueError:
            continue
        outcome.operations = int(report.get("operations", {}).get("selected", outcome.operations))
        outcome.test_cases = int(report.get("test_cases", {}).get("generated", 0))
        for error in report.get("errors", []):
            text = error.get("title") or error.get("message") or json.dumps(error)[:200]
            outcome.harness_errors.append(str(text))


# ------------------------------------------------------------------------------------ results


def save(outcome: Outcome) -> Path:
    path = RESULTS / outcome.server / f"{outcome.document}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(outcome), indent=1) + "\n")
    return path


def saved(server: str, document: str) -> Outcome | None:
    path = RESULTS / server / f"{document}.json"
    if not path.exists():
        return None
    raw = json.loads(path.read_text())
    raw["reproductions"] = {
        k: [Reproduction(**r) for r in v] for k, v in raw.get("reproductions", {}).items()
    }
    return Outcome(**raw)


def failures_file(server: str, document: str) -> Path:
    return RESULTS / server / f"{document}.failures.ndjson"


def reclassified(server: str, document: Document) -> Outcome | None:
    outcome = saved(server, document.name)
    if outcome is None:
        return None
    path = failures_file(server, document.name)
    lines = path.read_text().splitlines() if path.exists() else []
    events = [json.loads(line) for line in lines if line.strip()]
    location = document.location()
    statuses = documented_statuses(location) if location.exists() else None
    framing = framing_parameters(location) if location.exists() else None
    bottomless = bottomless_statuses(location) if location.exists() else None
    classify_outcome(outcome, events, statuses, framing, bottomless)
    return outcome


TITLE = "11. Conformance corpus (schemathesis, vs Prism)"


def section(corpus: Corpus, outcomes: dict[tuple[str, str], Outcome], seconds: float) -> Section:
    checks = ", ".join(f"`{c}`" for c in corpus.run.checks)
    out = Section(
        TITLE,
        f"""
{len(corpus.documents)} public API descriptions (bench/conformance/corpus.toml: npm packages
pinned by version and tarball sha256, fetched by `make conformance-corpus`), each served by
`mockmind serve --openapi DOC` (offline, memory) and by `prism mock DOC` (Stoplight Prism
{PRISM_VERSION}, static mode), and run through schemathesis in positive mode with the checks
{checks}; one session header for the run, `--max-examples {corpus.run.max_examples}` (fewer
where the manifest says), seed {corpus.run.seed}, schemathesis's auto-signup off, requests at
the server's root (Prism ignores the servers' base paths). A document is conformant when no
check fails. Failure classes are issue 15's (1-7) plus L (refused at load), E (other 5xx, or
the server died), S (a stateful check) and X (not held against the server: schemathesis's own
errors, a request schema nothing satisfies, a response schema no finite value satisfies, a
value it reused from an earlier answer that the parameter refuses, a read after a DELETE that
documents no 404, where any answer fails a check; only the first one keeps a document from
passing); links schemathesis refuses are left out of the copy it reads (the server is served
the document whole) and counted in the cell; each cell shows a class's most frequent
reason (values elided) and how many other reasons it has. Every failure with its request and answer:
`.cache/conformance/results/reproductions.md` after a run.
""",
        columns=["document", "styles", "ops", "mockmind", "Prism"],
    )
    tally = {server: collections.Counter[str]() for server in SERVERS}
    per_class = {server: collections.Counter[str]() for server in SERVERS}
    # A passing document may carry notes of a class (what the harness could not test): counted
    # apart, so "failing by class" counts only documents that fail.
    noted = {server: collections.Counter[str]() for server in SERVERS}
    for document in corpus.documents:
        cells = []
        ops = ""
        for server in SERVERS:
            outcome = outcomes.get((server, document.name))
            if outcome is None:
                cells.append("not run")
                continue
            ops = ops or (str(outcome.operations) if outcome.operations else "")
            tally[server][outcome.verdict] += 1
            counted = noted if outcome.verdict == "pass" else per_class
            for klass in outcome.classes:
                counted[server][klass] += 1
            cells.append(outcome.summary().replace("|", "\\|"))
        out.row(document.name, ", ".join(document.styles), ops, *cells)
    for server in SERVERS:
        counts = tally[server]
        run = sum(counts.values())
        if not run:
            continue
        others = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()) if k != "pass")
        others = f" ({others})" if others else ""
        out.status.append(f"{server}: {counts['pass']} of {run} conformant{others}")
        out.notes.append(
            f"{server}, documents failing by class: {_by_class(per_class[server]) or 'none'}."
        )
        if noted[server]:
            out.notes.append(
                f"{server}, conformant documents with a note, by class: {_by_class(noted[server])}."
            )
    out.notes.append(f"mockmind measured at {_src_commit()} (the last commit that changed src/).")
    out.seconds = seconds
    return out


def _by_class(counts: collections.Counter[str]) -> str:
    return ", ".join(
        f"{k} ({CLASS_TITLES.get(k, k)}): {counts[k]}" for k in sorted(counts, key=_class_order)
    )


def _src_commit() -> str:
    done = subprocess.run(
        ["git", "log", "-1", "--format=%h", "--", "src"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "src"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    commit = done.stdout.strip() or "unknown"
    return commit + (" with uncommitted changes" if dirty.stdout.strip() else "")


def reproductions(corpus: Corpus, outcomes: dict[tuple[str, str], Outcome]) -> str:
    """Every (class, reason) with the documents showing it and a request and answer each."""
    grouped: dict[str, dict[str, list[tuple[Outcome, list[Reproduction]]]]] = {}
    for document in corpus.documents:
        for server in SERVERS:
            outcome = outcomes.get((server, document.name))
            if outcome is None:
                continue
            for klass, reasons in outcome.classes.items():
                for reason in reasons:
                    kept = outcome.reproductions.get(f"{klass}\t{reason}", [])
                    group = grouped.setdefault(f"{server} {klass}", {})
                    group.setdefault(reason, []).append((outcome, kept))
    lines = ["# Conformance corpus: failures and reproductions", ""]
    for key in sorted(grouped, key=lambda k: (k.split()[0], _class_order(k.split()[1]))):
        server, klass = key.split()
        lines += [f"## {server}, class {klass}: {CLASS_TITLES.get(klass, klass)}", ""]
        for reason, found in sorted(grouped[key].items(), key=lambda kv: -len(kv[1])):
            names = ", ".join(sorted({o.document for o, _ in found}))
            lines += [f"### {reason}", "", f"documents: {names}", ""]
            shown = 0
            for outcome, kept in found:
                for repro in kept:
                    if shown >= 3:
                        break
                    shown += 1
                    lines += [f"{outcome.document}: {repro.operation} ({repro.check})", "```"]
                    lines += [repro.request, "---", repro.answer, "```", ""]
                if not kept and outcome.note:
                    lines += [f"{outcome.document}: {outcome.note}", ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="only these documents (default: all)")
    parser.add_argument("--servers", default=",".join(SERVERS), help="mockmind,prism")
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    parser.add_argument(
        "--reclassify",
        action="store_true",
        help="no run: redo the classes of the saved results from their failed scenarios",
    )
    args = parser.parse_args(argv)
    servers = [s for s in args.servers.split(",") if s]
    unknown = set(servers) - set(SERVERS)
    if unknown:
        parser.error(f"unknown server(s): {', '.join(sorted(unknown))}")
    corpus = load()
    documents = corpus.named(args.names) if args.names else corpus.documents
    problems = [] if args.reclassify else fetch_all(corpus, documents)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    work = RESULTS / "logs"
    for document in documents:
        for server in servers:
            if args.reclassify:
                outcome = reclassified(server, document)
                if outcome is None:
                    continue
            else:
                keep = failures_file(server, document.name)
                outcome = run_document(document, server, corpus.run, work=work, keep=keep)
            save(outcome)
            print(
                f"{document.name:34} {server:8} {outcome.seconds:6.0f} s  {outcome.summary()}",
                flush=True,
            )
    outcomes = {
        (server, d.name): found
        for server in SERVERS
        for d in corpus.documents
        if (found := saved(server, d.name)) is not None
    }
    (RESULTS / "reproductions.md").write_text(reproductions(corpus, outcomes))
    if not args.no_write:
        # The servers' and schemathesis's time over the corpus (a --reclassify keeps the run's).
        ran = sum(outcome.seconds for outcome in outcomes.values())
        target = write_section(section(corpus, outcomes, ran))
        print(f"wrote section {TITLE!r} of {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
