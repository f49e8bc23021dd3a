"""Branch costs: how big the smallest valid value of a schema is, so that ``oneOf``/``anyOf``
past ``max_depth`` take their cheapest branch and circular ``$ref`` chains come to an end."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from mockmind.domain.generation.context import GenerationContext
from mockmind.domain.generation.schemas import Schema, schema_list

# The cost of a schema no value satisfies (false, or a required property that requires itself).
INF: Final = math.inf
# A cost for structures too deep to price exactly: dearer than anything ordinary, still possible.
DEEP_COST: Final = 1_000_000.0
# How many schemas deep a cost is priced before it is taken for DEEP_COST.
COST_BUDGET: Final = 16
_SCALARS: Final = frozenset({"null", "boolean", "integer", "number", "string"})


def branch_cost(
    ctx: GenerationContext, schema: Schema, visiting: frozenset[str], budget: int
) -> float:
    """The size of ``schema``'s smallest valid value (INF: none), refs in ``visiting`` being
    cycles; costs of refs priced outside any cycle are kept in ``ctx`` for the call."""
    if schema is False:
        return INF
    if not isinstance(schema, Mapping):
        return 1.0
    if budget <= 0:
        return DEEP_COST
    parts: list[float] = []
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in visiting:
            return INF
        known = ctx.costs.get(ref)
        if known is None:
            known = branch_cost(ctx, ctx.resolve(ref), visiting | {ref}, budget - 1)
            # Only a cost computed outside any cycle is the true one for every caller.
            if not visiting:
                ctx.costs[ref] = known
        parts.append(known)
    parts.extend(
        branch_cost(ctx, b, visiting, budget - 1) for b in schema_list(schema.get("allOf"))
    )
    for keyword in ("oneOf", "anyOf"):
        branches = schema_list(schema.get(keyword))
        if branches:
            parts.append(min(branch_cost(ctx, b, visiting, budget - 1) for b in branches))
    parts.append(_own_cost(ctx, schema, visiting, budget))
    return max(parts)


def _own_cost(
    ctx: GenerationContext, schema: Mapping[str, Any], visiting: frozenset[str], budget: int
) -> float:
    if "enum" in schema or "const" in schema:
        return 1.0
    kind = schema.get("type")
    declared = {kind} if isinstance(kind, str) else set(kind) if isinstance(kind, list) else None
    if declared is None or declared & _SCALARS or schema.get("nullable") is True:
        return 1.0
    options: list[float] = []
    if "array" in declared:
        needed = schema.get("minItems", 0)
        items = schema.get("items", True)
        if isinstance(needed, int) and needed > 0 and isinstance(items, Mapping | bool):
            options.append(1.0 + needed * branch_cost(ctx, items, visiting, budget - 1))
        else:
            options.append(1.0)
    if "object" in declared:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        required = schema.get("required")
        total = 1.0
        for key in required if isinstance(required, list) else []:
            if key in properties:
                total += branch_cost(ctx, properties[key], visiting, budget - 1)
        options.append(total)
    return min(options) if options else 1.0
