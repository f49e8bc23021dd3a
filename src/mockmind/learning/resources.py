"""Resources: collections whose entities come back under an item path.

A POST to a collection path whose answer holds an id (a field whose value a later request
puts in the item path, ``POST /cart/items`` answering ``{"id": "ci_1"}`` and then ``PATCH
/cart/items/ci_1``) makes a collection, with its item path and id field. A collection that
is only listed (``GET /products`` answering an array), whose listed ids later appear in the
item path, is a shared catalogue: the entities listed become its seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

from mockmind.lean_dataclass import dataclass
from mockmind.learning.exchanges import Exchange
from mockmind.learning.traffic import Operation, Traffic, json_object, succeeded

_ID_NAMES = ("id", "uuid", "key")


@dataclass(frozen=True)
class LearnedResource:
    name: str
    path: str
    item_path: str
    id_field: str
    id_param: str
    created_by_post: bool
    seed: tuple[Mapping[str, Any], ...] = field(default=())


def infer_resources(traffic: Traffic) -> list[LearnedResource]:
    found: list[LearnedResource] = []
    names: set[str] = set()
    for template in traffic.templates():
        item = _item_template(traffic, template)
        if item is None:
            continue
        item_path, param = item
        used = _values_in_item_paths(traffic, item_path, param)
        posted = _posted_ids(traffic, template)
        id_field = _best_field(posted, used)
        created = id_field is not None
        seed: tuple[Mapping[str, Any], ...] = ()
        if id_field is None:
            listed = _listed(traffic, template)
            id_field = _best_field(
                [(e.order, entity) for e, entity in listed], used, later_only=False
            )
            if id_field is None:
                continue
            seed = _seed(listed, id_field)
        name = _name(traffic, template, names)
        names.add(name)
        found.append(
            LearnedResource(
                name=name,
                path=template,
                item_path=item_path,
                id_field=id_field,
                id_param=param,
                created_by_post=created,
                seed=seed,
            )
        )
    return found


@dataclass(frozen=True)
class Snapshot:
    """An entity as one answer showed it."""

    exchange: Exchange
    entity: dict[str, Any]


def entity_snapshots(traffic: Traffic, resource: LearnedResource) -> dict[str, list[Snapshot]]:
    """Each entity's snapshots, oldest first, by id: every entity of the resource that a
    successful answer held (``shows_entity``)."""
    by_id: dict[str, list[Snapshot]] = {}
    for exchange in traffic.exchanges:
        if not succeeded(exchange):
            continue
        body = exchange.response_body
        for entity in body if isinstance(body, list) else [body]:
            if shows_entity(traffic, resource, exchange, entity):
                by_id.setdefault(str(entity[resource.id_field]), []).append(
                    Snapshot(exchange, entity)
                )
    return by_id


def shows_entity(
    traffic: Traffic, resource: LearnedResource, exchange: Exchange, value: Any
) -> bool:
    """Whether ``value``, in the answer to ``exchange``, is one of the resource's entities:
    an object with its id field answered on its collection path (a create, a list), or on its
    item path or a path under it when the id is the one the path names (a nested create's
    answer, ``POST /applications/7/documents``, is another kind of entity)."""
    if not isinstance(value, dict) or resource.id_field not in value:
        return False
    template = traffic.paths.template_of(exchange.path)
    if template == resource.path:
        return True
    if not owns(resource, template):
        return False
    named = traffic.paths.values_of(exchange.path).get(resource.id_param)
    return named is not None and str(value[resource.id_field]) == named


def owns(resource: LearnedResource, template: str) -> bool:
    """Whether ``template`` is the resource's collection, item, or a path under its item."""
    return template == resource.path or (
        template == resource.item_path or template.startswith(resource.item_path + "/")
    )


def _item_template(traffic: Traffic, template: str) -> tuple[str, str] | None:
    prefix = template.rstrip("/") + "/"
    for candidate in traffic.templates():
        rest = candidate[len(prefix) :] if candidate.startswith(prefix) else ""
        if rest.startswith("{") and rest.endswith("}") and "/" not in rest:
            return candidate, rest[1:-1]
    return None


def _values_in_item_paths(traffic: Traffic, item_path: str, param: str) -> list[tuple[int, str]]:
    """(order, value) of the id parameter in every request on the item path or under it."""
    used: list[tuple[int, str]] = []
    for exchange in traffic.exchanges:
        template = traffic.paths.template_of(exchange.path)
        if template == item_path or template.startswith(item_path + "/"):
            used.append((exchange.order, traffic.paths.values_of(exchange.path)[param]))
    return used


def _posted_ids(traffic: Traffic, template: str) -> list[tuple[int, dict[str, Any]]]:
    answers = traffic.operations.get(Operation("POST", template), [])
    return [
        (e.order, body)
        for e in answers
        if succeeded(e) and (body := json_object(e.response_body)) is not None
    ]


def _listed(traffic: Traffic, template: str) -> list[tuple[Any, dict[str, Any]]]:
    listed: list[tuple[Any, dict[str, Any]]] = []
    for exchange in traffic.operations.get(Operation("GET", template), []):
        if succeeded(exchange) and isinstance(exchange.response_body, list):
            listed += [(exchange, e) for e in exchange.response_body if isinstance(e, dict)]
    return listed


def _best_field(
    samples: list[tuple[int, dict[str, Any]]],
    used: list[tuple[int, str]],
    *,
    later_only: bool = True,
) -> str | None:
    """The field whose values most often reappear in the item path (after the answer that
    held them, for a create); ties go to a field named like an id."""
    last_use: dict[str, int] = {}
    for order, value in used:
        last_use[value] = max(order, last_use.get(value, order))
    hits: dict[str, int] = {}
    for order, body in samples:
        for key, value in body.items():
            if isinstance(value, bool) or not isinstance(value, str | int):
                continue
            seen = last_use.get(str(value))
            if seen is not None and (seen > order or not later_only):
                hits[key] = hits.get(key, 0) + 1
    if not hits:
        return None
    return max(hits, key=lambda k: (hits[k], k in _ID_NAMES, k.endswith("id"), -len(k)))


def _seed(listed: list[tuple[Any, dict[str, Any]]], id_field: str) -> tuple[Mapping[str, Any], ...]:
    """Each listed entity once (its latest answer), in the order first listed."""
    latest: dict[str, dict[str, Any]] = {}
    for _, entity in listed:
        if id_field in entity:
            latest[str(entity[id_field])] = entity
    return tuple(latest.values())


def _name(traffic: Traffic, template: str, taken: set[str]) -> str:
    """The last fixed segment; with the one before it when that is an operation's path of
    its own (``/cart/items``: ``cart_items``), so the name says whose items they are."""
    segments = [s for s in template.split("/") if s]
    words = [s for s in segments if not s.startswith("{")]
    name = _snake(words[-1]) if words else "items"
    if (
        len(segments) >= 2
        and not segments[-2].startswith("{")
        and traffic.methods_of("/" + "/".join(segments[:-1]))
    ):
        name = f"{_snake(segments[-2])}_{name}"
    base, number = name, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    return name


def _snake(word: str) -> str:
    out = "".join(c if c.isalnum() else "_" for c in word)
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in out).strip("_")
