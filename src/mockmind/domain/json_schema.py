"""JSON Schema keyword behaviour mockmind needs beyond jsonschema's defaults."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from jsonschema import ValidationError


def multiple_of(
    validator: Any, divisor: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    """``multipleOf`` in decimal arithmetic: 1.19 is a multiple of 0.01.

    jsonschema divides binary floats (1.19 / 0.01 == 118.99999999999999) and rejects prices
    every client, schemathesis included, considers valid.
    """
    if not validator.is_type(instance, "number"):
        return
    try:
        remainder = Decimal(str(instance)) % Decimal(str(divisor))
    except (InvalidOperation, ValueError):
        return
    if remainder != 0:
        yield ValidationError(f"{instance!r} is not a multiple of {divisor}")


def deref(schema: Any, resolve: Callable[[str], Any], limit: int = 32) -> Any:
    """Follow a chain of ``$ref`` to the schema it ends at (bounded, so a cycle cannot hang)."""
    for _ in range(limit):
        if not (isinstance(schema, Mapping) and "$ref" in schema):
            break
        schema = resolve(str(schema["$ref"]))
    return schema
