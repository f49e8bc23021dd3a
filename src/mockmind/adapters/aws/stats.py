"""Request counters in DynamoDB: one item per hour under the ``STATS#hours`` partition, and
one per day under ``STATS#days`` (the quotas', domain/quotas.py).

A request's counts are one UpdateItem with ``ADD`` on the hour's item, which DynamoDB applies
atomically however many Lambda environments count at once; the item's TTL (``expires_at``) is
set by the same write: alone when it falls on a whole second, as an hour's end does (every
request writes the item, billed whole). Reading N hours is one Query over the partition's
sort keys (the hour, zero-padded), never a scan. A day's add returns the whole item as it left it
(``ReturnValues=ALL_NEW``), so a quota's count and its check are one round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from mockmind.adapters.aws.table import DynamoTable, whole_second_expiry

if TYPE_CHECKING:
    from mockmind.adapters.aws.table import Item

PARTITION = "STATS#hours"
DAY_PARTITION = "STATS#days"
_HOUR_DIGITS = 10
# Attributes of a stats item that are not counters.
_KEYS = frozenset({"pk", "sk", "expires_at", "expiry"})
# Counter names become attribute names: the prefix keeps them clear of the item's own.
_COUNTER = "c."


class DynamoStatsCounter:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def add(self, hour: int, counts: Mapping[str, int], *, expires_at: float) -> None:
        self._table.update(
            PARTITION,
            _sk(hour),
            set_values=whole_second_expiry(expires_at),
            add={_COUNTER + name: value for name, value in counts.items()},
        )

    def read(self, first: int, last: int, *, now: float) -> dict[int, dict[str, int]]:
        items = self._table.query_range(
            PARTITION, now=now, after_sk=_sk(first - 1), limit=last - first + 1
        )
        found: dict[int, dict[str, int]] = {}
        for item in items:
            hour = int(item["sk"]["S"])
            if hour > last:
                break
            found[hour] = _counts(item)
        return found

    def add_to_day(
        self, day: int, counts: Mapping[str, int], *, expires_at: float
    ) -> dict[str, int]:
        item = self._table.update(
            DAY_PARTITION,
            _sk(day),
            set_values=whole_second_expiry(expires_at),
            add={_COUNTER + name: value for name, value in counts.items()},
            whole_item=True,
        )
        return _counts(item or {})

    def read_day(self, day: int, *, now: float) -> dict[str, int]:
        item = self._table.get(DAY_PARTITION, _sk(day), now=now)
        return _counts(item) if item is not None else {}


def _sk(hour: int) -> str:
    return str(hour).zfill(_HOUR_DIGITS)


def _counts(item: Item) -> dict[str, int]:
    return {
        name[len(_COUNTER) :]: int(value["N"])
        for name, value in item.items()
        if name not in _KEYS and name.startswith(_COUNTER) and "N" in value
    }
