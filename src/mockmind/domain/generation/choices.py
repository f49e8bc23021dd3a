"""``oneOf``/``anyOf`` resolved by picking a branch, and discriminators naming the branch.

A branch is picked among those that can end (``branch_costs``): the cheapest past
``max_depth``, else in one shuffled order per group so that each retry of the walk tries a
branch not yet tried; the picked branch is merged into the flat, and a discriminator then
pins its property to the tag that names the picked schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from mockmind.domain.generation.branch_costs import COST_BUDGET, INF, branch_cost
from mockmind.domain.generation.context import GenerationContext
from mockmind.domain.generation.draws import Draws
from mockmind.domain.generation.flattening import Flat, merge
from mockmind.domain.generation.schemas import Schema
from mockmind.domain.generation.validation import is_valid

_MAX_CHOICES: Final = 16


def resolve_choices(
    ctx: GenerationContext,
    flat: Flat,
    path: str,
    rng: Draws,
    *,
    minimal: bool,
    attempt: int,
) -> None:
    rounds = 0
    while flat.choices and rounds < _MAX_CHOICES:
        rounds += 1
        _keyword, branches, discriminator = flat.choices.pop(0)
        if not branches:
            continue
        costs = [branch_cost(ctx, b, frozenset(), COST_BUDGET) for b in branches]
        possible = [i for i, c in enumerate(costs) if c < INF] or list(range(len(branches)))
        if minimal:
            possible.sort(key=lambda i: costs[i])
        else:
            # One order per group for all attempts, so a retry tries a branch not yet tried.
            ctx.draws(f"{path}|g{rounds}").shuffle(possible)
        index = possible[attempt % len(possible)]
        branch = branches[index]
        if isinstance(branch, Mapping) and isinstance(branch.get("$ref"), str):
            # The chosen named schema, not the union, is what a discriminator should name.
            flat.identity = branch["$ref"]
        merge(ctx.resolve, flat, branch, 0)
        if isinstance(discriminator, Mapping) and isinstance(branch, Mapping):
            ref = branch.get("$ref")
            if isinstance(ref, str):
                apply_discriminator(ctx, flat, discriminator, ref, rng)


def inherited_discriminator(ctx: GenerationContext, flat: Flat, rng: Draws) -> None:
    """A schema reached by name whose parent has a discriminator names itself in it."""
    if flat.discriminator is not None and flat.identity is not None:
        apply_discriminator(ctx, flat, flat.discriminator, flat.identity, rng)


def apply_discriminator(
    ctx: GenerationContext, flat: Flat, discriminator: Mapping[str, Any], ref: str, rng: Draws
) -> None:
    prop = discriminator.get("propertyName")
    if not isinstance(prop, str):
        return
    mapping = discriminator.get("mapping")
    keys = (
        [k for k, v in mapping.items() if isinstance(v, str) and _same_ref(v, ref)]
        if isinstance(mapping, Mapping)
        else []
    )
    tag = keys[rng.randrange(len(keys))] if keys else ref.rsplit("/", 1)[-1]
    current: Schema = {"allOf": flat.properties.get(prop, [])}
    # A branch that pins the property to other values wins over the naming convention.
    if is_valid(ctx.resolve, tag, current, 0):
        flat.properties.setdefault(prop, []).append({"const": tag})
        flat.required[prop] = None


def _same_ref(mapped: str, ref: str) -> bool:
    """Whether a discriminator mapping's target names ``ref`` (in full or by its last part)."""
    return mapped == ref or mapped.rsplit("/", 1)[-1] == ref.rsplit("/", 1)[-1]
