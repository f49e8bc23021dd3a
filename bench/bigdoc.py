"""5. Big documents: start-up time and resident memory for a generated 1,000-path document."""

from __future__ import annotations

import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

from bench.report import (
    ROOT,
    VENV_BIN,
    WORK,
    Section,
    ToolMissing,
    bench_env,
    ensure_prism,
    fmt_bytes,
    fmt_ratio,
    fmt_s,
    free_port,
    rss_bytes,
    running,
    wait_http,
)

REPEAT = 3
# A path of the document that both servers answer once the document is loaded.
PROBE = "/resource7/items/1"
START_TIMEOUT_S = 60


def _documents() -> list[tuple[str, Path]]:
    """The test suite's document, and the same without its ``owner`` references (acyclic)."""
    sys.path.insert(0, str(ROOT))
    from tests.unit.openapi.bigspec import build_big_spec  # noqa: PLC0415

    WORK.mkdir(parents=True, exist_ok=True)
    cyclic = WORK / "bigspec.json"
    document = build_big_spec(cyclic)
    assert len(document["paths"]) == 1000
    for schema in document["components"]["schemas"].values():
        schema.get("properties", {}).pop("owner", None)
    acyclic = WORK / "bigspec-acyclic.json"
    acyclic.write_text(json.dumps(document, indent=1))
    return [
        ("bigspec.py as written (schemas form one 500-long `$ref` cycle via `owner`)", cyclic),
        ("the same without the `owner` references (no cycle)", acyclic),
    ]


def _measure(argv: list[str], port: int, log: Path) -> tuple[float, int, int] | tuple[None, int]:
    """Seconds from exec to the first answer of PROBE, RSS then, RSS after 200 more requests;
    or (None, RSS) when the server has not answered within START_TIMEOUT_S.
    """
    url = f"http://127.0.0.1:{port}{PROBE}"
    start = time.perf_counter()
    with running(argv, env=bench_env(), log=log) as proc:
        try:
            wait_http(url, timeout=START_TIMEOUT_S, proc=proc)
        except TimeoutError:
            return None, rss_bytes(proc.pid)
        ready = time.perf_counter() - start
        rss = rss_bytes(proc.pid)
        for n in range(200):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/resource{n}/items/1", timeout=10):
                pass
        return ready, rss, rss_bytes(proc.pid)


def run() -> Section:
    section = Section(
        "5. Big documents (1,000 paths)",
        f"""
The 1,000-path document of tests/unit/openapi/bigspec.py (500 resources, 48-field schemas with
`$ref` cycles, examples; written as JSON to bench/.work/bigspec.json). Start-up is the time
from starting the process to the first answer of `GET {PROBE}`; RSS is the resident memory of
the server's process tree then, and after one request to each of 200 resources. Median of
{REPEAT} starts. `mockmind serve --openapi` vs `prism mock -v warn`.
""",
        ["server", "start-up", "vs Prism", "RSS at start", "RSS after 200 paths", "vs Prism"],
    )
    for label, document in _documents():
        section.row(
            f"**{label}**, {fmt_bytes(document.stat().st_size)} of JSON", "", "", "", "", ""
        )
        _compare(section, document)
    section.notes.append(
        "The issue sets no target for this row; lower is better for both columns (a ratio "
        "below 1.00x means mockmind starts faster or uses less memory than Prism)."
    )
    return section


def _compare(section: Section, document: Path) -> None:
    results: dict[str, list[tuple[float, int, int]]] = {"mockmind": [], "prism": []}
    for _ in range(REPEAT):
        port = free_port()
        argv = [
            str(VENV_BIN / "mockmind"),
            "serve",
            "--openapi",
            str(document),
            "--port",
            str(port),
        ]
        measured = _measure(argv, port, WORK / "bigdoc-mockmind.log")
        if measured[0] is None:
            raise RuntimeError(f"mockmind did not answer within {START_TIMEOUT_S} s")
        results["mockmind"].append(measured)  # type: ignore[arg-type]
    prism_stuck: int | None = None
    try:
        prism = ensure_prism()
        for _ in range(REPEAT):
            port = free_port()
            argv = [
                str(prism),
                "mock",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-v",
                "warn",
                str(document),
            ]
            measured = _measure(argv, port, WORK / "bigdoc-prism.log")
            if measured[0] is None:
                prism_stuck = measured[1]
                break  # once is enough to know; the other starts would take as long
            results["prism"].append(measured)  # type: ignore[arg-type]
    except ToolMissing as exc:
        if f"skipped (Prism): {exc}" not in section.status:
            section.status.append(f"skipped (Prism): {exc}")

    def medians(rows: list[tuple[float, int, int]]) -> tuple[float, float, float]:
        return (
            statistics.median(r[0] for r in rows),
            statistics.median(r[1] for r in rows),
            statistics.median(r[2] for r in rows),
        )

    mine = medians(results["mockmind"])
    theirs = medians(results["prism"]) if results["prism"] else None
    if theirs:
        section.row(
            "Prism (baseline)",
            fmt_s(theirs[0]),
            "1.00x",
            fmt_bytes(theirs[1]),
            fmt_bytes(theirs[2]),
            "1.00x",
        )
        section.row(
            "mockmind",
            fmt_s(mine[0]),
            fmt_ratio(mine[0] / theirs[0]),
            fmt_bytes(mine[1]),
            fmt_bytes(mine[2]),
            fmt_ratio(mine[2] / theirs[2]),
        )
    elif prism_stuck is not None:
        section.row(
            "Prism (baseline)",
            f"no answer within {START_TIMEOUT_S} s",
            "1.00x",
            f"{fmt_bytes(prism_stuck)} at {START_TIMEOUT_S} s",
            "",
            "",
        )
        section.row(
            "mockmind",
            fmt_s(mine[0]),
            f"< {fmt_ratio(mine[0] / START_TIMEOUT_S)}",
            fmt_bytes(mine[1]),
            fmt_bytes(mine[2]),
            f"{fmt_ratio(mine[1] / prism_stuck)} (at start)" if prism_stuck else "",
        )
        section.notes.append(
            f"Prism had not answered `GET {PROBE}` of the cyclic document {START_TIMEOUT_S} s "
            "after it started (its log ends at `Starting Prism…`), so it was started once and "
            "stopped there: its start-up is a lower bound and mockmind's ratio an upper bound. "
            "The same document without the cycle starts in seconds (next rows)."
        )
    else:
        section.row("mockmind", fmt_s(mine[0]), "", fmt_bytes(mine[1]), fmt_bytes(mine[2]), "")
