"""Field-name hints: what a field's name says its value is (``created_at`` is a time,
``first_name`` a person's name), and whose a field is while a named schema is filled."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from mockmind.domain.generation.schemas import Schema
from mockmind.domain.generation.vocabulary import (
    ANY_HINTS,
    FLAG_PREFIXES,
    IMAGE_WORDS,
    LAST_HINTS,
    PAIR_HINTS,
    PERSON_WORDS,
    THING_WORDS,
)
from mockmind.domain.words import singular


def owner_of(schema: Schema) -> str | None:
    """``product`` for a ``{"$ref": "#/components/schemas/Product"}``; None otherwise."""
    if not isinstance(schema, Mapping):
        return None
    ref = schema.get("$ref")
    if not isinstance(ref, str) or "/" not in ref:
        return None
    word = re.sub(r"(?<!^)(?=[A-Z])", "_", ref.rsplit("/", 1)[-1]).lower().split("_")[0]
    return word or None


def is_person(owner: str) -> bool:
    """Whether a schema named ``owner`` describes a person, whose "name" is a person's name."""
    return owner in PERSON_WORDS or singular(owner) in PERSON_WORDS


@lru_cache(maxsize=4096)
def field_hint(name: str | None) -> str | None:
    """The kind of value a field called ``name`` holds (``email``, ``price``...), if known."""
    if not name:
        return None
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", spaced)
    tokens = tuple(t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t)
    if not tokens:
        return None
    found = _classify(tokens)
    if found is None and tokens[-1].endswith("s"):
        found = _classify((*tokens[:-1], singular(tokens[-1])))
    return found


def _classify(tokens: tuple[str, ...]) -> str | None:
    last = tokens[-1]
    kind: str | None = None
    if len(tokens) >= 2:
        kind = PAIR_HINTS.get((tokens[-2], last))
    if kind is None and last == "name":
        before = tokens[-2] if len(tokens) >= 2 else ""
        kind = "title" if before in THING_WORDS else LAST_HINTS.get(before + "name", "full_name")
        if before in ("company", "organization", "organisation", "business"):
            kind = "company"
    if kind is None:
        kind = LAST_HINTS.get(last)
        if kind is None and len(tokens) >= 2:
            kind = LAST_HINTS.get(tokens[-2] + last)
    if kind is None:
        kind = next((ANY_HINTS[t] for t in tokens if t in ANY_HINTS), None)
    if kind is None and tokens[0] in FLAG_PREFIXES and len(tokens) > 1:
        kind = "flag"
    if kind == "url" and IMAGE_WORDS.intersection(tokens):
        kind = "image"
    if kind in ("date", "datetime") and {"birth", "dob"} & set(tokens):
        kind = "birthdate"
    return kind
