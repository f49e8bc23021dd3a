"""Exchanges in, an OpenAPI 3.1 document, a mockmind config and a summary out (no I/O)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import field
from typing import Any

from mockmind.domain.http import REASON_PHRASES
from mockmind.domain.words import singular
from mockmind.lean_dataclass import dataclass
from mockmind.learning.exchanges import Exchange
from mockmind.learning.login import LearnedLogin, infer_login
from mockmind.learning.resources import (
    LearnedResource,
    entity_snapshots,
    infer_resources,
    owns,
    shows_entity,
)
from mockmind.learning.schemas import infer_schema, string_facts
from mockmind.learning.state_machines import LearnedMachine, infer_machines
from mockmind.learning.traffic import Operation, Traffic, succeeded

OPENAPI_FILE = "openapi.yaml"
_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


@dataclass
class Summary:
    exchanges: int = 0
    sessions: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    operations: list[str] = field(default_factory=list)
    resources: list[LearnedResource] = field(default_factory=list)
    machines: list[LearnedMachine] = field(default_factory=list)
    login: LearnedLogin = field(default_factory=LearnedLogin)
    ambiguities: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What was found, one finding a line."""
        out = [
            f"{self.exchanges} exchanges in {self.sessions} session(s): "
            f"{len(self.operations)} operations on "
            f"{len({o.split(' ', 1)[1] for o in self.operations})} paths"
        ]
        out += [f"left out: {count} {why}" for why, count in self.skipped.items()]
        for r in self.resources:
            how = "created by POST" if r.created_by_post else f"{len(r.seed)} listed, seeded"
            out.append(f"resource {r.name}: {r.path}, item {r.item_path}, id {r.id_field} ({how})")
        for m in self.machines:
            moves = "; ".join(
                f"{'|'.join(t.from_states)} -> {t.to} on {t.on}" for t in m.transitions
            )
            out.append(
                f"state machine {m.name} ({m.resource}.{m.field}, initial {m.initial}): {moves}"
            )
        if self.login.login:
            out.append(
                f"login {self.login.login} (token in {self.login.token_field!r}): "
                f"{self.login.evidence}"
            )
        if self.login.logout:
            out.append(f"logout {self.login.logout}")
        if self.login.protected:
            out.append("needs the login: " + ", ".join(self.login.protected))
        return out


@dataclass
class Learned:
    document: dict[str, Any]
    config: dict[str, Any]
    summary: Summary


def learn(
    exchanges: Sequence[Exchange], on_progress: Callable[[int], None] | None = None
) -> Learned:
    """Everything learned from ``exchanges``; ``on_progress`` is told how many exchanges
    each step has dealt with (they add up to ``len(exchanges)``)."""
    kept, skipped = api_exchanges(exchanges)
    if on_progress is not None and len(kept) < len(exchanges):
        on_progress(len(exchanges) - len(kept))
    exchanges = kept
    traffic = Traffic.of(exchanges)
    summary = Summary(
        exchanges=len(exchanges),
        skipped=skipped,
        sessions=len({e.session for e in exchanges}),
        operations=[op.trigger for op in traffic.operations],
        ambiguities=list(traffic.paths.ambiguities),
    )
    summary.resources = infer_resources(traffic)
    machines = infer_machines(traffic, summary.resources)
    summary.machines = machines.machines
    summary.ambiguities += machines.ambiguities
    summary.login = infer_login(traffic)
    summary.ambiguities += summary.login.ambiguities
    entities = _entity_schemas(traffic, summary)
    paths: dict[str, dict[str, Any]] = {}
    ids: set[str] = set()
    for operation in sorted(traffic.operations, key=lambda o: (o.template, o.method)):
        recorded = traffic.operations[operation]
        owner = next((r for r in summary.resources if owns(r, operation.template)), None)
        paths.setdefault(operation.template, {})[operation.method.lower()] = _operation(
            traffic, operation, recorded, summary, ids, owner
        )
        if on_progress is not None:
            on_progress(len(recorded))
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Learned API",
            "version": "1.0.0",
            "description": f"Learned by `mockmind learn` from {len(exchanges)} recorded "
            "exchanges: the paths, parameters, statuses and bodies seen, secrets masked.",
        },
        "paths": paths,
    }
    components: dict[str, Any] = {}
    if entities:
        components["schemas"] = entities
    if summary.login.login:
        components["securitySchemes"] = {"bearerAuth": {"type": "http", "scheme": "bearer"}}
    if components:
        document["components"] = components
    return Learned(document=document, config=_config(summary), summary=summary)


# What a browser's session records beside the API: pages, scripts, styles, images, fonts.
_ASSET_MEDIA = ("text/html", "text/css", "image/", "font/", "audio/", "video/")
# What a browser asks for first when it loads an image, a style or a font: such a request
# is an asset's whatever it was answered (a favicon the API answers 404 in JSON). A page's
# navigation (text/html first) is not: the API's JSON read in a tab is the API's.
_ASSET_ACCEPT = ("text/css", "image/", "font/", "audio/", "video/")


def api_exchanges(exchanges: Sequence[Exchange]) -> tuple[list[Exchange], dict[str, int]]:
    """The exchanges of the API, and how many of each kind were left out: those of other
    hosts than the most asked one (a browser's session also calls analytics and CDNs),
    assets, CORS preflights, and mockmind's own admin routes."""
    hosts = Counter(e.host for e in exchanges if e.host is not None)
    main_host = hosts.most_common(1)[0][0] if hosts else None
    kept: list[Exchange] = []
    skipped: Counter[str] = Counter()
    for exchange in exchanges:
        media = exchange.response_media or ""
        if exchange.host is not None and exchange.host != main_host:
            skipped[f"exchange(s) with other hosts than {main_host}"] += 1
        elif media.startswith(_ASSET_MEDIA) or "javascript" in media or _asks_for_asset(exchange):
            skipped["asset(s) (pages, scripts, styles, images, fonts)"] += 1
        elif (
            exchange.method == "OPTIONS"
            and "access-control-request-method" in exchange.request_headers
        ):
            skipped["CORS preflight(s)"] += 1
        elif exchange.path.startswith("/__mockmind/"):
            skipped["request(s) to mockmind's admin routes"] += 1
        else:
            kept.append(exchange)
    return kept, dict(skipped)


def _asks_for_asset(exchange: Exchange) -> bool:
    accept = exchange.request_headers.get("accept", "")
    first = accept.split(",", 1)[0].split(";", 1)[0].strip().lower()
    return first.startswith(_ASSET_ACCEPT)


def _operation(
    traffic: Traffic,
    operation: Operation,
    recorded: list[Exchange],
    summary: Summary,
    ids: set[str],
    owner: LearnedResource | None,
) -> dict[str, Any]:
    accepted = [e for e in recorded if succeeded(e)] or recorded
    spec: dict[str, Any] = {"operationId": _operation_id(operation, ids)}
    parameters = [
        {"name": p.name, "in": "path", "required": True, "schema": _path_schema(p.kind)}
        for p in traffic.paths.parameters.get(operation.template, [])
    ]
    names = list(dict.fromkeys(k for e in recorded for k in e.query))
    for name in names:
        values = [v for e in accepted for v in e.query.get(name, ())] or [
            v for e in recorded for v in e.query.get(name, ())
        ]
        parameters.append({"name": name, "in": "query", "schema": _query_schema(values)})
    if parameters:
        spec["parameters"] = parameters
    bodies = [e.request_body for e in accepted if e.request_body is not None]
    if bodies:
        media = _most_common([e.request_media for e in accepted], "application/json")
        spec["requestBody"] = {
            "required": len(bodies) == len(accepted),
            "content": {media: {"schema": infer_schema(bodies)}},
        }
    if summary.login.login and operation.template in summary.login.protected:
        spec["security"] = [{"bearerAuth": []}]
    responses: dict[str, Any] = {}
    for status in sorted({e.status for e in recorded}):
        answers = [e for e in recorded if e.status == status]
        responses[str(status)] = _response(traffic, status, answers, owner)
    spec["responses"] = responses
    return spec


def _response(
    traffic: Traffic, status: int, answers: list[Exchange], owner: LearnedResource | None
) -> dict[str, Any]:
    response: dict[str, Any] = {"description": REASON_PHRASES.get(status, f"Status {status}")}
    bodies = [e.response_body for e in answers if e.response_body is not None]
    if bodies:
        default = "application/json" if not isinstance(bodies[0], str) else "text/plain"
        media = _most_common([e.response_media for e in answers], default)
        schema = None
        if owner is not None and 200 <= status < 300:
            schema = _entity_reference(traffic, answers, owner)
        response["content"] = {
            media: {
                "schema": schema or infer_schema(bodies),
                "examples": {"recorded": {"value": bodies[0]}},
            }
        }
    return response


def entity_schema_name(resource: LearnedResource) -> str:
    """``cart_items``: ``CartItem``."""
    words = [w for w in resource.name.split("_") if w]
    words[-1] = singular(words[-1])
    return "".join(w[:1].upper() + w[1:] for w in words)


def _entity_schemas(traffic: Traffic, summary: Summary) -> dict[str, Any]:
    """One schema per resource, merged from every answer that showed one of its entities
    (its create, item, list and action answers): the mock stores one kind of entity per
    collection, so each answer must accept what any other wrote. A state machine's field
    takes every state."""
    schemas: dict[str, Any] = {}
    for resource in summary.resources:
        samples = [
            s.entity for shots in entity_snapshots(traffic, resource).values() for s in shots
        ]
        if not samples:
            continue
        schema = infer_schema(samples)
        for machine in summary.machines:
            if machine.resource == resource.name and machine.field in schema.get("properties", {}):
                schema["properties"][machine.field] = {
                    "type": "string",
                    "enum": list(machine.states),
                }
        schemas[entity_schema_name(resource)] = schema
    return schemas


def _entity_reference(
    traffic: Traffic, answers: list[Exchange], owner: LearnedResource
) -> dict[str, Any] | None:
    """The resource's schema when every answer is one of its entities, or a list of them."""
    ref = {"$ref": f"#/components/schemas/{entity_schema_name(owner)}"}
    answered = [e for e in answers if e.response_body is not None]

    def shown(exchange: Exchange, value: Any) -> bool:
        return shows_entity(traffic, owner, exchange, value)

    if all(shown(e, e.response_body) for e in answered):
        return ref
    if all(
        isinstance(e.response_body, list) and all(shown(e, v) for v in e.response_body)
        for e in answered
    ):
        return {"type": "array", "items": ref}
    return None


def _path_schema(kind: str) -> dict[str, Any]:
    if kind == "uuid":
        return {"type": "string", "format": "uuid"}
    return {"type": kind}


def _query_schema(values: list[str]) -> dict[str, Any]:
    if values and all(_INTEGER.fullmatch(v) for v in values):
        return {"type": "integer"}
    if values and all(_NUMBER.fullmatch(v) for v in values):
        return {"type": "number"}
    if values and all(v in ("true", "false") for v in values):
        return {"type": "boolean"}
    facts = string_facts(values)
    schema: dict[str, Any] = {"type": "string"}
    if facts.format:
        schema["format"] = facts.format
    if facts.enum:
        schema["enum"] = list(facts.enum)
    return schema


def _operation_id(operation: Operation, taken: set[str]) -> str:
    words = [operation.method.lower()]
    for segment in (s for s in operation.template.split("/") if s):
        text = "by_" + segment[1:-1] if segment.startswith("{") else segment
        words += [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]
    base = words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])
    name, number = base, 2
    while name in taken:
        name, number = f"{base}{number}", number + 1
    taken.add(name)
    return name


def _most_common(values: list[str | None], default: str) -> str:
    known = [v for v in values if v]
    return Counter(known).most_common(1)[0][0] if known else default


def _config(summary: Summary) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for r in summary.resources:
        entry: dict[str, Any] = {"path": r.path, "item_path": r.item_path, "id_field": r.id_field}
        if r.seed:
            entry["seed"] = [dict(e) for e in r.seed]
            entry["prefill"] = 0
        resources[r.name] = entry
    machines = {
        m.name: {
            "resource": m.resource,
            "field": m.field,
            "initial": m.initial,
            "states": list(m.states),
            "transitions": [
                {
                    "from": list(t.from_states),
                    "to": t.to,
                    "on": t.on,
                    **({"set": dict(t.set)} if t.set else {}),
                }
                for t in m.transitions
            ],
        }
        for m in summary.machines
    }
    login = summary.login
    rules: dict[str, Any] = {
        "resources": resources,
        "state_machines": machines,
        "auth": {
            "login": login.login,
            "logout": login.logout,
            "token_field": login.token_field,
            "username_field": login.username_field,
            "password_field": login.password_field,
        },
        "consistency_rules": [
            {
                "name": f"{_rule_name(template)}_needs_login",
                "condition": f"path matches '{re.sub(r'{[^}]+}', '*', template)}'",
                "action": {"type": "require_auth", "message": f"Log in first: {login.login}"},
            }
            for template in (login.protected if login.login else ())
        ],
    }
    return {
        "openapi": OPENAPI_FILE,
        "intelligent_behavior": {"behavior_model": {"rules": rules}},
        "storage": {"backend": "memory"},
    }


def _rule_name(template: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", re.sub(r"{[^}]+}", "", template))
    return "_".join(w.lower() for w in words if w) or "root"
