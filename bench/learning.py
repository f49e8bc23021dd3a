"""17. Learning: what `mockmind learn` recovers of the shop from its recorded flows, and what
learning costs per 1,000 exchanges."""

from __future__ import annotations

import dataclasses
import os
import statistics
import time
from typing import Any

import yaml
from tests.support.mockmind_server import start_server, stop_server
from tests.support.shop_recording import record_shop

from bench.report import ROOT, WORK, Section, fmt_ratio, fmt_s
from mockmind.learning.exchanges import Exchange
from mockmind.learning.learner import learn
from mockmind.learning.recordings import read_recording

INTRO = """
The shop (examples/shop, offline generator) is served and the e2e shop flows run against it
(tests/support/shop_recording.py: 3 rounds of checkout, pay, ship, cancel, cart edits, login
and logout); their session journals are the recording. What is learned from it is compared
with the shop's own document and config: operations and paths, the fields of the success
answers, and the state machine's transitions (each edge from, to, trigger).
"""

SHOP = ROOT / "examples" / "shop"
SCALES = (1, 8, 32)
REPEAT = 3
METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


def run() -> Section:
    section = Section(
        "17. Learning (mockmind learn vs the shop's own document)",
        INTRO,
        ["what", "original", "learned", "share of the original", "share of what was recorded"],
    )
    directory = WORK / "learning"
    directory.mkdir(parents=True, exist_ok=True)
    process, url = start_server(
        SHOP / "mockmind.yaml", {"MOCKMIND_LLM_PROVIDER": "offline", "MOCKMIND_STORAGE": "memory"}
    )
    try:
        journal, _ = record_shop(url, directory)
    finally:
        stop_server(process)
    text = journal.read_text()
    exchanges = read_recording(journal.name, text)
    learned = learn(exchanges)
    original = yaml.safe_load((SHOP / "openapi.yaml").read_text())
    config = yaml.safe_load((SHOP / "mockmind.yaml").read_text())
    recorded_ops = {(e.method.lower(), t) for e in exchanges if (t := _template(original, e.path))}

    ops = _operations(original)
    found_ops = ops & _operations(learned.document)
    _row(section, "operations (method and path)", ops, found_ops, ops & recorded_ops)
    paths = set(original["paths"])
    _row(
        section,
        "paths",
        paths,
        paths & set(learned.document["paths"]),
        {t for _, t in recorded_ops},
    )
    fields = _answer_fields(original)
    learned_fields = _answer_fields(learned.document)
    recorded_fields = {f for f in fields if (f[0], f[1]) in recorded_ops}
    _row(section, "fields of success answers", fields, fields & learned_fields, recorded_fields)
    machines = config["intelligent_behavior"]["behavior_model"]["rules"]["state_machines"]
    edges = _edges(machines)
    learned_rules = learned.config["intelligent_behavior"]["behavior_model"]["rules"]
    learned_edges = _edges(learned_rules["state_machines"])
    recorded_edges = {
        e for e in edges if (e[2].split(" ")[0].lower(), e[2].split(" ", 1)[1]) in recorded_ops
    }
    _row(section, "state-machine transitions", edges, edges & learned_edges, recorded_edges)

    timings = []
    for scale in SCALES:
        copies = _scaled(exchanges, scale)
        lines = text * scale
        read = _median(lambda lines=lines: read_recording("bench.jsonl", lines))
        learning = _median(lambda copies=copies: learn(copies))
        timings.append((len(copies), read, learning))
    section.notes.append(
        "Learning time (median of 3), against reading the same recording (parsing the "
        "journal lines into exchanges, masking included) in the same run: "
        + "; ".join(
            f"{n:,} exchanges: learn {fmt_s(t)}, read {fmt_s(r)} ({fmt_ratio(t / r)} reading), "
            f"{fmt_s(t / n * 1000)} per 1,000 exchanges"
            for n, r, t in timings
        )
        + ". The larger inputs are the recording repeated (each copy its own sessions)."
    )
    extra = learned_fields - fields
    named = sorted(f"{m.upper()} {p} {s}: {n}" for m, p, s, n in extra)
    section.notes.append(
        f"Fields the learned document has that the original does not: {len(extra)}"
        + (f" ({', '.join(named)})." if named else ".")
    )
    missing = sorted(f"{m.upper()} {p}" for m, p in ops - found_ops)
    section.notes.append(
        f"{len(exchanges)} exchanges recorded in {len({e.session for e in exchanges})} "
        f"sessions. Operations never recorded (the flows do not call them): "
        f"{', '.join(missing) or 'none'}. Fields are compared by name and place (dotted, "
        "`[]` for array items) per operation and success status."
    )
    unrecorded_states = sorted(
        {s for m in machines.values() for s in m["states"]}
        - {s for m in learned.summary.machines for s in m.states}
    )
    section.notes.append(
        "States the original declares that no recorded answer showed (so none can be learned): "
        + (", ".join(unrecorded_states) or "none")
    )
    load = os.getloadavg()
    section.notes.append(
        f"Load average (1, 5, 15 min) at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} "
        f"on {os.cpu_count()} CPUs."
    )
    return section


def _row(
    section: Section, what: str, original: set[Any], found: set[Any], recorded: set[Any]
) -> None:
    recorded_found = found & recorded
    section.row(
        what,
        len(original),
        len(found),
        f"{len(found) / len(original):.0%}",
        f"{len(recorded_found) / len(recorded):.0%} ({len(recorded_found)} of {len(recorded)})"
        if recorded
        else "-",
    )


def _median(fn: Any) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _scaled(exchanges: list[Exchange], scale: int) -> list[Exchange]:
    out: list[Exchange] = []
    for copy in range(scale):
        out += [
            dataclasses.replace(e, session=f"{e.session}/{copy}", order=len(out) + i)
            for i, e in enumerate(exchanges)
        ]
    return out


def _operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


def _template(document: dict[str, Any], path: str) -> str | None:
    parts = [s for s in path.split("/") if s]
    for template in document["paths"]:
        pattern = [s for s in template.split("/") if s]
        if len(pattern) == len(parts) and all(
            p.startswith("{") or p == s for p, s in zip(pattern, parts, strict=True)
        ):
            return str(template)
    return None


def _answer_fields(document: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    """(method, path, status, field) of every success answer's schema."""
    found: set[tuple[str, str, str, str]] = set()
    for method, path in _operations(document):
        responses = document["paths"][path][method].get("responses", {})
        for status, raw in responses.items():
            if not str(status).startswith("2"):
                continue
            for media in _resolve(document, raw).get("content", {}).values():
                for name in _fields(document, media.get("schema", {}), ""):
                    found.add((method, path, str(status), name))
    return found


def _fields(document: dict[str, Any], schema: Any, prefix: str) -> set[str]:
    schema = _resolve(document, schema)
    if not isinstance(schema, dict):
        return set()
    names: set[str] = set()
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(key, ()):
            names |= _fields(document, branch, prefix)
    for name, sub in schema.get("properties", {}).items():
        names.add(prefix + name)
        names |= _fields(document, sub, f"{prefix}{name}.")
    if "items" in schema:
        names |= _fields(document, schema["items"], f"{prefix}[].")
    return names


def _resolve(document: dict[str, Any], value: Any) -> Any:
    while isinstance(value, dict) and "$ref" in value:
        target: Any = document
        for part in value["$ref"].lstrip("#/").split("/"):
            target = target[part]
        value = target
    return value


def _edges(machines: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        # PyYAML reads YAML 1.1, where the key `on` is the boolean true.
        (source, t["to"], t["on"] if "on" in t else t[True])
        for machine in machines.values()
        for t in machine["transitions"]
        for source in ([t["from"]] if isinstance(t["from"], str) else t["from"])
    }


if __name__ == "__main__":
    print(run().markdown())
