from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Collection, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from mockmind.adapters.memory.expiry import ExpiryQueue
from mockmind.adapters.memory.lifetimes import SessionLifetimes
from mockmind.domain.errors import EntityExists, VersionConflict
from mockmind.ports.entity_store import EntityRecord

_Entry = tuple[float | None, EntityRecord]
_Counter = tuple[float | None, int]
# What the expiry queue holds: a record (scope, collection, id) or a counter (scope,
# collection, key), told apart by the first field.
_Key = tuple[bool, str, str, str]
_RECORD, _COUNTER = True, False
# What a lookup of a scope or collection that has nothing finds (never written to).
_NONE: Mapping[str, Any] = MappingProxyType({})
# Expired records and counters freed per write, at most: more than the one a write can add.
_SWEEP_PER_WRITE = 2
# A collection as last listed: the write it was listed after, its live records oldest first,
# and when the first of them expires.
_Listed = tuple[int, list[EntityRecord], float]


class MemoryEntityStore:
    """Entities in dicts; every write checks and writes under one lock, as the durable stores
    do in one statement.

    A session's scope goes, records and counters, when the session ends (``lifetimes.py``).
    Records and counters of other scopes (tokens, requests without a session) are freed a few
    per write once their own expiry has passed.
    """

    def __init__(self, lifetimes: SessionLifetimes) -> None:
        self._scopes: dict[str, dict[str, dict[str, _Entry]]] = {}
        self._counters: dict[str, dict[tuple[str, str], _Counter]] = {}
        self._expiry: ExpiryQueue[_Key] = ExpiryQueue()
        self._clock = lifetimes.clock
        self._lock = threading.Lock()
        # Each collection's last write (a number never reused), and its records as last
        # listed after that write: a list request lists a collection that has not changed
        # since, and sorting it again was a tenth of such a request. A listing is kept only
        # under the lock and while the collection's last write is the one it was made after.
        self._writes = itertools.count(1)
        self._written: dict[tuple[str, str], int] = {}
        self._listed: dict[tuple[str, str], _Listed] = {}
        lifetimes.on_end(self.drop_scope)

    def get(
        self, scope: str, collection: str, entity_id: str, *, now: float
    ) -> EntityRecord | None:
        entry = self._scopes.get(scope, _NONE).get(collection, _NONE).get(entity_id)
        if entry is None or not _live(entry[0], now):
            return None
        return entry[1]

    def put(
        self,
        scope: str,
        collection: str,
        record: EntityRecord,
        *,
        expires_at: float | None,
        expected_version: int | None = None,
    ) -> EntityRecord:
        with self._lock:
            current = self._scopes.get(scope, _NONE).get(collection, _NONE).get(record.id)
            version = current[1].version if current is not None else 0
            if expected_version is not None and (current is None or version != expected_version):
                raise VersionConflict(
                    f"{collection} {record.id} changed since version {expected_version}"
                )
            return self._write(scope, collection, record, version, expires_at)

    def put_new(
        self,
        scope: str,
        collection: str,
        record: EntityRecord,
        *,
        now: float,
        expires_at: float | None,
    ) -> EntityRecord:
        with self._lock:
            current = self._scopes.get(scope, _NONE).get(collection, _NONE).get(record.id)
            if current is not None and _live(current[0], now):
                raise EntityExists(f"{collection} {record.id} already exists")
            # One more than an expired record's, so a write still holding its version fails.
            version = current[1].version if current is not None else 0
            return self._write(scope, collection, record, version, expires_at)

    def _write(
        self,
        scope: str,
        collection: str,
        record: EntityRecord,
        version: int,
        expires_at: float | None,
    ) -> EntityRecord:
        stored = replace(record, version=version + 1)
        items = self._scopes.setdefault(scope, {}).setdefault(collection, {})
        items[record.id] = (expires_at, stored)
        self._changed(scope, collection)
        self._expiry.schedule((_RECORD, scope, collection, record.id), expires_at)
        self._sweep()
        return stored

    def delete(self, scope: str, collection: str, entity_id: str) -> None:
        with self._lock:
            self._expiry.cancel((_RECORD, scope, collection, entity_id))
            self._remove_record(scope, collection, entity_id)

    def list(self, scope: str, collection: str, *, now: float) -> list[EntityRecord]:
        key = (scope, collection)
        written = self._written.get(key)
        if written is None:
            # Never written, or emptied: nothing to list.
            return []
        listed = self._listed.get(key)
        if listed is not None and listed[0] == written and now < listed[2]:
            return list(listed[1])
        # Read after the write number: a write the copy holds but that number does not name
        # yet makes the listing look older than it is, never newer.
        entries = list(self._scopes.get(scope, _NONE).get(collection, _NONE).values())
        live = [record for expires_at, record in entries if _live(expires_at, now)]
        ordered = sorted(live, key=_age)
        first_expiry = min(
            (expires_at for expires_at, _ in entries if expires_at is not None), default=math.inf
        )
        if len(live) == len(entries):
            with self._lock:
                if self._written.get(key) == written:
                    self._listed[key] = (written, ordered, first_expiry)
            return list(ordered)
        return ordered

    def listing_mark(self, scope: str, collection: str, *, now: float) -> int | None:
        """The write the collection's kept listing was made after (``MarksListings``), while
        that listing holds at ``now``; 0 for a collection with nothing (no write since it was
        emptied, or ever): write numbers start at 1."""
        key = (scope, collection)
        written = self._written.get(key)
        if written is None:
            return 0
        listed = self._listed.get(key)
        if listed is not None and listed[0] == written and now < listed[2]:
            return written
        return None

    def increment(
        self,
        scope: str,
        collection: str,
        key: str,
        *,
        now: float,
        expires_at: float | None,
        by: int = 1,
    ) -> int:
        with self._lock:
            counters = self._counters.setdefault(scope, {})
            current = counters.get((collection, key))
            value = (current[1] if current is not None and _live(current[0], now) else 0) + by
            counters[(collection, key)] = (expires_at, value)
            self._expiry.schedule((_COUNTER, scope, collection, key), expires_at)
            self._sweep()
            return value

    def holds(self, scope: str) -> bool:
        """Whether anything of ``scope`` is still in memory, expired or not."""
        return scope in self._scopes or scope in self._counters

    def drop_scope(self, scope: str, collections: Collection[str] = ()) -> None:
        """Forget every record and counter of ``scope`` (a session that ended), in whatever
        collection: this store finds them by scope."""
        with self._lock:
            collections = self._scopes.pop(scope, {})
            for collection, items in collections.items():
                self._forget(scope, collection)
                for entity_id in items:
                    self._expiry.cancel((_RECORD, scope, collection, entity_id))
            for collection, key in self._counters.pop(scope, {}):
                self._expiry.cancel((_COUNTER, scope, collection, key))

    def _sweep(self) -> None:
        """Free a few records and counters whose expiry has passed (under the lock)."""
        for is_record, scope, collection, name in self._expiry.due(
            self._clock.now(), _SWEEP_PER_WRITE
        ):
            if is_record:
                self._remove_record(scope, collection, name)
            else:
                self._remove_counter(scope, collection, name)

    def _remove_record(self, scope: str, collection: str, entity_id: str) -> None:
        collections = self._scopes.get(scope)
        items = collections.get(collection) if collections is not None else None
        if collections is None or items is None:
            return
        items.pop(entity_id, None)
        self._changed(scope, collection)
        # Empty dicts go too: a scope whose records all expired must not stay as a husk.
        if not items:
            self._forget(scope, collection)
            del collections[collection]
            if not collections:
                del self._scopes[scope]

    def _changed(self, scope: str, collection: str) -> None:
        """A write or removal in the collection (under the lock, after it): what was listed
        before it is not listed again."""
        self._written[(scope, collection)] = next(self._writes)
        self._listed.pop((scope, collection), None)

    def _forget(self, scope: str, collection: str) -> None:
        """A collection gone (under the lock): its write number and listing go with it."""
        self._written.pop((scope, collection), None)
        self._listed.pop((scope, collection), None)

    def _remove_counter(self, scope: str, collection: str, key: str) -> None:
        counters = self._counters.get(scope)
        if counters is None:
            return
        counters.pop((collection, key), None)
        if not counters:
            del self._counters[scope]


def _age(record: EntityRecord) -> tuple[float, str]:
    return (record.created_at, record.id)


def _live(expires_at: float | None, now: float) -> bool:
    return expires_at is None or expires_at > now
