"""Reading a YAML or JSON file into plain Python values, fast, with line-numbered errors.

JSON goes through orjson straight from the file's bytes (GitHub's 13 MB description: 0.15 s,
against 0.3 s to decode and parse with :mod:`json`), and through :mod:`json` wherever orjson
would answer differently or refuses (its messages and line numbers are the ones reported);
YAML through
PyYAML's libyaml loader when it is available. The YAML loader follows YAML 1.2's core schema
where OpenAPI tooling does: ``2024-01-01`` stays a string (a date object would break JSON Schema
validation of examples), ``yes``/``no``/``on``/``off`` stay strings (only ``true``/``false`` are
booleans), and mapping keys are always strings (so ``200:`` under ``responses`` is ``"200"`` and
JSON pointers reach it).
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path
from typing import Any

import orjson
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
# JSON's own whitespace: orjson accepts no other, so nothing it parses starts differently.
_JSON_START = re.compile(rb"[ \t\n\r]*[\[{]")
_YAML_SUFFIXES = {".yaml", ".yml"}


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([ConfigIssue("", f"file not found: {path}", source=str(path))]) from None
    except OSError as exc:
        raise ConfigError(
            [ConfigIssue("", f"cannot read {path}: {exc.strerror or exc}", source=str(path))]
        ) from exc


def decode_text(data: bytes, path: Path) -> str:
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


def parse_bytes(data: bytes, path: Path) -> Any:
    """What :func:`parse_text` answers for the decoded ``data``, without decoding JSON first."""
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    # Only where parse_text would use json: a top-level scalar in a YAML file stays YAML's.
    looks_json = path.suffix.lower() in _JSON_SUFFIXES or _JSON_START.match(body)
    if looks_json and not _has_long_integer(body):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # NaN, a lone surrogate, not UTF-8, not JSON: json's answer or message
    return parse_text(decode_text(data, path), path)


# Digits as "0", minus as "-", anything else as "a": a digit run is then found with bytes.find.
_DIGIT_SHAPES = bytes(
    ord("0") if chr(i).isdigit() and i < 128 else ord("-") if i == ord("-") else ord("a")
    for i in range(256)
)
_SCAN_CHUNK = 1 << 20


def _has_long_integer(body: bytes) -> bool:
    """Whether ``body`` may hold an integer orjson reads as a float (json reads it exactly):
    above 2**64 - 1 (20 digits) or below -2**63 (a minus and 19 digits). Digits inside strings
    count too: such a document is merely parsed the slower way."""
    overlap = 20
    for start in range(0, len(body), _SCAN_CHUNK):
        # In chunks: one translated copy of a 13 MB document would add to the peak memory.
        shapes = body[max(0, start - overlap) : start + _SCAN_CHUNK].translate(_DIGIT_SHAPES)
        if b"0" * 20 in shapes or b"-" + b"0" * 19 in shapes:
            return True
    return False


def load_file(path: Path) -> Any:
    return parse_bytes(read_bytes(path), path)


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
