"""JSON Schema keyword behaviour mockmind needs beyond jsonschema's defaults."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from jsonschema import ValidationError

from mockmind.domain.ecma_regex import compile_ecma


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


def pattern(
    validator: Any, expression: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    """``pattern`` with ECMA-262's meaning (``\\s``, ``\\d``, ``$``...), as JSON Schema says.

    A pattern Python cannot run (a variable-width look-behind) constrains nothing: the
    document may mean something, but refusing on a guess would refuse valid values."""
    if not validator.is_type(instance, "string") or not isinstance(expression, str):
        return
    compiled = compile_ecma(expression)
    if compiled is not None and not compiled.search(instance):
        yield ValidationError(f"{instance!r} does not match {expression!r}")


def pattern_properties(
    validator: Any, patterns: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    """``patternProperties`` with ECMA-262 patterns; one Python cannot run checks nothing."""
    if not validator.is_type(instance, "object") or not isinstance(patterns, Mapping):
        return
    for expression, subschema in patterns.items():
        compiled = compile_ecma(str(expression))
        if compiled is None:
            continue
        for key, value in instance.items():
            if compiled.search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=expression)


def additional_properties(
    validator: Any, allowed: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    """``additionalProperties`` that reads ``patternProperties`` as ECMA-262, as the keyword
    beside it does (a key matched by a pattern Python cannot run is not called additional)."""
    if not validator.is_type(instance, "object"):
        return
    extras = sorted(_additional(instance, schema), key=str)
    if validator.is_type(allowed, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], allowed, path=extra)
    elif allowed is False and extras:
        if "patternProperties" in schema:
            verb = "does" if len(extras) == 1 else "do"
            joined = ", ".join(repr(each) for each in extras)
            patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
            yield ValidationError(f"{joined} {verb} not match any of the regexes: {patterns}")
        else:
            listed = ", ".join(repr(each) for each in extras)
            verb = "was" if len(extras) == 1 else "were"
            yield ValidationError(
                f"Additional properties are not allowed ({listed} {verb} unexpected)"
            )


def _additional(instance: Mapping[str, Any], schema: Any) -> Iterator[str]:
    properties = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
    patterns = schema.get("patternProperties", {}) if isinstance(schema, Mapping) else {}
    compiled = [compile_ecma(str(expression)) for expression in patterns]
    if any(one is None for one in compiled):
        return
    for key in instance:
        if key in properties:
            continue
        if any(one is not None and one.search(key) for one in compiled):
            continue
        yield key
