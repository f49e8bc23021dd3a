"""An object's layout: which properties a flat's object gets, in what order, each with its
schema, worked out once per flat and kept on it (a memoised flat serves every later call).

What an object's keys are and what each must satisfy depends on the flat alone (and on
whether the value is minimal, past ``max_depth``), not on the seed: per call only the values
are drawn. Each member also keeps its property's flat, with the ``$ref``s that flat read: a
property's schema in a memoised flat is the memo's private copy, so its content never
changes, and only its refs' targets are compared again (``FlatMemo.flatten_shared``).
"""

from __future__ import annotations

from typing import Final

from mockmind.domain.generation.flattening import (
    Flat,
    Member,
    ObjectLayout,
    element_schema,
    key_allowed,
    property_schema,
)
from mockmind.domain.generation.hints import owner_of

# Keys a map (an object of additionalProperties or patternProperties only) is given.
MAP_KEYS: Final = 2
_LABEL_KEYS: Final = frozenset({"name", "title"})


def new_member(flat: Flat, key: str, *, optional: bool) -> Member:
    schema = property_schema(flat, key)
    return Member(key, schema, optional, key.lower() in _LABEL_KEYS, owner_of(schema))


def element_member(flat: Flat) -> Member:
    """The member an array's elements share (when it has no prefixItems; those checked
    against ``contains`` have their own schema), made once per flat."""
    found = flat.element
    if found is None:
        schema = element_schema(flat, 0, with_contains=False)
        found = flat.element = Member("", schema, False, False, owner_of(schema))
    return found


def object_layout(flat: Flat, *, minimal: bool) -> ObjectLayout:
    """``flat``'s layout, made once per flat and ``minimal``."""
    layouts = flat.layouts
    if layouts is None:
        layouts = flat.layouts = {}
    found = layouts.get(minimal)
    if found is None:
        found = layouts[minimal] = _layout(flat, minimal=minimal)
    return found


def _layout(flat: Flat, *, minimal: bool) -> ObjectLayout:
    required = list(flat.required)
    optional = [k for k in flat.properties if k not in flat.required and key_allowed(flat, k)]
    chosen = set(required)
    budget = None if flat.max_props is None else max(0, flat.max_props - len(required))
    leftovers: list[str] = []
    for key in optional:
        # Like Prism, a response carries every optional field: clients see the full shape.
        if not minimal and (budget is None or budget > 0):
            chosen.add(key)
            budget = None if budget is None else budget - 1
        else:
            leftovers.append(key)
    order = [k for k in flat.properties if k in chosen]
    order += [k for k in required if k not in flat.properties]
    is_map = not flat.properties and (
        any(not isinstance(s, bool) for _, _, s in flat.closures) or bool(flat.pattern_props)
    )
    optional_keys = set(optional)
    return ObjectLayout(
        tuple(new_member(flat, key, optional=key in optional_keys) for key in order),
        tuple(new_member(flat, key, optional=True) for key in leftovers),
        MAP_KEYS if is_map and not minimal else 0,
    )
