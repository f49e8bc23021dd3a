"""Cached responses in DynamoDB: one item per cache key, expired by native TTL."""

from __future__ import annotations

from mockmind.adapters.aws.table import (
    DynamoTable,
    decode_payload,
    encode_payload,
    expiry_attributes,
    number,
)
from mockmind.ports.response_cache import CachedResponse

_PREFIX = "CACHE#"
_SK = "CACHE"


class DynamoResponseCache:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def get(self, key: str, *, now: float) -> CachedResponse | None:
        item = self._table.get(_PREFIX + key, _SK, now=now)
        if item is None:
            return None
        data = decode_payload(item)
        return CachedResponse.from_dict(data)

    def put(
        self,
        key: str,
        response: CachedResponse,
        *,
        expires_at: float,
        session_id: str | None = None,
    ) -> None:
        # An entry lives until its expiry here; ``session_id`` matters only to a store that
        # frees a session's data when the session ends (the memory one).
        payload = response.to_dict()
        self._table.put(
            {
                "pk": {"S": _PREFIX + key},
                "sk": {"S": _SK},
                **expiry_attributes(expires_at),
                **encode_payload(payload),
            }
        )

    def purge_expired(self, *, now: float) -> int:
        """Native TTL does this in production; a scan serves tests and a manual clean-up.

        Each delete is conditional, so an entry rewritten since the scan saw it stays.
        """
        purged = 0
        for item in self._table.scan_expired(_PREFIX, now=now):
            purged += self._table.delete(
                item["pk"]["S"],
                item["sk"]["S"],
                condition="expiry <= :now",
                values={":now": number(now)},
            )
        return purged
