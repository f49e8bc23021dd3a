"""Pure helpers of the REST semantics: merge patches, list filters and paging."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge, null deletes, anything else replaces."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def merge_body(generated: dict[str, Any], body: Any) -> dict[str, Any]:
    """A new entity: the request body's fields over the generated ones."""
    if not isinstance(body, Mapping):
        return generated
    return {**generated, **copy.deepcopy(dict(body))}


def same(value: Any, wanted: Any) -> bool:
    """A filter's match: equal, or equal as text ignoring case; a list matches any member."""
    if isinstance(wanted, list):
        return any(same(value, w) for w in wanted)
    return value == wanted or str(value).lower() == str(wanted).lower()


def page(query: Mapping[str, Any]) -> tuple[int, int | None]:
    """Offset and limit from ``limit``/``offset`` or ``page``/``per_page`` style parameters."""
    limit = _count(query, _LIMIT_NAMES)
    offset = _count(query, _OFFSET_NAMES)
    page_number = _count(query, _PAGE_NAMES)
    if offset is None and page_number is not None and limit is not None:
        offset = max(page_number - 1, 0) * limit
    return offset or 0, limit


_LIMIT_NAMES = ("limit", "per_page", "page_size", "size")
_OFFSET_NAMES = ("offset",)
_PAGE_NAMES = ("page",)


def _count(query: Mapping[str, Any], names: tuple[str, ...]) -> int | None:
    """The first of ``names`` the query gives, as a count (None: none given, or no count)."""
    for name in names:
        value = query.get(name)
        if value is not None:
            try:
                return max(0, int(value))
            except (TypeError, ValueError, OverflowError):
                # Not a count: text, more digits than int() reads, or an infinite float.
                return None
    return None
