"""Reading a YAML or JSON file into plain Python values, fast, with line-numbered errors.

JSON goes through :mod:`json` (a 10 MB document parses in a fraction of a second); YAML through
PyYAML's libyaml loader when it is available. The YAML loader follows YAML 1.2's core schema
where OpenAPI tooling does: ``2024-01-01`` stays a string (a date object would break JSON Schema
validation of examples), ``yes``/``no``/``on``/``off`` stay strings (only ``true``/``false`` are
booleans), and mapping keys are always strings (so ``200:`` under ``responses`` is ``"200"`` and
JSON pointers reach it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from mockmind.domain.errors import ConfigError, ConfigIssue

_BaseLoader: type[yaml.SafeLoader]
try:
    _BaseLoader = yaml.CSafeLoader  # type: ignore[assignment,unused-ignore]
except AttributeError:  # PyYAML built without libyaml: slower, same results
    _BaseLoader = yaml.SafeLoader

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _SpecLoader(_BaseLoader):  # type: ignore[misc,valid-type,unused-ignore]
    """A safe loader with YAML 1.2-style scalars and string keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if all(type(key) is str for key in mapping):
            return mapping
        return {_key_text(key): value for key, value in mapping.items()}


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


_SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_SpecLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

_JSON_SUFFIXES = {".json"}
_YAML_SUFFIXES = {".yaml", ".yml"}


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([ConfigIssue("", f"file not found: {path}", source=str(path))]) from None
    except OSError as exc:
        raise ConfigError(
            [ConfigIssue("", f"cannot read {path}: {exc.strerror or exc}", source=str(path))]
        ) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            [ConfigIssue("", "the file is not UTF-8 text", line=line, source=str(path))]
        ) from exc


def parse_text(text: str, path: Path) -> Any:
    """JSON or YAML by extension; anything else is sniffed (``{`` or ``[`` first means JSON)."""
    suffix = path.suffix.lower()
    looks_json = text.lstrip()[:1] in ("{", "[")
    if suffix in _JSON_SUFFIXES:
        return _parse_json(text, path)
    if looks_json:
        # JSON is YAML too, but the JSON parser is an order of magnitude faster; a YAML file that
        # merely starts with a flow mapping falls back to the YAML parser.
        try:
            return json.loads(text)
        except ValueError:
            if suffix not in _YAML_SUFFIXES:
                return _parse_json(text, path)
    return _parse_yaml(text, path)


def load_file(path: Path) -> Any:
    return parse_text(read_text(path), path)


def _parse_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            [
                ConfigIssue(
                    "",
                    f"invalid JSON: {exc.msg}",
                    line=exc.lineno,
                    column=exc.colno,
                    source=str(path),
                )
            ]
        ) from exc


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        return yaml.load(text, Loader=_SpecLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        raise ConfigError(
            [
                ConfigIssue(
                    "",
                    f"invalid YAML: {problem}",
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                    source=str(path),
                )
            ]
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigIssue("", f"invalid YAML: {exc}", source=str(path))]) from exc


def line_of_key(text: str, key: str) -> int | None:
    """The first line where ``key`` appears as a mapping key; only used to point at errors."""
    quoted = re.escape(key)
    pattern = re.compile(rf"(?:^|[{{,])\s*(?:-\s+)?[\"']?{quoted}[\"']?\s*:", re.MULTILINE)
    found = pattern.search(text)
    if found is None:
        return None
    return text.count("\n", 0, found.start()) + 1
