"""`bench/mutation.py --remap`: mutmut maps only the tests it has not seen to the functions they
call, so after code moved the option forgets every test's duration and mapping before the run,
and mutmut's stats run maps them all again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bench import mutation

STATS: dict[str, Any] = {
    "tests_by_mangled_function_name": {
        "mockmind.domain.resources.store.x_ResourceService__list": [
            "tests/unit/domain/test_resource_service.py::test_a_list"
        ]
    },
    "duration_by_test": {
        "tests/unit/domain/test_resource_service.py::test_a_list": 0.25,
        "tests/unit/domain/test_sessions.py::test_a_delta": 0.5,
    },
    "stats_time": 50.5,
    "function_hashes": {"mockmind.domain.sessions.x_session_delta": "ab12"},
    "function_dependencies": {},
    "config_fingerprint": {"test_selection": "cd34"},
    "watched_file_hashes": {},
    "git_commit": "f05f8cd",
}


def test_every_tests_duration_and_mapping_is_forgotten_and_the_rest_kept(
    tmp_path: Path,
) -> None:
    stats = tmp_path / "mutmut-stats.json"
    stats.write_text(json.dumps(STATS))
    assert mutation.forget_test_map(stats) == 2
    assert json.loads(stats.read_text()) == {
        **STATS,
        "tests_by_mangled_function_name": {},
        "duration_by_test": {},
    }


def test_without_mutmuts_stats_there_is_nothing_to_forget(tmp_path: Path) -> None:
    stats = tmp_path / "mutmut-stats.json"
    assert mutation.forget_test_map(stats) == 0
    assert not stats.exists()


@pytest.fixture
def kept_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """mutants/ in a temporary folder, mutmut's run replaced by a note of how many tests its
    stats knew when it started."""
    mutants = tmp_path / "mutants"
    mutants.mkdir()
    stats = mutants / "mutmut-stats.json"
    stats.write_text(json.dumps(STATS))
    known: list[str] = []

    def run_mutmut(children: int) -> None:
        known.extend(json.loads(stats.read_text())["duration_by_test"])

    monkeypatch.setattr(mutation, "MUTANTS", mutants)
    monkeypatch.setattr(mutation, "STATS", stats)
    monkeypatch.setattr(mutation, "DURATION", mutants / "run-seconds.txt")
    monkeypatch.setattr(mutation, "retest_survivors", lambda: 0)
    monkeypatch.setattr(mutation, "run_mutmut", run_mutmut)
    monkeypatch.setattr(mutation, "read_mutants", lambda equivalents: iter([]))
    monkeypatch.chdir(tmp_path)
    return known


def test_a_run_with_remap_starts_with_no_test_known(kept_results: list[str]) -> None:
    assert mutation.main(["--remap", "--no-write"]) == 0
    assert kept_results == []


def test_a_run_without_remap_keeps_mutmuts_map(kept_results: list[str]) -> None:
    assert mutation.main(["--no-write"]) == 0
    assert kept_results == list(STATS["duration_by_test"])


@pytest.mark.parametrize("other", ["--report-only", "--survivors"])
def test_remap_is_refused_where_nothing_runs(
    other: str, kept_results: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as refused:
        mutation.main(["--remap", other])
    assert refused.value.code == 2
    assert "--remap applies to a run" in capsys.readouterr().err
    assert kept_results == []
