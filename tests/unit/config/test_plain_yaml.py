"""libyaml's fast reading of a config gives ruamel's values, or leaves the file to ruamel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from mockmind.config.loader import _to_plain, parse_config
from mockmind.config.plain_yaml import UNSURE, load_plain

ROOT = Path(__file__).resolve().parents[3]
CONFIGS = [
    *sorted((ROOT / "examples").glob("*/mockmind*.yaml")),
    ROOT.parent / "shared" / "seed" / "config-example.yaml",
]


def _ruamel(text: str) -> Any:
    return _to_plain(YAML(typ="rt").load(text), {}, [])


@pytest.mark.parametrize("path", [p for p in CONFIGS if p.exists()], ids=lambda p: p.parent.name)
def test_the_shipped_configs_read_as_ruamel_reads_them(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = load_plain(text)
    assert found is not UNSURE
    assert _to_plain(found, {}, []) == _ruamel(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: -2\nc: 0\n", {"a": 1, "b": -2, "c": 0}),
        ("a: 1.5\nb: -0.25\n", {"a": 1.5, "b": -0.25}),
        ("a: true\nb: False\nc: yes\nd: off\n", {"a": True, "b": False, "c": "yes", "d": "off"}),
        ("a: ~\nb: null\nc:\nd: NULL\n", {"a": None, "b": None, "c": None, "d": None}),
        (
            "a: '1'\nb: \"true\"\nc: |\n  two\n  lines\n",
            {"a": "1", "b": "true", "c": "two\nlines\n"},
        ),
        ("a: [1, x, {b: 2}]\n", {"a": [1, "x", {"b": 2}]}),
        ("# only a comment\n", None),
        ("", None),
        ("a: .5x\nb: 1.2.3\nc: 12:30\n", {"a": ".5x", "b": "1.2.3", "c": "12:30"}),
    ],
)
def test_plain_values_are_ruamels(text: str, expected: Any) -> None:
    assert load_plain(text) == expected
    assert _ruamel(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a: 0o17\n",  # an octal int in YAML 1.2
        "a: 017\n",
        "a: 1_000\n",
        "a: +5\n",
        "a: 1e3\n",  # a float in YAML 1.2, a string to libyaml's 1.1 resolver
        "a: .inf\n",
        "a: 0x1F\n",
        "a: 1.\n",
        "a: 2024-01-01\n",  # a date to ruamel
        "a: &x 1\nb: *x\n",
        "base: &b {x: 1}\nother:\n  <<: *b\n",
        "a: !!str 1\n",
        "a: !custom x\n",
        "%YAML 1.1\n---\na: yes\n",
        "a: 1\na: 2\n",  # ruamel refuses a duplicate key
        "1: a\n",  # a non-string key
        "true: a\n",
        "? [a, b]\n: c\n",
        "a: 1\n---\nb: 2\n",  # two documents
        "a: [1\n",  # a YAML error: ruamel words it
        "a: =\n",
        "\ufeffa: 1\n",
    ],
)
def test_anything_else_is_left_to_ruamel(text: str) -> None:
    assert load_plain(text) is UNSURE


def test_a_file_left_to_ruamel_loads_as_before() -> None:
    loaded = parse_config("server:\n  max_json_depth: 0o17\n", env={})
    assert loaded.config.server.max_json_depth == 15
    assert loaded.tree is not None


def test_a_problem_after_validation_still_names_its_line() -> None:
    text = "server:\n  cors: true\n  max_body_bytes: 8080\n"
    loaded = parse_config(text, env={})
    assert loaded.tree is None  # read by libyaml: ruamel not needed yet
    issue = loaded.issue(("server", "max_body_bytes"), "too small")
    assert (issue.path, issue.message, issue.line, issue.column) == (
        "server.max_body_bytes",
        "too small",
        3,
        19,
    )
