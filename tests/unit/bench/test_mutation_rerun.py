"""`bench/mutation.py --rerun-left`: the survivors section 12 lists as left are re-run by name
(on a machine without the whole run's mutants/), and their verdicts folded into the section,
every other mutant keeping the whole run's."""

from __future__ import annotations

import pytest
from bench import mutation
from bench.mutation import Equivalent, Mutant

FILE = "src/mockmind/domain/cache_keys.py"
OTHER = "src/mockmind/domain/sessions.py"
WHY = "the two behave the same."


def survivor(file: str, line: int, removed: str, added: str, *, why: str = "") -> Mutant:
    mutant = Mutant("", file, "canonical_body", "survived", line, removed, added)
    if why:
        mutant.equivalent = Equivalent(file, "canonical_body", removed, added, why)
    return mutant


def whole_run() -> list[Mutant]:
    """A run as section() reports it: killed, not checked, equivalent and left mutants, with
    code that _code renders specially (a pipe, two lines, nothing)."""
    return [
        *(Mutant("", FILE, "", "killed") for _ in range(6)),
        Mutant("", FILE, "", "not checked"),
        survivor(FILE, 30, "a = b | c", "a = b & c", why=WHY),
        survivor(FILE, 31, "x = 1\ny = 2", "x = 1", why="another: `why` too."),
        survivor(FILE, 36, "if a and b:", "if a or b:"),
        survivor(FILE, 40, 'return "json"', 'return "XXjsonXX"'),
        *(Mutant("", OTHER, "", "killed") for _ in range(3)),
        survivor(OTHER, 12, "flag = True", "flag = None"),
    ]


def test_a_section_is_read_back_into_the_run_it_shows() -> None:
    shown = mutation.section(whole_run(), 10).markdown()
    recorded = mutation.recorded_run(shown)
    assert recorded.counts == {
        FILE: {"mutants": 11, "checked": 10, "killed": 6, "equivalent": 2, "left": 2},
        OTHER: {"mutants": 4, "checked": 4, "killed": 3, "equivalent": 0, "left": 1},
    }
    assert [(m.file, m.line, m.removed, m.added) for m in recorded.left] == [
        (FILE, 36, "if a and b:", "if a or b:"),
        (FILE, 40, 'return "json"', 'return "XXjsonXX"'),
        (OTHER, 12, "flag = True", "flag = None"),
    ]
    assert mutation.section(recorded.mutants(), 10).markdown() == shown


def test_a_section_whose_list_disagrees_with_its_table_is_refused() -> None:
    shown = mutation.section(whole_run(), 10).markdown()
    edited = "\n".join(line for line in shown.splitlines() if "flag = None" not in line)
    with pytest.raises(ValueError, match="counts 1 left and 0 equivalent in src/mockmind/domain/s"):
        mutation.recorded_run(edited)


def test_the_rerun_verdicts_replace_the_listed_survivors_and_nothing_else() -> None:
    recorded = mutation.recorded_run(mutation.section(whole_run(), 10).markdown())
    # Killed; survived again but now listed equivalent; survived again.
    found = {
        0: "m.x_canonical_body__mutmut_3",
        1: "m.x_canonical_body__mutmut_9",
        2: "s.x_f__mutmut_1",
    }
    verdict = {
        "m.x_canonical_body__mutmut_3": "killed",
        "m.x_canonical_body__mutmut_9": "survived",
        "s.x_f__mutmut_1": "survived",
    }
    listed = [Equivalent(FILE, "canonical_body", 'return "json"', 'return "XXjsonXX"', WHY)]
    out = mutation.fold_rerun(
        recorded,
        found,
        verdict,
        {"m.x_canonical_body__mutmut_3": "tests/unit/test_keys.py::test_and"},
        listed,
        seconds=5,
        commit="abc1234",
        day="2026-12-03",
    )
    rows = {row[0]: row[1:6] for row in out.rows}
    assert rows["domain/cache_keys.py"] == ["11", "10", "7", "3", "0"]
    assert rows["domain/sessions.py"] == ["4", "4", "3", "0", "1"]
    assert out.status == [
        "71.4% of 14 mutants killed; target met in 0 of 6 areas (4 not run: "
        "rules, resources, state machines, request validation); 3 equivalent, "
        "1 left",
        "1 of 15 mutants not checked: the run was cut short",
    ]
    assert out.notes[0].startswith("The table is the whole run's, with the 3 survivors it left ")
    assert "on 2026-12-03 at commit abc1234" in out.notes[0]
    assert "1 killed, 1 equivalent, 1 left." in out.notes[0]
    assert out.notes[1:4] == [
        f"`{FILE}:36` (canonical_body): `if a and b:` → `if a or b:` (mutant 3): killed, "
        "`tests/unit/test_keys.py::test_and` fails with it",
        f'`{FILE}:40` (canonical_body): `return "json"` → `return "XXjsonXX"` (mutant 9): '
        "survived, equivalent (bench/mutation_equivalents.toml)",
        f"`{OTHER}:12` (canonical_body): `flag = True` → `flag = None` (mutant 1): survived, left",
    ]
    assert f"`{OTHER}:12` (canonical_body, survived): `flag = True` → `flag = None`" in out.notes
    assert f'`{FILE}:40` (canonical_body): `return "json"` → `return "XXjsonXX"`: {WHY}' in (
        out.notes
    )


@pytest.mark.parametrize("other", ["--fresh", "--remap", "--report-only", "--survivors"])
def test_rerun_left_is_a_run_of_its_own(other: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        mutation.main(["--rerun-left", other])
    assert refused.value.code == 2
    assert "--rerun-left is a run of its own" in capsys.readouterr().err


def test_a_survivor_whose_change_is_no_longer_generated_stays_left() -> None:
    shown = mutation.section(whole_run(), 10).markdown()
    recorded = mutation.recorded_run(shown)
    out = mutation.fold_rerun(
        recorded, {}, {}, {}, [], seconds=5, commit="abc1234", day="2026-12-03"
    )
    assert out.rows == mutation.section(whole_run(), 5).rows
    assert "0 killed, 0 equivalent, 0 left, 3 no longer found." in out.notes[0]
    assert out.notes[3] == (
        f"`{OTHER}:12` (canonical_body): `flag = True` → `flag = None`: not found among the "
        "mutants now (its function changed): left"
    )
