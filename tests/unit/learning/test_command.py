from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from mockmind.cli import main
from mockmind.config import parse_config
from tests.unit.learning.test_recordings import _event


def test_learn_writes_a_document_and_a_config_that_loads(tmp_path: Path) -> None:
    recording = tmp_path / "rec.jsonl"
    recording.write_text("\n".join(_event(n, f"/widgets/{n}0{n}") for n in (1, 2, 3)) + "\n")
    out = tmp_path / "learned"
    result = CliRunner().invoke(main, ["learn", str(recording), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out / 'openapi.yaml'} and {out / 'mockmind.yaml'}" in result.output
    assert "3 exchanges in 1 session(s): 1 operations on 1 paths" in result.output
    document = yaml.safe_load((out / "openapi.yaml").read_text())
    assert list(document["paths"]) == ["/widgets/{widgetId}"]
    text = (out / "mockmind.yaml").read_text()
    assert text.startswith("# Learned by `mockmind learn` from rec.jsonl.\n")
    config = parse_config(text, env={})
    assert config.config.openapi == "openapi.yaml"
    assert config.config.intelligent_behavior.behavior_model.rules.auth.login is None


def test_unreadable_recordings_end_the_command_with_their_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps({"seq": 1}) + "\n")
    result = CliRunner().invoke(main, ["learn", str(broken), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert f"Error: {broken}:1: not a journal event: missing key 'at'" in result.output
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    result = CliRunner().invoke(main, ["learn", str(empty), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "Error: the recordings hold no exchange to learn from" in result.output
    assert not (tmp_path / "o").exists()
