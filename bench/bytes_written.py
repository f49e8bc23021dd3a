"""20. Bytes written (DynamoDB): what each request of one session writes to the table.

examples/shop with its storage on a DynamoDB table (moto, in process), behind Mangum with the
same API Gateway (HTTP API v2) events as the overhead row: one session sends 50 requests, a
cycle of a list, a read, an added cart item, the cart and a changed cart item. Every write
call the table receives is counted as it is sent (botocore's ``before-parameter-build``
event): a ``PutItem`` by the size of its item, an ``UpdateItem`` by the size of its key and
of the names and values it sends, a ``DeleteItem`` by its key (DynamoDB's item size: names
plus values). After each request each item written is read back and its whole size noted
too: DynamoDB bills a write by the size of the item (one write unit per KB, the larger of
before and after), not by what the call sends.

`python bench/run.py --only bytes_written`, or on its own: `python -m bench.bytes_written`
(writes the section into bench/RESULTS.md).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
from mangum import Mangum
from moto import mock_aws

from bench.overhead import FakeContext, event
from bench.report import MOTO_ENV, ROOT, Section, fmt_ratio, verdict, write_section
from mockmind.adapters.aws.provisioning import create_table
from mockmind.app.api import create_app
from mockmind.app.bootstrap import build
from mockmind.config import parse_config

SHOP = ROOT / "examples" / "shop" / "mockmind.yaml"
TABLE = "bench-bytes"
REQUESTS = 50
COOKIE = "mockforge_session=bench-bytes"
# Before saves wrote only what changed: bytes per request, requests 1-10 to 41-50, measured
# by this module on commit 94cc136 (the figures depend only on the requests and the
# generator's seed), sent by all writes and by the session's (a PutItem of the whole session,
# so its bytes sent are also the item's size after the write).
BEFORE_COMMIT = "94cc136"
BEFORE_ALL = (4015, 3840, 4155, 4462, 4486)
BEFORE_SESSION = (1916, 2206, 2462, 2712, 2964)
TARGET = 0.25


@dataclass
class Written:
    """One request's writes: bytes sent, and the sizes of the items written as they stand
    after the request, by kind of item (the ``pk`` prefix: session, entity, journal...)."""

    sent: dict[str, int] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)

    def total(self, part: str) -> int:
        return sum(getattr(self, part).values())


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size: names plus values (a map: 3 bytes, and 1 per element)."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def value_size(value: dict[str, Any]) -> int:
    if "S" in value:
        return len(value["S"].encode())
    if "B" in value:
        return len(value["B"])
    if "N" in value:
        return len(value["N"])
    if "M" in value:
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in value["M"].items())
    if "L" in value:
        return 3 + sum(value_size(v) + 1 for v in value["L"])
    return 1


def _sent(name: str, params: dict[str, Any]) -> tuple[dict[str, Any], int] | None:
    """The key a write call names and the bytes it sends; None for a call that writes
    nothing."""
    if name == "PutItem":
        item = params["Item"]
        return {"pk": item["pk"], "sk": item["sk"]}, item_size(item)
    if name == "UpdateItem":
        key = params["Key"]
        names = sum(len(n) for n in params.get("ExpressionAttributeNames", {}).values())
        values = sum(map(value_size, params.get("ExpressionAttributeValues", {}).values()))
        return key, item_size(key) + names + values
    if name == "DeleteItem":
        return params["Key"], item_size(params["Key"])
    return None


def _kind(key: dict[str, Any]) -> str:
    return str(key["pk"]["S"]).split("#", 1)[0].lower()


def _handler() -> tuple[Callable[[dict[str, Any]], dict[str, Any]], list[tuple[dict, int]]]:
    """The shop on the table, and the list every write call it makes is appended to."""
    calls: list[tuple[dict[str, Any], int]] = []

    def before_call(model: Any, params: dict[str, Any], **_: Any) -> None:
        found = _sent(model.name, params)
        if found is not None:
            calls.append(found)

    boto3.setup_default_session()
    # Clients copy their session's handlers when made: registered before the app makes its.
    boto3.DEFAULT_SESSION.events.register("before-parameter-build.dynamodb.*", before_call)
    env = {"MOCKMIND_LLM_PROVIDER": "offline", "MOCKMIND_STORAGE": "aws", "MOCKMIND_TABLE": TABLE}
    container = build(parse_config(SHOP.read_text(), source=SHOP, env=env), env=env)
    mangum = Mangum(create_app(container), lifespan="off")
    context = FakeContext()
    return (lambda ev: mangum(ev, context)), calls


def _session(handler: Callable[[dict[str, Any]], dict[str, Any]]) -> Iterator[int]:
    """Send the session's requests; yields after each, with its number."""
    headers = {"cookie": COOKIE}
    product, item = "", ""
    for n in range(REQUESTS):
        step = n % 5
        if step == 0:
            answer = handler(event("GET", "/products?limit=10", headers))
            product = json.loads(answer["body"])[0]["id"]
        elif step == 1:
            answer = handler(event("GET", f"/products/{product}", headers))
        elif step == 2:
            body = {"product_id": product, "quantity": 1}
            answer = handler(event("POST", "/cart/items", headers, body))
            item = json.loads(answer["body"])["id"]
        elif step == 3:
            answer = handler(event("GET", "/cart", headers))
        else:
            body = {"quantity": 2 + n % 3}
            answer = handler(event("PATCH", f"/cart/items/{item}", headers, body))
        assert 200 <= answer["statusCode"] < 300, answer
        yield n


def measure() -> list[Written]:
    for name, value in MOTO_ENV.items():
        os.environ.setdefault(name, value)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=MOTO_ENV["AWS_REGION"])
        create_table(client, TABLE)
        handler, calls = _handler()
        written: list[Written] = []
        for _ in _session(handler):
            entry = Written()
            keys: dict[tuple[str, str], dict[str, Any]] = {}
            for key, size in calls:
                kind = _kind(key)
                entry.sent[kind] = entry.sent.get(kind, 0) + size
                keys[(key["pk"]["S"], key["sk"]["S"])] = key
            calls.clear()
            for key in keys.values():
                found = client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)
                kind = _kind(key)
                size = item_size(found["Item"]) if "Item" in found else 0
                entry.items[kind] = entry.items.get(kind, 0) + size
            # The reads above are not the app's: dropped from the next request's writes.
            calls.clear()
            written.append(entry)
    return written


def _mean(entries: list[Written], part: str, kind: str | None = None) -> float:
    if kind is None:
        return sum(e.total(part) for e in entries) / len(entries)
    return sum(getattr(e, part).get(kind, 0) for e in entries) / len(entries)


def run() -> Section:
    section = Section(
        "20. Bytes written (DynamoDB)",
        __doc__.split("\n\n", 1)[1].split("\n\n`python")[0] if __doc__ else "",
        columns=[
            "requests",
            "sent: all writes",
            "sent: session item",
            "session item after the write",
            "all items written, after",
            f"session sent vs {BEFORE_COMMIT}",
            "target",
        ],
    )
    started = time.perf_counter()
    written = measure()
    for block, first in enumerate(range(0, REQUESTS, 10)):
        part = written[first : first + 10]
        ratio = _mean(part, "sent", "session") / BEFORE_SESSION[block]
        last = first + len(part) == REQUESTS
        section.row(
            f"{first + 1}-{first + len(part)}",
            f"{_mean(part, 'sent'):,.0f} B",
            f"{_mean(part, 'sent', 'session'):,.0f} B",
            f"{_mean(part, 'items', 'session'):,.0f} B",
            f"{_mean(part, 'items'):,.0f} B",
            fmt_ratio(ratio),
            verdict(ratio <= TARGET, f"<= {TARGET:.2f}x on the last 10") if last else "",
        )
    section.notes.append(
        f"On commit {BEFORE_COMMIT}, by this module, requests 1-10 to 41-50: sent by all "
        f"writes {', '.join(f'{b:,} B' for b in BEFORE_ALL)}; by the session's PutItem "
        f"(the whole item, zlib over the whole history) "
        f"{', '.join(f'{b:,} B' for b in BEFORE_SESSION)}."
    )
    section.notes.append(
        "DynamoDB bills an UpdateItem by the size of the whole item (the larger of before "
        'and after), not by what it sends: the column "session item after the write" is what '
        "each request's session write costs in write units (1 per KB, rounded up). "
        "Interactions compressed one by one share no words, so the item holding them all is "
        "larger than the whole history compressed at once: fewer bytes on the wire, more "
        "write units per save."
    )
    section.seconds = time.perf_counter() - started
    return section


if __name__ == "__main__":
    print(write_section(run()))
