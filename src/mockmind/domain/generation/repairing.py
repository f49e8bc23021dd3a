"""Repair: a value made to validate against a schema while keeping as much of it as it can.

A document's example that misses a required field, a stored entity made of a request body the
response schema does not fully allow: what fits is kept, a property the schema forbids is
dropped, a value of the wrong shape is replaced by a generated one, and missing required
properties are generated. When the parts cannot be mended one by one (a ``oneOf`` whose
branches the value straddles, a ``not``), the generated value is the answer: it validates by
construction, and the result is checked before it is returned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from mockmind.domain.generation.flat_memo import FlatMemo
from mockmind.domain.generation.flattening import (
    RefResolver,
    element_schema,
    key_allowed,
    property_schema,
)
from mockmind.domain.generation.json_values import clone
from mockmind.domain.generation.schemas import Direction, Schema
from mockmind.domain.generation.validation import is_valid

Generate = Callable[[Schema, str], Any]
"""A generated value for a schema and a seed (the offline generator's ``generate``)."""

# Deeper than any document's nesting needs: repair below it is generation.
_MAX_DEPTH: Final = 32


def repaired(
    value: Any,
    schema: Schema,
    *,
    resolve: RefResolver,
    generate: Generate,
    flats: FlatMemo,
    seed: str,
    direction: Direction = "response",
) -> Any:
    """``value`` if it validates against ``schema``; else the closest value that does.

    Properties the direction hides (``writeOnly`` in a response, ``readOnly`` in a request)
    are dropped too: a response that shows a password breaks its schema for clients that
    read ``writeOnly`` as "never sent back"."""
    return _Repair(resolve, generate, flats, direction).value(value, schema, seed, 0)


class _Repair:
    def __init__(
        self, resolve: RefResolver, generate: Generate, flats: FlatMemo, direction: Direction
    ) -> None:
        self._resolve = resolve
        self._generate = generate
        self._flats = flats
        self._direction = direction

    def _hidden(self, schema: Schema) -> bool:
        flat = self._flats.flatten(schema, self._resolve)
        return flat.write_only if self._direction == "response" else flat.read_only

    def _shows_hidden(self, value: Any, schema: Schema, depth: int) -> bool:
        """Whether an object (or one nested in its properties) holds a hidden property."""
        if not isinstance(value, dict) or depth >= _MAX_DEPTH:
            return False
        flat = self._flats.flatten(schema, self._resolve)
        if flat.choices:
            return False
        for key, item in value.items():
            if key not in flat.properties:
                continue
            sub = property_schema(flat, key)
            if (key not in flat.required and self._hidden(sub)) or self._shows_hidden(
                item, sub, depth + 1
            ):
                return True
        return False

    def value(self, value: Any, schema: Schema, seed: str, depth: int) -> Any:
        if is_valid(self._resolve, value, schema, 0) and not self._shows_hidden(
            value, schema, depth
        ):
            return value
        fresh = self._generate(schema, seed)
        if depth >= _MAX_DEPTH:
            return fresh
        mended: Any = None
        if isinstance(value, dict) and isinstance(fresh, dict):
            mended = self._object(value, fresh, schema, seed, depth)
        elif isinstance(value, list) and isinstance(fresh, list):
            mended = self._array(value, fresh, schema, seed, depth)
        if mended is not None and is_valid(self._resolve, mended, schema, 0):
            return mended
        return fresh

    def _object(
        self, value: dict[str, Any], fresh: dict[str, Any], schema: Schema, seed: str, depth: int
    ) -> dict[str, Any] | None:
        flat = self._flats.flatten(schema, self._resolve)
        if flat.choices or flat.nots:
            # Which branch the value means is not known: keep the fields the generated value
            # (of one branch) also has, where they fit it.
            merged = {**fresh, **{k: v for k, v in value.items() if k in fresh}}
            return merged if is_valid(self._resolve, merged, schema, 0) else None
        result: dict[str, Any] = {}
        for key, item in value.items():
            if not key_allowed(flat, key):
                continue
            sub = property_schema(flat, key)
            # A required one stays: the generator's strict check would refuse the value.
            if key in flat.properties and key not in flat.required and self._hidden(sub):
                continue
            mended = self.value(item, sub, f"{seed}/{key}", depth + 1)
            # A field no value can satisfy (``not: {}``, a write-only password) is left out
            # unless it is required; then the whole check below decides.
            if key in flat.required or is_valid(self._resolve, mended, sub, 0):
                result[key] = mended
        for key in flat.required:
            if key not in result and key in fresh:
                result[key] = clone(fresh[key])
        if flat.max_props is not None and len(result) > flat.max_props:
            return None
        for key, item in fresh.items():
            if len(result) >= flat.min_props:
                break
            result.setdefault(key, clone(item))
        return result

    def _array(
        self, value: list[Any], fresh: list[Any], schema: Schema, seed: str, depth: int
    ) -> list[Any] | None:
        flat = self._flats.flatten(schema, self._resolve)
        if flat.choices or flat.nots or flat.contains or flat.unique:
            return None
        kept = value if flat.max_items is None else value[: flat.max_items]
        result = [
            self.value(item, element_schema(flat, i, with_contains=False), f"{seed}/{i}", depth + 1)
            for i, item in enumerate(kept)
        ]
        for item in fresh[len(result) :]:
            if len(result) >= flat.min_items:
                break
            result.append(clone(item))
        return result
