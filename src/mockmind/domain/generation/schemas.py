"""The shapes the generator works on: schemas, ``$ref`` resolvers and directions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Literal

SchemaResolver = Callable[[str], Mapping[str, Any]]
"""Given a ``$ref`` string, returns the schema it points to."""

Schema = Mapping[str, Any] | bool
Direction = Literal["response", "request"]

# A chain of $refs longer than this is taken for a cycle and constrains nothing more.
MAX_REF_HOPS: Final = 32


def schema_list(value: Any) -> list[Schema]:
    """The schemas of an ``allOf``/``oneOf``/``anyOf`` list, anything else left out."""
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, Mapping | bool)]
