"""What a list answer wraps its entities in, worked out once per response schema.

A listing answers either the bare list of entities, or a paging envelope
(``{"data": [...], "total": n, "links": {...}}``): the generated envelope with its list
property holding the entities and its counters the total. Generating and checking that
envelope is the same work for every request of a schema (the generator is a pure function of
schema and seed); done per request it was four fifths of train-travel-3.1's
``GET /bookings`` (bench/RESULTS.md section 4). The envelope is made once, and each answer
gets a copy of it with its own entities and total.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from mockmind.domain.generation.json_values import clone
from mockmind.domain.resources.inference import properties
from mockmind.domain.schema_refs import deref
from mockmind.lean_dataclass import dataclass
from mockmind.ports.api_description import ResponsePlan, SchemaResolver

# The fields of an envelope that say how many entities there are.
TOTAL_FIELDS = ("total", "count", "total_count", "totalCount", "total_items")


@dataclass(frozen=True)
class ListingEnvelope:
    # The generated envelope (its list property's value left out); None: the bare list.
    template: Mapping[str, Any] | None
    # The property the entities go in: the envelope's first array property.
    items_field: str | None
    # The counters the envelope's schema declares, each set to the total.
    total_fields: tuple[str, ...]

    def filled(self, entities: list[dict[str, Any]], total: int) -> Any:
        """The answer's body: ``entities``, or a fresh envelope holding them."""
        template = self.template
        if template is None:
            return entities
        # A copy of the envelope per answer: an edit of one answer's envelope fields edits no
        # other's. The entities are the store's, read only (``resources.pages.Listing``).
        body = dict(template)
        for name in self._nested:
            body[name] = clone(template[name])
        if self.items_field is not None:
            body[self.items_field] = entities
        for name in self.total_fields:
            body[name] = total
        return body

    @cached_property
    def _nested(self) -> tuple[str, ...]:
        """The template's fields that hold objects or arrays: the ones each answer copies."""
        template = self.template or {}
        return tuple(
            name for name, value in template.items() if isinstance(value, Mapping | list | tuple)
        )


BARE_LIST = ListingEnvelope(None, None, ())


def listing_envelope(
    plan: ResponsePlan,
    resolve: SchemaResolver,
    generate: Callable[[ResponsePlan, str], Any],
) -> ListingEnvelope:
    """The envelope of ``plan``'s schema; ``generate`` makes its content (``Answers.generate``)."""
    schema = deref(plan.schema, resolve)
    if not isinstance(schema, Mapping) or _is_array(schema):
        return BARE_LIST
    wrapper = generate(plan, "envelope")
    if not isinstance(wrapper, dict):
        return BARE_LIST
    # Through allOf, as inference found the listing's entities (``listing_items``): an
    # envelope composed of a wrapper and its typed list (train-travel's bookings) holds
    # the stored entities, not the generated ones.
    props = properties(schema, resolve)
    items_field = next(
        (
            name
            for name, raw in props.items()
            if isinstance(prop := deref(raw, resolve), Mapping) and prop.get("type") == "array"
        ),
        None,
    )
    template = dict(wrapper)
    if items_field in template:
        # The generated entities are never sent; the key keeps its place in the answer.
        template[items_field] = None
    return ListingEnvelope(
        template, items_field, tuple(name for name in TOTAL_FIELDS if name in props)
    )


def _is_array(schema: Mapping[str, Any]) -> bool:
    return schema.get("type") == "array" or "items" in schema
