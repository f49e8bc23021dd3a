"""Mutation testing of the domain and the OpenAPI request checks: `make mutation`
(`.venv/bin/python bench/mutation.py`), section 12 of RESULTS.md.

mutmut 3 (pyproject.toml's [tool.mutmut] names the modules and the tests) copies src/ and
tests/ into mutants/, rewrites each function of those modules so that one environment variable
picks its mutant, maps each function to the unit and contract tests that call it, then runs,
for every mutant, only those tests. A mutant is killed when one of them fails or it runs past
mutmut's time limit. Results stay in mutants/, so a second run tests only the functions that
changed; the mutants that survived are always tested again, as a test added since may kill
them (`--fresh` starts over). Survivors that no test can kill, because they change nothing a
caller can see, are listed with why in bench/mutation_equivalents.toml; the section lists every
other survivor with its file, line and mutation.

    python bench/mutation.py                 # run mutmut, then write section 12
    python bench/mutation.py --report-only   # write section 12 from mutants/ as it is
    python bench/mutation.py --survivors     # print the survivors left, with their diffs
    python bench/mutation.py --remap         # map every test to the functions it calls again
    python bench/mutation.py --rerun-left    # re-run by name the survivors section 12 lists left

mutmut maps a test to the functions it calls only when it first sees the test (a test is new
when mutants/mutmut-stats.json has no duration for it). After code moves (a module split, a
method made a function) the old tests are never mapped to the moved functions, whose mutants
then run no test and "survive" falsely. ``--remap`` forgets every test's duration and mapping
before the run, so mutmut's stats run maps them all again (one run of the selected tests).

``--rerun-left`` re-runs, by name, only the survivors that section 12 lists as left (after
tests were written for them), without the whole run's results in mutants/ (another machine):
it generates the mutants, finds each listed one by its file, function and change, has mutmut
run them (its stats run first, when mutants/ has none), and folds their verdicts into the
section: the table keeps every other mutant's verdict from the whole run it shows.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the repo root instead, as bench/run.py.
sys.path[:1] = [str(ROOT)]

# mutmut's own modules read its results (pyproject.toml pins its version for them).
from mutmut.mutation.data import SourceFileMutationData  # noqa: E402
from mutmut.mutation.diff_apply import get_diff_for_mutant  # noqa: E402
from mutmut.stats import status_by_exit_code  # noqa: E402
from mutmut.utils.file_utils import walk_mutatable_files  # noqa: E402
from mutmut.utils.format_utils import (  # noqa: E402
    mangled_name_from_mutant_name,
    orig_function_and_class_names_from_key,
)

from bench.report import RESULTS, Section, section_text, write_section  # noqa: E402

TITLE = "12. Mutation testing"
EQUIVALENTS = ROOT / "bench" / "mutation_equivalents.toml"
MUTANTS = ROOT / "mutants"
LOG = ROOT / "bench" / ".work" / "mutation.log"
# How long the last run took, kept beside its results for a --report-only.
DURATION = MUTANTS / "run-seconds.txt"
# mutmut's map of tests to the functions they call, and each test's duration.
STATS = MUTANTS / "mutmut-stats.json"
TARGET = 0.85
# The areas issue 19 names, each the files (or folder) it is made of.
AREAS: dict[str, tuple[str, ...]] = {
    "rules": ("src/mockmind/domain/rules/",),
    "resources": ("src/mockmind/domain/resources/",),
    "state machines": ("src/mockmind/domain/state_machines.py",),
    "sessions": ("src/mockmind/domain/sessions.py",),
    "cache keys": ("src/mockmind/domain/cache_keys.py",),
    "request validation": (
        "src/mockmind/openapi/requests.py",
        "src/mockmind/openapi/request_parameters.py",
        "src/mockmind/openapi/request_errors.py",
        "src/mockmind/openapi/parameters.py",
    ),
}
# mutmut's verdicts, as this report counts them: a mutant that hangs is caught all the same.
KILLED = {"killed", "timeout", "caught by type check", "segfault"}
RETESTED = {"survived", "no tests", "suspicious", "not checked"}


@dataclass(frozen=True)
class Equivalent:
    file: str
    function: str
    removed: str
    added: str
    why: str


@dataclass
class Mutant:
    name: str
    file: str
    function: str
    status: str
    line: int = 0
    removed: str = ""
    added: str = ""
    equivalent: Equivalent | None = None

    @property
    def killed(self) -> bool:
        return self.status in KILLED


@dataclass
class Tally:
    """A set of mutants' verdicts; scores count the checked ones (a run cut short leaves some
    not checked, and says so)."""

    mutants: int = 0
    unchecked: int = 0
    killed: int = 0
    equivalent: int = 0
    left: list[Mutant] = field(default_factory=list)

    def add(self, mutant: Mutant) -> None:
        self.mutants += 1
        if mutant.status == "not checked":
            self.unchecked += 1
        elif mutant.killed:
            self.killed += 1
        elif mutant.equivalent is not None:
            self.equivalent += 1
        else:
            self.left.append(mutant)

    @property
    def checked(self) -> int:
        return self.mutants - self.unchecked

    @property
    def score(self) -> float:
        return self.killed / self.checked if self.checked else 1.0

    @property
    def score_of_killable(self) -> float:
        killable = self.checked - self.equivalent
        return self.killed / killable if killable else 1.0


def load_equivalents(path: Path = EQUIVALENTS) -> list[Equivalent]:
    raw = tomllib.loads(path.read_text()) if path.exists() else {}
    return [Equivalent(**entry) for entry in raw.get("equivalent", [])]


def area_of(file: str) -> str:
    for area, parts in AREAS.items():
        if any(file == part or (part.endswith("/") and file.startswith(part)) for part in parts):
            return area
    raise ValueError(f"{file} is in none of the areas {sorted(AREAS)}: update AREAS")


def changed_lines(diff: str) -> tuple[str, str]:
    """The removed and the added lines of mutmut's unified diff of one function, stripped."""
    removed, added = [], []
    for line in diff.splitlines():
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("-"):
            removed.append(line[1:].strip())
        elif line.startswith("+"):
            added.append(line[1:].strip())
    return "\n".join(removed), "\n".join(added)


def function_span(tree: ast.Module, function: str) -> tuple[int, int] | None:
    """First and last line of ``function`` (``name`` or ``Class.name``): mutmut mutates the
    module's functions and its classes' methods."""
    owner, _, name = function.rpartition(".")
    scopes: list[ast.Module | ast.ClassDef] = [tree]
    if owner:
        scopes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner]
    for scope in scopes:
        for child in scope.body:
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and child.name == name:
                return child.lineno, child.end_lineno or child.lineno
    return None


def line_of(source_lines: list[str], span: tuple[int, int] | None, removed: str) -> int:
    """The line of the source where the removed text stands, within the function's span."""
    if span is None or not removed:
        return span[0] if span else 0
    first = removed.splitlines()[0]
    for number in range(span[0], span[1] + 1):
        if source_lines[number - 1].strip() == first:
            return number
    return span[0]


def read_mutants(equivalents: list[Equivalent]) -> Iterator[Mutant]:
    """Every mutant of the listed modules with mutmut's verdict; survivors with their diff."""
    for path in sorted(walk_mutatable_files()):
        data = SourceFileMutationData(path=path)
        data.load()
        file = str(path)
        source = (ROOT / file).read_text()
        tree = ast.parse(source)
        lines = source.splitlines()
        for name, exit_code in sorted(data.exit_code_by_key.items()):
            function, owner = orig_function_and_class_names_from_key(name)
            qualified = f"{owner}.{function}" if owner else function
            mutant = Mutant(name, file, qualified, status_by_exit_code[exit_code])
            # A run cut short leaves "not checked" mutants: counted as not killed, not shown.
            if not mutant.killed and mutant.status != "not checked":
                mutant.removed, mutant.added = changed_lines(get_diff_for_mutant(name, path=path))
                mutant.line = line_of(lines, function_span(tree, qualified), mutant.removed)
                mutant.equivalent = next(
                    (
                        e
                        for e in equivalents
                        if (e.file, e.function, e.removed, e.added)
                        == (file, qualified, mutant.removed, mutant.added)
                    ),
                    None,
                )
            yield mutant


def retest_survivors() -> int:
    """Forget the verdicts that a test added since the last run could change."""
    count = 0
    for path in walk_mutatable_files():
        if not (MUTANTS / (str(path) + ".meta")).exists():
            continue
        data = SourceFileMutationData(path=path)
        data.load()
        for name, exit_code in data.exit_code_by_key.items():
            if exit_code is not None and status_by_exit_code[exit_code] in RETESTED:
                data.exit_code_by_key[name] = None
                count += 1
        data.save()
    return count


def forget_test_map(stats: Path) -> int:
    """Make mutmut map every test to the functions it calls again, on its next run: it
    collects that map only for tests without a recorded duration. Returns how many tests
    were known; 0 when there is no map yet (mutmut's first run maps every test anyway)."""
    if not stats.exists():
        return 0
    data = json.loads(stats.read_text())
    known = len(data.get("duration_by_test", {}))
    data["duration_by_test"] = {}
    # Mappings of tests that no longer call a function would only cost time: dropped too.
    data["tests_by_mangled_function_name"] = {}
    stats.write_text(json.dumps(data))
    return known


def run_mutmut(children: int, names: Iterable[str] = ()) -> None:
    """mutmut's run: every mutant not yet checked, or only those named (checked again)."""
    LOG.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *names]
    shown = command[1:6] + ([f"({len(command) - 6} mutants named)"] if names else [])
    print(f"{' '.join(shown)} (output in {LOG.relative_to(ROOT)})", flush=True)
    with LOG.open("w") as log:
        done = subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = LOG.read_text(errors="replace").replace("\r", "\n").splitlines()[-40:]
        sys.exit(f"mutmut failed (exit {done.returncode}):\n" + "\n".join(tail))


def tallies(mutants: Iterable[Mutant]) -> tuple[dict[str, Tally], dict[str, Tally]]:
    by_area: dict[str, Tally] = {area: Tally() for area in AREAS}
    by_file: dict[str, Tally] = {}
    for mutant in mutants:
        by_area[area_of(mutant.file)].add(mutant)
        by_file.setdefault(mutant.file, Tally()).add(mutant)
    return by_area, by_file


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def _code(text: str) -> str:
    shown = " / ".join(text.splitlines()) or "(nothing)"
    return "`" + shown.replace("|", "\\|").replace("`", "'") + "`"


def section(mutants: list[Mutant], seconds: float) -> Section:
    by_area, by_file = tallies(mutants)
    out = Section(
        TITLE,
        intro=(
            "mutmut 3 over the modules of issue 19 (pyproject.toml, `[tool.mutmut]`): the rule "
            "language, resources, state machines, sessions and cache keys of the domain, and the "
            "OpenAPI request checks (`openapi/requests.py`, `request_parameters.py`, "
            "`request_errors.py`, `parameters.py`). Each mutant "
            "runs the unit and contract tests (the contract suite on its memory and SQLite "
            "backends) that call the function it changes; it is killed when one fails or it runs "
            "past mutmut's time limit. *Equivalent* survivors change nothing a caller can see "
            "(bench/mutation_equivalents.toml says why for each); the target is at least "
            f"{TARGET:.0%} of all mutants killed in each area. Command: `make mutation` "
            "(`bench/mutation.py`). mutmut maps only the tests it has not seen to the functions "
            "they call: after code moves between modules or functions, run "
            "`make mutation MUTATION_ARGS=--remap`, which maps every test again (the moved "
            "functions' mutants would otherwise run no test and survive falsely)."
        ),
        columns=[
            "area / module",
            "mutants",
            "checked",
            "killed",
            "equivalent",
            "left",
            "score",
            "target",
        ],
        seconds=seconds,
    )
    for area, tally in by_area.items():
        # An area none of whose mutants was checked has no score: it is not run, not met.
        if not tally.checked:
            score, target = "not run", "**not run**"
        else:
            score = (
                f"**{_percent(tally.score)}** ({_percent(tally.score_of_killable)} of the killable)"
            )
            target = "met" if tally.score >= TARGET else "**not met**"
        out.row(
            f"**{area}**",
            tally.mutants,
            tally.checked,
            tally.killed,
            tally.equivalent,
            len(tally.left),
            score,
            target,
        )
        for file, file_tally in sorted(by_file.items()):
            if area_of(file) == area:
                out.row(
                    file.removeprefix("src/mockmind/"),
                    file_tally.mutants,
                    file_tally.checked,
                    file_tally.killed,
                    file_tally.equivalent,
                    len(file_tally.left),
                    _percent(file_tally.score) if file_tally.checked else "not run",
                    "",
                )
    total = Tally()
    for mutant in mutants:
        total.add(mutant)
    met = [area for area, t in by_area.items() if t.checked and t.score >= TARGET]
    not_run = [area for area, t in by_area.items() if not t.checked]
    out.status.append(
        f"{_percent(total.score)} of {total.checked} mutants killed; target met in "
        f"{len(met)} of {len(by_area)} areas"
        + (f" ({len(not_run)} not run: {', '.join(not_run)})" if not_run else "")
        + f"; {total.equivalent} equivalent, {len(total.left)} left"
    )
    if total.unchecked:
        out.status.append(
            f"{total.unchecked} of {total.mutants} mutants not checked: the run was cut short"
        )
        out.notes.append(
            "The run was stopped before its end: scores count the checked mutants only, so an "
            "area with few of them checked says little yet."
        )
    left = [
        m for m in mutants if not m.killed and m.equivalent is None and m.status != "not checked"
    ]
    if left:
        out.notes.append(f"Survivors left ({len(left)}), to kill with a test:")
        out.notes += [
            f"`{m.file}:{m.line}` ({m.function}, {m.status}): {_code(m.removed)} → {_code(m.added)}"
            for m in left
        ]
    equivalent = [m for m in mutants if m.equivalent is not None]
    if equivalent:
        out.notes.append(f"Equivalent survivors ({len(equivalent)}):")
        out.notes += [
            f"`{m.file}:{m.line}` ({m.function}): {_code(m.removed)} → {_code(m.added)}: "
            f"{m.equivalent.why}"
            for m in equivalent
            if m.equivalent is not None
        ]
    return out


# -- re-running the survivors section 12 lists as left ---------------------------------------

# How section() writes a survivor left, and an equivalent one (code as _code renders it).
_LEFT = re.compile(
    r"^`(?P<file>[^`]+):(?P<line>\d+)` \((?P<function>[^,()]+), (?P<status>[^()]+)\): "
    r"`(?P<removed>[^`]*)` → `(?P<added>[^`]*)`$"
)
_EQUIVALENT = re.compile(
    r"^`(?P<file>[^`]+):(?P<line>\d+)` \((?P<function>[^,()]+)\): "
    r"`(?P<removed>[^`]*)` → `(?P<added>[^`]*)`: (?P<why>.+)$"
)
_COUNTS = ("mutants", "checked", "killed", "equivalent", "left")


def _uncode(shown: str) -> str:
    """The code _code rendered as ``shown`` (enough to render it the same again)."""
    return "" if shown == "(nothing)" else shown.replace(" / ", "\n").replace("\\|", "|")


@dataclass
class Recorded:
    """What a section 12 says of a run: each module's counts and its survivors, as mutants."""

    counts: dict[str, dict[str, int]]
    left: list[Mutant]
    equivalent: list[Mutant]

    def mutants(self) -> list[Mutant]:
        """The run's mutants as section() counts them: the killed ones and those not checked
        stand in by their number (nothing else of them is recorded), the survivors as listed."""
        out: list[Mutant] = []
        for file, c in sorted(self.counts.items()):
            out += [Mutant("", file, "", "killed") for _ in range(c["killed"])]
            out += [Mutant("", file, "", "not checked") for _ in range(c["mutants"] - c["checked"])]
            out += [m for m in self.equivalent if m.file == file]
            out += [m for m in self.left if m.file == file]
        return out


def recorded_run(markdown: str) -> Recorded:
    """Section 12's table and survivors, checked against each other (a section edited by hand
    so that they disagree is refused: its figures could not be folded into truthfully)."""
    counts: dict[str, dict[str, int]] = {}
    left: list[Mutant] = []
    equivalent: list[Mutant] = []
    for line in markdown.splitlines():
        if line.startswith("| ") and not line.startswith(("| **", "| area", "| ---")):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            file = "src/mockmind/" + cells[0]
            counts[file] = dict(zip(_COUNTS, map(int, cells[1:6]), strict=True))
        elif found := _LEFT.match(line.removeprefix("- ")):
            mutant = Mutant("", found["file"], found["function"], found["status"])
            mutant.line = int(found["line"])
            mutant.removed, mutant.added = _uncode(found["removed"]), _uncode(found["added"])
            left.append(mutant)
        elif found := _EQUIVALENT.match(line.removeprefix("- ")):
            mutant = Mutant("", found["file"], found["function"], "survived")
            mutant.line = int(found["line"])
            mutant.removed, mutant.added = _uncode(found["removed"]), _uncode(found["added"])
            mutant.equivalent = Equivalent(
                mutant.file, mutant.function, mutant.removed, mutant.added, found["why"]
            )
            equivalent.append(mutant)
    if not counts:
        raise ValueError("section 12 has no table of a run to fold a re-run into")
    for file, c in counts.items():
        listed = (
            sum(m.file == file for m in left),
            sum(m.file == file for m in equivalent),
        )
        if listed != (c["left"], c["equivalent"]):
            raise ValueError(
                f"section 12 counts {c['left']} left and {c['equivalent']} equivalent in {file} "
                f"but lists {listed[0]} and {listed[1]}: run the whole `make mutation` instead"
            )
    return Recorded(counts, left, equivalent)


def generate_mutants(children: int) -> None:
    """mutmut's first step alone (as its run does it): mutants/ with every mutant, unchecked,
    so that the listed survivors can be found by name before mutmut runs them."""
    script = (
        "from pathlib import Path\n"
        "from mutmut.__main__ import create_mutants\n"
        "from mutmut.mutation.trampoline import set_mutant_under_test\n"
        "from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir\n"
        "set_mutant_under_test('mutant_generation')\n"
        "Path('mutants').mkdir(exist_ok=True)\n"
        "copy_src_dir()\n"
        "copy_also_copy_files()\n"
        f"print(create_mutants({children}))\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def find_by_change(listed: Iterable[Mutant]) -> dict[int, str]:
    """mutmut's name of each listed survivor (by its index in ``listed``), found among the
    generated mutants of its function by the same change; a function that changed since the
    run may no longer have it. A survivor found takes the change and line as they are now (the
    section shows code in a form that loses backticks; the equivalents compare the code)."""
    wanted = list(listed)
    found: dict[int, str] = {}
    for path in sorted(walk_mutatable_files()):
        file = str(path)
        if not any(m.file == file for m in wanted):
            continue
        data = SourceFileMutationData(path=path)
        data.load()
        source = (ROOT / file).read_text()
        tree, lines = ast.parse(source), source.splitlines()
        for name in sorted(data.exit_code_by_key):
            function, owner = orig_function_and_class_names_from_key(name)
            qualified = f"{owner}.{function}" if owner else function
            candidates = [
                i
                for i, m in enumerate(wanted)
                if i not in found and (m.file, m.function) == (file, qualified)
            ]
            if not candidates:
                continue
            removed, added = changed_lines(get_diff_for_mutant(name, path=path))
            for i in candidates:
                mutant = wanted[i]
                if (_code(mutant.removed), _code(mutant.added)) == (_code(removed), _code(added)):
                    found[i] = name
                    mutant.removed, mutant.added = removed, added
                    mutant.line = line_of(lines, function_span(tree, qualified), removed)
                    break
    return found


def verdicts(names: Iterable[str]) -> dict[str, str]:
    """mutmut's verdict of each named mutant, from mutants/."""
    wanted = set(names)
    out: dict[str, str] = {}
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        for name, exit_code in data.exit_code_by_key.items():
            if name in wanted:
                out[name] = status_by_exit_code[exit_code]
    return out


def killing_test(name: str, stats: Path = STATS, limit: float = 600) -> str | None:
    """A test that fails with mutant ``name`` in place: its tests (mutmut's map), the quickest
    first, run as mutmut runs them (in mutants/, with its pytest options) until one fails."""
    data = json.loads(stats.read_text())
    mapped = data["tests_by_mangled_function_name"].get(mangled_name_from_mutant_name(name), [])
    durations = data["duration_by_test"]
    tests = sorted(mapped, key=lambda test: (durations.get(test, 0.0), test))
    if not tests:
        return None
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    env = {**os.environ, "MUTANT_UNDER_TEST": name}
    env["PYTHONPATH"] = os.pathsep.join([str(MUTANTS / "src"), str(MUTANTS)])
    command = [sys.executable, "-m", "pytest", "--rootdir=.", "-x", "-q", "-rf"]
    command += ["-p", "no:randomly", *options.get("pytest_add_cli_args", []), *tests]
    try:
        done = subprocess.run(
            command,
            cwd=MUTANTS,
            env=env,
            capture_output=True,
            text=True,
            timeout=limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    # "FAILED <id> - <message>" (a parametrized id may hold spaces; the message may be absent).
    failed = re.search(r"^FAILED (.+?)(?: - .*)?$", done.stdout, re.MULTILINE)
    return failed.group(1) if failed else None


def _git_commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def fold_rerun(
    recorded: Recorded,
    found: dict[int, str],
    verdict: dict[str, str],
    killers: dict[str, str | None],
    equivalents: list[Equivalent],
    *,
    seconds: float,
    commit: str,
    day: str,
) -> Section:
    """Section 12 again, with the re-run survivors' verdicts in place of the whole run's."""
    rerun: list[str] = []
    counts = dict.fromkeys(("killed", "equivalent", "left", "not found"), 0)
    for i, mutant in enumerate(recorded.left):
        change = f"{_code(mutant.removed)} → {_code(mutant.added)}"
        shown = f"`{mutant.file}:{mutant.line}` ({mutant.function}): {change}"
        name = found.get(i)
        if name is None:
            counts["not found"] += 1
            rerun.append(f"{shown}: not found among the mutants now (its function changed): left")
            continue
        mutant.name, mutant.status = name, verdict.get(name, "not checked")
        if mutant.killed:
            counts["killed"] += 1
            # Counted with the whole run's killed mutants, which stand in by their number.
            recorded.counts[mutant.file]["killed"] += 1
            recorded.counts[mutant.file]["left"] -= 1
            killer = killers.get(name)
            by = f"`{killer}` fails with it" if killer else "no test failed when run again alone"
            rerun.append(
                f"{shown} (mutant {name.rpartition('__mutmut_')[2]}): {mutant.status}, {by}"
            )
            continue
        mutant.equivalent = next(
            (
                e
                for e in equivalents
                if (e.file, e.function, e.removed, e.added)
                == (mutant.file, mutant.function, mutant.removed, mutant.added)
            ),
            None,
        )
        if mutant.equivalent is not None:
            counts["equivalent"] += 1
            recorded.equivalent.append(mutant)
            recorded.counts[mutant.file]["equivalent"] += 1
            recorded.counts[mutant.file]["left"] -= 1
            rerun.append(
                f"{shown} (mutant {name.rpartition('__mutmut_')[2]}): {mutant.status}, "
                "equivalent (bench/mutation_equivalents.toml)"
            )
        else:
            counts["left"] += 1
            rerun.append(
                f"{shown} (mutant {name.rpartition('__mutmut_')[2]}): {mutant.status}, left"
            )
    recorded.left = [m for m in recorded.left if not m.killed and m.equivalent is None]
    out = section(recorded.mutants(), seconds)
    out.notes[:0] = [
        (
            f"The table is the whole run's, with the {len(rerun)} survivors it left re-run by "
            f"name on {day} at commit {commit} (`make mutation MUTATION_ARGS=--rerun-left`: "
            "mutmut generated the mutants, collected its stats of every selected test and ran "
            "those named, in a tree without the whole run's results; the table counts their "
            f"new verdicts, every other mutant keeps the whole run's): {counts['killed']} "
            f"killed, {counts['equivalent']} equivalent, {counts['left']} left"
            + (f", {counts['not found']} no longer found" if counts["not found"] else "")
            + ". Each, with mutmut's name and the first of its tests (quickest first) that "
            "fails with it in place:"
        ),
        *rerun,
    ]
    return out


def rerun_left(children: int, write: bool) -> int:
    """``--rerun-left``: see the module's docstring."""
    text = section_text(RESULTS.read_text(), TITLE) if RESULTS.exists() else None
    if text is None:
        sys.exit(f"RESULTS.md has no section {TITLE!r}: run `make mutation` first")
    try:
        recorded = recorded_run(text)
    except ValueError as exc:
        sys.exit(str(exc))
    if not recorded.left:
        print("section 12 lists no survivor left: nothing to re-run")
        return 0
    started = time.perf_counter()
    generate_mutants(children)
    found = find_by_change(recorded.left)
    print(f"{len(found)} of the {len(recorded.left)} survivors listed left found", flush=True)
    names = sorted(found.values())
    if names:
        run_mutmut(children, names)
    verdict = verdicts(names)
    killers = {name: killing_test(name) for name in names if verdict.get(name) in KILLED}
    result = fold_rerun(
        recorded,
        found,
        verdict,
        killers,
        load_equivalents(),
        seconds=time.perf_counter() - started,
        commit=_git_commit(),
        day=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d"),
    )
    print("\n".join(result.status))
    for note in result.notes:
        if note.startswith(("Survivors left", "Equivalent survivors")):
            break
        print(f"  {note}")
    if write:
        print(f"wrote section {TITLE!r} of {write_section(result).relative_to(ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report-only", action="store_true", help="no run: report mutants/")
    parser.add_argument("--fresh", action="store_true", help="delete mutants/ first")
    parser.add_argument("--survivors", action="store_true", help="print the survivors left")
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    parser.add_argument(
        "--remap",
        action="store_true",
        help="map every test to the functions it calls again (after code moved)",
    )
    parser.add_argument(
        "--rerun-left",
        action="store_true",
        help="re-run by name the survivors section 12 lists as left, and fold their verdicts in",
    )
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    if args.remap and (args.report_only or args.survivors):
        parser.error("--remap applies to a run, not to --report-only or --survivors")
    if args.rerun_left and (args.report_only or args.survivors or args.fresh or args.remap):
        parser.error("--rerun-left is a run of its own")
    # mutmut reads its configuration and keeps its results relative to the working directory.
    os.chdir(ROOT)
    if args.rerun_left:
        return rerun_left(args.children, write=not args.no_write)
    if not (args.report_only or args.survivors):
        started = time.perf_counter()
        if args.fresh:
            shutil.rmtree(MUTANTS, ignore_errors=True)
        elif MUTANTS.exists():
            print(f"testing {retest_survivors()} surviving mutants again", flush=True)
            if args.remap:
                forgotten = forget_test_map(STATS)
                print(f"mapping {forgotten} known tests to functions again", flush=True)
        try:
            run_mutmut(args.children)
        finally:
            # A run stopped part-way keeps its verdicts: say how long it ran all the same.
            if MUTANTS.exists():
                DURATION.write_text(f"{time.perf_counter() - started:.0f}\n")
    if not MUTANTS.exists():
        sys.exit("no mutants/ yet: run `make mutation` first")
    seconds = float(DURATION.read_text()) if DURATION.exists() else 0.0
    mutants = list(read_mutants(load_equivalents()))
    if args.survivors:
        for m in mutants:
            if not m.killed and m.equivalent is None and m.status != "not checked":
                print(f"{m.file}:{m.line} {m.function} [{m.status}] {m.name}")
                print(f"  - {m.removed}\n  + {m.added}".replace("\n", "\n    "))
        return 0
    result = section(mutants, seconds)
    print("\n".join(result.status))
    for row in result.rows:
        if row[0].startswith("**"):
            print(f"  {row[0].strip('*'):20} {row[2]:>5} of {row[1]:>5} checked  {row[6]}")
    if not args.no_write:
        target = write_section(result)
        print(f"wrote section {TITLE!r} of {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
