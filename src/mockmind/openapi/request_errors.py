"""How a request's problems are written: each one located like code (``query.limit``,
``body.items[0].price``), with jsonschema's message and keyword; at most ``MAX_ERRORS``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mockmind.openapi.model import DocumentNodes
from mockmind.openapi.schemas import Context, iter_errors

MAX_ERRORS = 50

Error = dict[str, object]


def location(prefix: str, path: Iterable[object]) -> str:
    text = prefix
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def schema_errors(
    doc: DocumentNodes,
    pointer: Any,
    value: Any,
    prefix: str,
    limit: int = MAX_ERRORS,
    context: Context = "request",
) -> list[Error]:
    """Each error of ``value`` against the schema at ``pointer`` (or a schema object), located
    from ``prefix``; a missing required property is located at its own name."""
    validator = doc.validator(pointer, context=context)
    found: list[Error] = []
    for error in iter_errors(validator, value, limit):
        path = list(error.absolute_path)
        if error.validator == "required":
            missing = _missing_property(error.message, error.validator_value, error.instance)
            if missing is not None:
                path.append(missing)
        found.append(
            {
                "location": location(prefix, path),
                "message": error.message,
                "keyword": str(error.validator),
            }
        )
    return found


def _missing_property(message: str, required: Any, instance: Any) -> str | None:
    """Which property a ``required`` error is about (jsonschema only says so in the message)."""
    if not isinstance(required, list) or not isinstance(instance, Mapping):
        return None
    for name in required:
        if isinstance(name, str) and name not in instance and message.startswith(repr(name)):
            return name
    return None
