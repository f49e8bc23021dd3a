"""Following ``$ref`` in a JSON Schema, without a validator.

Kept apart from ``json_schema`` (jsonschema's keyword overrides) so that what only walks a
document's schemas (responses, resources) does not import jsonschema at a cold start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def deref(schema: Any, resolve: Callable[[str], Any], limit: int = 32) -> Any:
    """Follow a chain of ``$ref`` to the schema it ends at (bounded, so a cycle cannot hang)."""
    for _ in range(limit):
        if not (isinstance(schema, Mapping) and "$ref" in schema):
            break
        schema = resolve(str(schema["$ref"]))
    return schema
