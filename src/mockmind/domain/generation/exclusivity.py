"""``oneOf`` exclusivity: a generated object that more than one branch accepts, made to fail
all but one.

Open object schemas (no ``required``, no ``additionalProperties: false``) accept almost any
object, so a value built from one branch often fits its siblings too (listennotes's
``PlaylistItem.data``: four open objects). Keys cannot be taken away to break a sibling that
requires nothing; a key the sibling declares, with a value of another type, breaks it while
the chosen branch, which leaves that key free (or types it otherwise), still accepts it.
"""

from __future__ import annotations

from typing import Any, Final

from mockmind.domain.generation.flat_memo import FlatMemo
from mockmind.domain.generation.flattening import RefResolver, key_allowed, property_schema
from mockmind.domain.generation.schemas import Schema
from mockmind.domain.generation.validation import is_valid

# Values of every JSON type, one of which some property schema refuses.
_PROBES: Final[tuple[Any, ...]] = (None, False, 0, 0.5, "", [], {})


def made_exclusive(resolve: RefResolver, flats: FlatMemo, value: Any, schema: Schema) -> Any | None:
    """``value`` changed so that each ``oneOf`` of ``schema`` accepts it under one branch
    only; None when no such change is found."""
    if not isinstance(value, dict):
        return None
    result = dict(value)
    for keyword, branches, _ in flats.flatten(schema, resolve).choices:
        if keyword != "oneOf":
            continue
        accepting = [b for b in branches if is_valid(resolve, result, b, 0)]
        if len(accepting) < 2:
            continue
        # The branch the value was built from may be the one that cannot be told apart (its
        # fields a subset of a sibling's): then keep another and break the rest.
        for index, chosen in enumerate(accepting):
            attempt = dict(result)
            others = accepting[:index] + accepting[index + 1 :]
            if all(_break(resolve, flats, attempt, chosen, other) for other in others):
                result = attempt
                break
        else:
            return None
    return result if is_valid(resolve, result, schema, 0) else None


def _break(
    resolve: RefResolver, flats: FlatMemo, value: dict[str, Any], chosen: Schema, other: Schema
) -> bool:
    """Set one key of ``value`` so that ``other`` refuses it and ``chosen`` still accepts it."""
    mine = flats.flatten(chosen, resolve)
    theirs = flats.flatten(other, resolve)
    if mine.choices or theirs.choices:
        return False
    for key in theirs.properties:
        if not key_allowed(mine, key):
            continue
        allowed, refused = property_schema(mine, key), property_schema(theirs, key)
        for probe in _PROBES:
            if is_valid(resolve, probe, allowed, 0) and not is_valid(resolve, probe, refused, 0):
                candidate = {**value, key: probe}
                if is_valid(resolve, candidate, chosen, 0) and not is_valid(
                    resolve, candidate, other, 0
                ):
                    value[key] = probe
                    return True
    return False
