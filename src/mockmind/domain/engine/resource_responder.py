"""Answers for CRUD requests on resources: list, create, read, replace, merge and delete,
served from the entity store so what a client POSTs it can GET back.

A ``Location`` header the document declares on such an answer names the entity: the
collection's path and the new id after a create, the request's path otherwise. It is built
from the path and the id percent-encoded (``domain/paths.ascii_path``), so an id a client
chose (a PUT's) cannot break the header with CR, LF or a character HTTP cannot carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import is_
from typing import Any

from mockmind.domain.engine.answers import Answers, header_safe, short_digest
from mockmind.domain.engine.content_source import ContentSource, EntityContent
from mockmind.domain.engine.exchange import Exchange
from mockmind.domain.engine.listing_envelope import ListingEnvelope, listing_envelope
from mockmind.domain.engine.transitions import Transitions
from mockmind.domain.engine.world import World
from mockmind.domain.http import MockRequest, MockResponse, Source
from mockmind.domain.memo import BoundedMemo
from mockmind.domain.paths import ascii_path
from mockmind.domain.resources import ResourceAction
from mockmind.domain.resources.pages import Listing
from mockmind.domain.schema_refs import deref
from mockmind.domain.state_machines import StateMachine
from mockmind.ports.api_description import ApiDescription, ResponsePlan

# Response schemas whose listing envelope is remembered: a document's list operations, and
# the collections of schema routes.
_ENVELOPE_MEMO_SIZE = 1024

# A list plan's last answer: the plan, the page it showed, its body and the body's bytes.
_Page = tuple[ResponsePlan, Listing, Any, bytes]


class ResourceResponder:
    def __init__(
        self,
        world: World,
        api: ApiDescription,
        answers: Answers,
        content: ContentSource,
        transitions: Transitions,
    ) -> None:
        self._world = world
        self._resources = world.resources
        self._api = api
        self._answers = answers
        self._content = content
        self._transitions = transitions
        self._envelopes: BoundedMemo[tuple[str, int], ListingEnvelope] = BoundedMemo(
            _ENVELOPE_MEMO_SIZE
        )
        # Per list plan (kept in the entry, so a reused id is no hit), the last page answered
        # (its records compared by identity: kept, no other object can take their ids), the
        # body made of it and the body's JSON bytes.
        self._pages: BoundedMemo[int, _Page] = BoundedMemo(_ENVELOPE_MEMO_SIZE)

    async def respond(
        self, ex: Exchange, plan: ResponsePlan, action: ResourceAction
    ) -> MockResponse:
        resources, answers, ctx = self._resources, self._answers, ex.ctx
        if action.kind == "list":
            return self._list(plan, resources.listing(ctx, action, ex.routed.query))
        body = ex.routed.body
        machine = self._world.machine_for(action.spec.name)
        if action.kind == "create":
            if machine is not None:
                self._transitions.check_create(machine, body)
            initial = {machine.field: machine.initial} if machine else None
            made = await self._content.entity_content(
                ex, action, plan.status, _machine_fields(machine)
            )
            entity = resources.create(ctx, action, body, initial, generated=made.body)
            if machine is not None:
                entity = self._transitions.unset_later_fields(ctx, action, machine, body, entity)
            if _is_array(deref(plan.schema, self._api.resolve_ref)):
                # A create answered with a list ("the current values after adding"): the
                # collection as stored, so each id in it can be read and deleted next.
                listing = ResourceAction(action.spec, "list", parent_id=action.parent_id)
                entities, _ = resources.list(ctx, listing, {})
                # Labelled by what made the new entity's content, as a single answer is.
                listed = answers.finish(plan, entities, made.source)
                if made.reason:
                    listed.headers["X-Mockmind-Fallback-Reason"] = header_safe(made.reason)
                return listed
            return self._made(ex, plan, action, entity, made)
        if action.kind == "read":
            made = _OFFLINE
            # Only a model needs to know beforehand whether the entity exists: the offline
            # path lets ``read`` generate it, without a second store lookup per read.
            if (
                self._content.has_model
                and ctx.unknown_ids != "not_found"
                and resources.peek(ctx, action.spec, action.entity_id) is None
            ):
                made = await self._content.entity_content(
                    ex, action, plan.status, _machine_fields(machine)
                )
            entity, new = resources.read_or_make(
                ctx, action.spec, action.entity_id, action.parent_id, generated=made.body
            )
            if new:
                return self._made(ex, plan, action, entity, made)
        elif action.kind in ("replace", "merge"):
            check = self._transitions.write_check(action, body)
            entity = resources.write(ctx, action, body, merge=action.kind == "merge", check=check)
        else:
            entity = resources.delete(ctx, action)
            if plan.schema is None:
                return answers.finish(plan, None, "store")
        return self._entity_answer(ex, plan, action, entity, "store")

    def _made(
        self,
        ex: Exchange,
        plan: ResponsePlan,
        action: ResourceAction,
        entity: dict[str, Any],
        made: EntityContent,
    ) -> MockResponse:
        """The answer for an entity made by this request, labelled with what made its content."""
        response = self._entity_answer(ex, plan, action, entity, made.source)
        if made.reason:
            response.headers["X-Mockmind-Fallback-Reason"] = header_safe(made.reason)
        return response

    def _entity_answer(
        self,
        ex: Exchange,
        plan: ResponsePlan,
        action: ResourceAction,
        entity: dict[str, Any],
        source: Source,
    ) -> MockResponse:
        answers = self._answers
        response = answers.finish(plan, answers.body_for(plan, entity), source)
        location = next((name for name in response.headers if name.lower() == "location"), None)
        if location is not None:
            response.headers[location] = _entity_location(ex.request, action, entity)
        return response

    def _list(self, plan: ResponsePlan, page: Listing) -> MockResponse:
        """The list answer: the plan's envelope around the page, with the body and bytes of
        the last answer of this plan when the page holds the same stored records (and total)
        as then.

        The body is the envelope around the records' entities and the total, nothing else;
        stored entities are never changed in place (a write stores a new record), nor is an
        answer's body once built (``resources.pages.Listing``), so the same records are the
        same body and bytes. The listing hands out the page it kept (the same object) while
        its collection is unchanged. Encoding the page was a tenth of bench row 4's store
        read, and filling the envelope a twelfth of its list row (instructions a request);
        the same bytes object again also spares the session's redaction its look-up of them
        (``redacted_answer``).
        """
        known = self._pages.get(id(plan))
        if known is not None and known[0] is plan:
            last = known[1]
            if last is page or (
                last.total == page.total
                and len(last.records) == len(page.records)
                and all(map(is_, last.records, page.records))
            ):
                response = self._answers.finish(plan, known[2], "store")
                response.headers["X-Total-Count"] = str(page.total)
                if response.body_kind == "json":
                    response.encoded_body = known[3]
                return response
        body = self._list_body(plan, page.entities, page.total)
        response = self._answers.finish(plan, body, "store")
        response.headers["X-Total-Count"] = str(page.total)
        if response.body_kind == "json":
            try:
                encoded = response.encoded()
            except (TypeError, ValueError):
                # Said when the answer is sent, as for any body that cannot be encoded.
                return response
            self._pages.put(id(plan), (plan, page, body, encoded))
        return response

    def _list_body(self, plan: ResponsePlan, entities: list[dict[str, Any]], total: int) -> Any:
        # The same envelope for every request of a schema; keyed as validators are (a
        # document's pointer, a config schema's name), and the status (generated error
        # bodies say theirs).
        key = (plan.schema_key or short_digest(plan.schema), plan.status)
        envelope = self._envelopes.get(key)
        if envelope is None:
            envelope = listing_envelope(plan, self._api.resolve_ref, self._answers.generate)
            self._envelopes.put(key, envelope)
        return envelope.filled(entities, total)


_OFFLINE = EntityContent(None, "offline", None)


def _machine_fields(machine: StateMachine | None) -> set[str]:
    """The fields a state machine writes: its state, and what its transitions set."""
    if machine is None:
        return set()
    return {machine.field, *(f for t in machine.transitions for f in t.set_fields)}


def _entity_location(
    request: MockRequest, action: ResourceAction, entity: Mapping[str, Any]
) -> str:
    if action.kind == "create":
        return ascii_path(request.path, str(entity.get(action.spec.id_field, "")))
    return ascii_path(request.path)


def _is_array(schema: Any) -> bool:
    return isinstance(schema, Mapping) and (schema.get("type") == "array" or "items" in schema)
