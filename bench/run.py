"""Run the benchmarks and rewrite bench/RESULTS.md: `make bench` (`.venv/bin/python bench/run.py`).

`--only overhead,search` runs some of them (RESULTS.md is then written to bench/.work/ instead,
so a partial run never replaces the full table).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the repo root instead, so that
# `bench.*` and `tests.*` import as packages and no bench module can shadow a stdlib one.
sys.path[:1] = [str(ROOT)]

from bench.report import (  # noqa: E402
    RESULTS,
    WORK,
    Section,
    in_number_order,
    machine,
    replace_section,
    replace_summary_line,
    section_text,
    summary_line,
)

# Priority order (the order they run in); RESULTS.md lists them by the numbering.
BENCHMARKS = [
    "overhead",
    "search",
    "throughput",
    "bigdoc",
    "coldstart",
    "cost",
    "profiling",
    "quantization",
    "memory_churn",
    "many_writers",
    "llm_latency",
    "journal",
    "replay",
    "stats",
    "simulation",
    "learning",
    "time_travel",
    "tenants",
    "bytes_written",
]
# Sections other commands write into RESULTS.md (bench/conformance/run.py's, by `make
# conformance`, and bench/mutation.py's, by `make mutation`, runs of their own): a full `make
# bench` carries them over unchanged.
KEPT = ["11. Conformance corpus (schemathesis, vs Prism)", "12. Mutation testing"]
# Small helpers the benchmarks use beyond the dev extras; installed when missing.
HELPERS = {"threadpoolctl": "threadpoolctl", "pyinstrument": "pyinstrument"}


def ensure_helpers() -> None:
    missing = []
    for module, package in HELPERS.items():
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(package)
    if missing:
        print(f"installing {', '.join(missing)} into {sys.prefix}", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *missing,
            ],
            check=False,
        )


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def header(command: str, started: datetime.datetime, load: tuple[float, float, float]) -> str:
    m = machine()
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = " with uncommitted changes" if _git("status", "--porcelain", "--", "src") else ""
    return "\n".join(
        [
            "# Benchmark results",
            "",
            "Written by `bench/run.py`; every figure is measured in the run below, each beside the "
            "baseline it is compared with. Timings on a shared 2-core VM move by 10-30% between "
            "runs: read the ratios, not the third digit.",
            "",
            "| | |",
            "| --- | --- |",
            f"| date | {started:%Y-%m-%d %H:%M} UTC |",
            f"| command | `{command}` |",
            f"| commit | {commit}{dirty} |",
            f"| cores | {m['cores']} ({m['cpu']}) |",
            f"| memory | {m['memory']} |",
            f"| OS | {m['os']} |",
            f"| Python | {m['python']} |",
            f"| numpy | {m['numpy']}, BLAS {m['blas']} |",
            f"| load average at start | {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} |",
            "",
        ]
    )


def summary(sections: list[Section]) -> str:
    lines = ["## Summary", ""]
    lines += [summary_line(s) for s in sections]
    lines.append("")
    return "\n".join(lines)


def carry_over(text: str) -> str:
    """``text`` with the KEPT sections (and their summary lines) of the current RESULTS.md."""
    old = RESULTS.read_text() if RESULTS.exists() else ""
    for title in KEPT:
        kept = section_text(old, title)
        if kept is None:
            continue
        text = replace_section(text, title, kept)
        line = next((s for s in old.splitlines() if s.startswith(f"- {title}:")), None)
        if line:
            text = replace_summary_line(text, title, line)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="comma-separated: " + ", ".join(BENCHMARKS))
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else BENCHMARKS
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    ensure_helpers()
    started = datetime.datetime.now(datetime.UTC)
    load = os.getloadavg()
    command = "make bench" if not args.only else f"python bench/run.py --only {args.only}"
    sections: dict[str, Section] = {}
    for name in chosen:
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            section: Section = module.run(sections) if name == "profiling" else module.run()
        except Exception as exc:
            traceback.print_exc()
            section = Section(name, "", status=[f"failed: {type(exc).__name__}: {exc}"])
        section.seconds = time.perf_counter() - start
        sections[name] = section
        print(section.markdown(), flush=True)
    ordered = list(sections.values())
    text = header(command, started, load) + "\n" + summary(ordered) + "\n"
    text += "\n".join(s.markdown() for s in ordered)
    target = RESULTS if not args.only else WORK / "RESULTS.partial.md"
    if not args.only:
        text = carry_over(text)
    text = in_number_order(text)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    total = sum(s.seconds for s in ordered)
    print(f"wrote {target.relative_to(ROOT)} ({total:.0f} s of benchmarks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
