"""Entity ids: a per-scope sequence, and an id of the kind the resource's schema asks for.

An id is a pure function of scope, collection and sequence number, so a restart, a replay or
another instance derives the same id for the same step. No two creates get the same number.
"""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from collections.abc import Mapping
from typing import Any

from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.resources.inference import properties
from mockmind.domain.resources.specs import META_COLLECTION, ResourceSpec
from mockmind.domain.schema_refs import deref
from mockmind.domain.sessions import SHARED_SCOPE
from mockmind.domain.words import singular
from mockmind.ports.api_description import SchemaResolver
from mockmind.ports.entity_store import EntityStore


def next_sequence(
    store: EntityStore, scope: str, spec: ResourceSpec, now: float, ttl: float
) -> int:
    """The next number of the scope's sequence for ``spec``; it starts after the shared seeds.

    The store's counter gives each caller its own number, whichever process it runs in: one
    writer sees 1, 2, 3... (after the seeds) as before, and two never see the same one.
    """
    key = f"seq:{spec.name}"
    shared = len(store.list(SHARED_SCOPE, spec.name, now=now))
    count = store.increment(scope, META_COLLECTION, key, now=now, expires_at=now + ttl)
    if count == 1:
        # A new counter. Releases before counters kept the last number given out as a record
        # ({"n": last}) under the same key: a session they started continues after it.
        legacy = store.get(scope, META_COLLECTION, key, now=now)
        given = (legacy.data or {}).get("n") if legacy is not None else None
        if isinstance(given, int) and given - shared > 0:
            count = store.increment(
                scope, META_COLLECTION, key, now=now, expires_at=now + ttl, by=given - shared
            )
    return shared + count


def new_id(
    scope: str,
    spec: ResourceSpec,
    seq: int,
    generator: OfflineGenerator,
    resolve: SchemaResolver,
) -> Any:
    digest = hashlib.sha256(f"{scope}:{spec.name}:{seq}".encode()).digest()
    if spec.id_kind == "integer":
        return seq
    if spec.id_kind == "uuid":
        return str(uuid.UUID(bytes=digest[:16], version=4))
    if spec.id_kind == "schema":
        props = properties(spec.schema, resolve)
        return generator.generate(props[spec.id_field], seed=digest.hex())
    return f"{singular(spec.name)}_{digest.hex()[:12]}"


def typed_id(spec: ResourceSpec, raw: Any, resolve: SchemaResolver) -> Any:
    """A path's id as the id field's schema types it: ``"7"`` is 7 where the id is an integer
    (a number where it is a number); anything else stays as the client sent it."""
    if not isinstance(raw, str):
        return raw
    prop = deref(properties(spec.schema, resolve).get(spec.id_field), resolve)
    if not isinstance(prop, Mapping):
        return raw
    kind = prop.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "string" in kinds:
        return raw
    if "integer" in kinds and re.fullmatch(r"-?[0-9]+", raw):
        return int(raw)
    if "number" in kinds:
        try:
            number = float(raw)
        except ValueError:
            return raw
        if not math.isfinite(number):
            return raw
        return int(number) if number.is_integer() and "." not in raw else number
    return raw
