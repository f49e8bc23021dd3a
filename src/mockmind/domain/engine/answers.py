"""Turning a body and a response plan into the response sent: headers, media type, and
generated bodies that fit the plan's schema."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from mockmind.domain import json_codec
from mockmind.domain.cache_keys import digest
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.generation.json_values import clone
from mockmind.domain.http import (
    REASON_PHRASES,
    BodyKind,
    MockResponse,
    Source,
    header_value,
    is_documentable_header,
)
from mockmind.domain.memo import BoundedMemo
from mockmind.domain.schema_refs import deref
from mockmind.ports.api_description import ApiDescription, ResponsePlan

logger = logging.getLogger("mockmind.engine")

# Response plans whose documented headers' values are remembered: the engine keeps a plan per
# route and way of asking (route_plan.py), so a document's plans, a few each.
_HEADER_MEMO_SIZE = 4096
# Entity answers remembered (a plan and an entity's content each), and the largest entity, as
# JSON bytes, that is: the bytes are the key.
_BODY_MEMO_SIZE = 1024
_BODY_MEMO_BYTES = 16 * 1024

_new_response = object.__new__

_EMPTY: BodyKind = "empty"
_TEXT: BodyKind = "text"
_JSON: BodyKind = "json"
# A plan, its answers' headers, media type and body kind, and, for a plan without a schema,
# its headers when there is no body to send (None: a body is always sent, or never).
_Form = tuple[ResponsePlan, dict[str, str], str, BodyKind, dict[str, str] | None]


class Answers:
    def __init__(self, api: ApiDescription, generator: OfflineGenerator) -> None:
        self._api = api
        self._generator = generator
        # By the identity of a plan's header schemas (kept in the entry, so a reused id is no
        # hit) and its status: the values are a pure function of schema, name and status, and
        # generating them was a sixth of a list answer from the store (train-travel's
        # RateLimit).
        self._headers: BoundedMemo[tuple[int, int], tuple[Mapping[str, Any], dict[str, str]]] = (
            BoundedMemo(_HEADER_MEMO_SIZE)
        )
        # By the plan's identity (kept in the entry) and the entity's JSON bytes: the entity
        # as is (None), or the answer made of it. What the answer is depends on nothing else,
        # and working it out (two validations and a repair) was nine tenths of a single read
        # from the store: an entity is checked once per plan, not on every read.
        self._bodies: BoundedMemo[tuple[int, bytes], tuple[ResponsePlan, Any]] = BoundedMemo(
            _BODY_MEMO_SIZE
        )
        # By the plan's identity (kept in the entry): its answers' headers, media type and
        # kind, worked out once. The engine keeps its plans (route_plan.py), and finishing
        # an answer (a header memo's look-up, two tests of the media type) was 3-4% of a
        # store read.
        self._forms: BoundedMemo[int, _Form] = BoundedMemo(_HEADER_MEMO_SIZE)

    def finish(self, plan: ResponsePlan, body: Any, source: Source) -> MockResponse:
        form = self._forms.get(id(plan))
        if form is None or form[0] is not plan:
            form = self._form(plan)
        _, headers, media, kind, empty_headers = form
        # The answer made without the class call, and with only the fields that differ from
        # MockResponse's class defaults (test_paths holds it to what the class makes): the
        # class call with every field was ~6k instructions, this ~3k, on every request.
        response = _new_response(MockResponse)
        response.status = plan.status
        response.media_type = media
        response.source = source
        if kind is _EMPTY or (empty_headers is not None and body is None):
            # Content documented for a status HTTP sends without a body, or a media type
            # documented without a schema and nothing to send: no body, and the documented
            # type in the header, which a client checking it expects (in empty_headers).
            response.headers = dict(headers if empty_headers is None else empty_headers)
            response.body_kind = "empty"
            return response
        response.headers = dict(headers)
        response.body = body
        if source == "store" and logger.isEnabledFor(logging.DEBUG):
            # Stored entities were checked when written; re-validating every read cost 78% of
            # a list request (bench/RESULTS.md, profile), so it is a debugging aid only.
            errors = self._api.response_errors(plan, body)
            if errors:
                logger.debug("stored entity breaks the response schema: %s", errors[:3])
        if kind is _TEXT:
            response.body_kind = "text"
            response.text = (body if isinstance(body, str) else _json_text(body)).encode()
        return response

    def _form(self, plan: ResponsePlan) -> _Form:
        """What of the plan's answer is the same each time, remembered by the plan: its
        headers (copied for each answer, which callers may add to), media type and kind."""
        headers = self._documented_headers(plan) if plan.header_schemas else {}
        media = plan.media_type or "application/json"
        kind: BodyKind
        empty_headers: dict[str, str] | None = None
        if plan.media_type is None or plan.status in (204, 304):
            kind = _EMPTY
            if plan.media_type is not None:
                headers = {**headers, "Content-Type": media}
        else:
            kind = _JSON if media.endswith(_JSON_SUFFIXES) else _TEXT
            if plan.schema is None:
                # Without a schema, an answer with no body is sent as an empty one.
                empty_headers = {**headers, "Content-Type": media}
        form = (plan, headers, media, kind, empty_headers)
        self._forms.put(id(plan), form)
        return form

    def _documented_headers(self, plan: ResponsePlan) -> dict[str, str]:
        schemas = plan.header_schemas
        key = (id(schemas), plan.status)
        known = self._headers.get(key)
        if known is not None and known[0] is schemas:
            return known[1]
        # A document's header name that is no HTTP token cannot be sent, nor one the server
        # writes itself (Content-Length...); a generated value (an enum's, a pattern's) may
        # hold any character, and is made sendable.
        headers = {
            name: header_value(
                _header_text(self._generator.generate(schema, seed=f"{name}:{plan.status}"))
            )
            for name, schema in schemas.items()
            if is_documentable_header(name)
        }
        self._headers.put(key, (schemas, headers))
        return headers

    def body_for(self, plan: ResponsePlan, entity: Any) -> Any:
        """The entity as the response, or generated content when the response is not the entity.

        An action endpoint may answer with something else (a receipt, a message): then the
        schema decides, and fields it shares with the entity come from the entity.
        """
        schema = plan.schema
        if schema is None:
            return None
        try:
            content = json_codec.compact(entity)
        except (TypeError, ValueError):
            return self._body_for(plan, schema, entity)
        if len(content) > _BODY_MEMO_BYTES:
            return self._body_for(plan, schema, entity)
        key = (id(plan), content)
        known = self._bodies.get(key)
        if known is not None and known[0] is plan:
            # The caller's entity is its own; a made answer is copied for each caller.
            return entity if known[1] is None else clone(known[1])
        body = self._body_for(plan, schema, entity)
        try:
            as_is = json_codec.compact(body) == content
        except (TypeError, ValueError):
            return body
        self._bodies.put(key, (plan, None if as_is else clone(body)))
        return body

    def _body_for(self, plan: ResponsePlan, schema: Mapping[str, Any] | bool, entity: Any) -> Any:
        if self._api.response_errors(plan, entity):
            wrapped = self._enveloped(plan, entity)
            if wrapped is not None:
                return wrapped
        # The entity fits its item schema; this answer's schema may differ (a write-only
        # field it declares, a field of another type): what fits is kept, the rest made.
        entity = self._generator.repair(schema, entity, seed=plan.schema_key or "entity")
        if not self._api.response_errors(plan, entity):
            return entity
        generated = self.generate(plan, short_digest(entity))
        if isinstance(generated, dict) and isinstance(entity, Mapping):
            merged = {**generated, **{k: v for k, v in entity.items() if k in generated}}
            if not self._api.response_errors(plan, merged):
                return merged
        return generated

    def _enveloped(self, plan: ResponsePlan, entity: Any) -> Any:
        """The entity inside the answer's envelope (``{"data": {...}}``): the one object
        property of the answer's schema that the entity itself does not have."""
        schema = deref(plan.schema, self._api.resolve_ref)
        if not isinstance(entity, Mapping) or not isinstance(schema, Mapping):
            return None
        props = schema.get("properties")
        # An entity that has any of the answer's own fields is that answer, not its content.
        if not isinstance(props, Mapping) or set(entity) & set(props):
            return None
        slots = [
            name
            for name, raw in props.items()
            if name not in entity and _is_object(deref(raw, self._api.resolve_ref))
        ]
        if len(slots) != 1:
            return None
        envelope = self.generate(plan, "envelope")
        if not isinstance(envelope, dict):
            return None
        seed = plan.schema_key or "entity"
        envelope[slots[0]] = self._generator.repair(props[slots[0]], dict(entity), seed=seed)
        return envelope if not self._api.response_errors(plan, envelope) else None

    def repaired(self, plan: ResponsePlan, value: Any) -> Any:
        """``value`` made to fit the plan's schema, keeping what fits (a broken example)."""
        if plan.schema is None:
            return value
        return self._generator.repair(plan.schema, value, seed=short_digest(value))

    def generate(self, plan: ResponsePlan, seed: str) -> Any:
        """Offline content for the plan's schema, the same for the same seed."""
        if plan.schema is None:
            return None
        # The plan's schema is the loaded document's, which nothing edits (its compiled
        # validation checks, schema_checks, hold the same assumption).
        body, constructed = self._generator.generate_vouched(plan.schema, seed=seed)
        if plan.status >= 400 and isinstance(body, dict):
            # What this changes it checks: the body stays as vouched for, or is checked.
            body = self._error_realism(plan, body)
        # A body valid by construction is not checked again: checking it was 30k instructions
        # of a 530k offline answer, to find nothing.
        errors = [] if constructed else self._api.response_errors(plan, body)
        if errors:
            # The generator is meant to be correct by construction; say loudly when it is not.
            logger.error("generated body breaks its schema %s: %s", plan.schema_key, errors[:3])
        return body

    def _error_realism(self, plan: ResponsePlan, body: dict[str, Any]) -> dict[str, Any]:
        """An error body says the status it is sent with, and a reason that fits it."""
        reason = REASON_PHRASES.get(plan.status, "Error")
        fixes: dict[str, Any] = {}
        for key, value in body.items():
            lowered = key.lower().replace("_", "")
            if lowered in ("status", "code", "statuscode", "httpstatus") and isinstance(value, int):
                fixes[key] = plan.status
            elif lowered in ("title", "error", "reason") and isinstance(value, str):
                fixes[key] = reason
        fixed = {**body, **fixes}
        return fixed if not self._api.response_errors(plan, fixed) else body


def short_digest(value: Any) -> str:
    return digest(value)[:16]


def trimmed(body: bytes, limit: int = 4096) -> str | None:
    """A body as text for a history line or a recall query: its first ``limit`` bytes."""
    if not body:
        return None
    text = body[:limit].decode("utf-8", errors="replace")
    return text if len(body) <= limit else text + "…"


def header_safe(text: str, limit: int = 200) -> str:
    """A header value: one line of printable ASCII."""
    cleaned = "".join(c if 32 <= ord(c) < 127 else " " for c in text)
    return cleaned[:limit]


_JSON_SUFFIXES = ("/json", "+json")


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if not isinstance(value, dict | list) else _json_text(value)


def _is_object(schema: Any) -> bool:
    return isinstance(schema, Mapping) and (
        schema.get("type") == "object" or ("properties" in schema and "type" not in schema)
    )
