"""A config file's values through libyaml, when they are certainly what ruamel would give.

ruamel (YAML 1.2, with the line of every key) is the config's parser of record, but it is
pure Python: importing and running it was a tenth of a mock-only Lambda's cold start. A file
that parses and validates needs no line numbers, so the loader asks this module first. It
reads libyaml's events and builds plain values only from what both parsers agree on: plain,
quoted and block scalars, mappings with string keys met once, sequences, one document. A
scalar is resolved as ruamel resolves YAML 1.2 (its own expressions, tried in its order); one
that would become something this module does not build the same way (``0o17``, ``1_000``,
``1e3``, a date, ``<<``) and anything else unusual (a tag, an anchor, an alias, a directive, a
duplicate key, a non-string key, a YAML error) answers :data:`UNSURE`, and the loader parses
with ruamel as before, so the result, or the error and its line, is ruamel's.
"""

from __future__ import annotations

import re
from typing import Any, Final

import yaml

UNSURE: Final = object()

# ruamel.yaml's YAML 1.2 implicit resolvers (ruamel/yaml/resolver.py), in its order, keyed by
# the first characters it files them under.
_R12: Final[tuple[tuple[str, re.Pattern[str], str], ...]] = (
    ("bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    (
        "float",
        re.compile(
            r"""^(?:
         [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
            re.X,
        ),
        "-+0123456789.",
    ),
    (
        "int",
        re.compile(
            r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+)$""",
            re.X,
        ),
        "-+0123456789",
    ),
    ("merge", re.compile(r"^(?:<<)$"), "<"),
    ("null", re.compile(r"^(?:~|null|Null|NULL|)$"), "~nN"),
    (
        "timestamp",
        re.compile(
            r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
        (?:[Tt]|[ \t]+)[0-9][0-9]?
        :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
            re.X,
        ),
        "0123456789",
    ),
    ("value", re.compile(r"^(?:=)$"), "="),
)
# The spellings built here as ruamel builds them (any other int or float spelling is UNSURE).
_DECIMAL_INT: Final = re.compile(r"-?(?:0|[1-9][0-9]*)")
_DECIMAL_FLOAT: Final = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+")


def load_plain(text: str) -> Any:
    """The file's values as plain dicts, lists and scalars, or :data:`UNSURE`."""
    if not hasattr(yaml, "CBaseLoader") or text.startswith("\ufeff"):
        return UNSURE  # PyYAML without libyaml would be no faster than ruamel
    try:
        return _Builder(yaml.parse(text, Loader=yaml.CBaseLoader)).document()
    except yaml.YAMLError:
        return UNSURE


def _scalar(event: yaml.ScalarEvent) -> Any:
    plain, _quoted = event.implicit
    value: str = event.value
    if not plain:
        return value
    first = value[:1]
    for tag, pattern, firsts in _R12:
        if (first in firsts if first else tag == "null") and pattern.match(value):
            if tag == "bool":
                return value.lower() == "true"
            if tag == "null":
                return None
            if tag == "int" and _DECIMAL_INT.fullmatch(value):
                return int(value)
            if tag == "float" and _DECIMAL_FLOAT.fullmatch(value):
                return float(value)
            return UNSURE
    return value


class _Builder:
    """Values from libyaml's events; UNSURE as soon as one is not certainly ruamel's."""

    def __init__(self, events: Any) -> None:
        self._events = iter(events)

    def _next(self) -> Any:
        return next(self._events)

    def document(self) -> Any:
        if not isinstance(self._next(), yaml.StreamStartEvent):
            return UNSURE
        start = self._next()
        if isinstance(start, yaml.StreamEndEvent):
            return None  # an empty file
        if not isinstance(start, yaml.DocumentStartEvent) or start.version or start.tags:
            return UNSURE  # a directive
        root = self._node(self._next())
        if not isinstance(self._next(), yaml.DocumentEndEvent):
            return UNSURE
        if not isinstance(self._next(), yaml.StreamEndEvent):
            return UNSURE  # a second document: ruamel refuses it
        return root

    def _node(self, event: Any) -> Any:
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None or event.tag is not None:
            return UNSURE
        if isinstance(event, yaml.ScalarEvent):
            return _scalar(event)
        if isinstance(event, yaml.SequenceStartEvent):
            items = []
            while not isinstance(item := self._next(), yaml.SequenceEndEvent):
                value = self._node(item)
                if value is UNSURE:
                    return UNSURE
                items.append(value)
            return items
        if isinstance(event, yaml.MappingStartEvent):
            mapping: dict[str, Any] = {}
            while not isinstance(key_event := self._next(), yaml.MappingEndEvent):
                if not isinstance(key_event, yaml.ScalarEvent):
                    return UNSURE  # a complex key
                key = self._node(key_event)
                if type(key) is not str or key in mapping:
                    return UNSURE  # a non-string key, or one met twice (ruamel refuses it)
                value = self._node(self._next())
                if value is UNSURE:
                    return UNSURE
                mapping[key] = value
            return mapping
        return UNSURE
