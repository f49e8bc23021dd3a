"""The layer markers follow the folders, as tests/conftest.py says they do.

A subprocess collects the whole suite with `-m "e2e or integration or ui"`, as `make
integration`, `make e2e` and `make ui` do, and a small plugin reports what was selected and
deselected, with the markers and parameters of each item: what `-m` really selects is
checked, not only what the hook adds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import ROOT

# The contract suite's backends that run on the moto server (tests/contract/conftest.py).
MOTO_PARAMS = frozenset({"aws", "s3"})
LAYER_MARKERS = frozenset({"integration", "e2e", "ui"})

_PLUGIN = """
import json
import os

_deselected = []


def pytest_deselected(items):
    _deselected.extend(items)


def _row(item):
    callspec = getattr(item, "callspec", None)
    return {
        "nodeid": item.nodeid,
        "markers": sorted({mark.name for mark in item.iter_markers()}),
        "params": sorted(str(value) for value in callspec.params.values()) if callspec else [],
        "moto": "moto_endpoint" in item.fixturenames,
    }


def pytest_collection_finish(session):
    rows = {
        "selected": [_row(item) for item in session.items],
        "deselected": [_row(item) for item in _deselected],
    }
    with open(os.environ["MARKER_CHECK_OUT"], "w") as out:
        json.dump(rows, out)
"""

Row = dict[str, Any]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Row]]:
    work = tmp_path_factory.mktemp("marker_check")
    (work / "marker_check_plugin.py").write_text(_PLUGIN)
    out = work / "collected.json"
    paths = [str(work), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "MARKER_CHECK_OUT": str(out)}
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "marker_check_plugin", "-m", " or ".join(sorted(LAYER_MARKERS)), "tests"]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows: dict[str, list[Row]] = json.loads(out.read_text())
    return rows


def _layer(row: Row) -> str | None:
    """The layer marker an item must carry, from its folder (and its backend, in the contract)."""
    folder = row["nodeid"].split("/")[1]
    if folder in LAYER_MARKERS:
        return folder
    if folder == "contract" and MOTO_PARAMS & set(row["params"]):
        return "integration"
    return None


@pytest.mark.slow
def test_dash_m_selects_exactly_the_integration_e2e_and_ui_tests(
    collected: dict[str, list[Row]],
) -> None:
    wrongly_in = [row["nodeid"] for row in collected["selected"] if _layer(row) is None]
    wrongly_out = [row["nodeid"] for row in collected["deselected"] if _layer(row) is not None]
    assert not wrongly_in, "selected by -m but not integration, e2e or ui by folder"
    assert not wrongly_out, "integration, e2e or ui by folder but not selected by -m"
    assert collected["selected"]
    assert collected["deselected"]


@pytest.mark.slow
def test_every_item_carries_its_folders_layer_marker_only(
    collected: dict[str, list[Row]],
) -> None:
    wrong = []
    for row in collected["selected"] + collected["deselected"]:
        layer = _layer(row)
        if LAYER_MARKERS.intersection(row["markers"]) != ({layer} if layer else set()):
            wrong.append((row["nodeid"], row["markers"]))
    assert not wrong


@pytest.mark.slow
def test_a_test_on_the_moto_server_is_an_integration_test(
    collected: dict[str, list[Row]],
) -> None:
    rows = collected["selected"] + collected["deselected"]
    unmarked = [r["nodeid"] for r in rows if r["moto"] and "integration" not in r["markers"]]
    assert not unmarked


def test_unit_tests_live_in_the_folder_of_their_layer() -> None:
    # tests/unit/<layer>/ mirrors src/mockmind/<layer>/ (architecture/ checks the whole
    # package); a flat file there has no layer.
    unit = Path(__file__).parent / "unit"
    assert sorted(path.name for path in unit.glob("test_*.py")) == []
