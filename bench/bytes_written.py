"""20. Bytes written (DynamoDB): what DynamoDB bills for each request of one session.

examples/shop with its storage on a DynamoDB table (moto, in process), behind Mangum with the
same API Gateway (HTTP API v2) events as the overhead row: one session sends 50 requests, a
cycle of a list, a read, an added cart item, the cart and a changed cart item. Each write
call the table receives (``PutItem``, ``UpdateItem``, ``DeleteItem``) is counted as DynamoDB
bills it: by the size of the item it writes, the larger of the item before and after the call
(a delete: the item it deletes), read through a second client at botocore's
``before-parameter-build`` and ``after-call`` events, however little the call sends. Sizes
follow DynamoDB's item-size rules: attribute names plus values (strings in UTF-8, binary raw,
a number 1 byte per two significant digits plus 1, a map or list 3 bytes plus 1 per element);
write units are one per KB started, per call. A request's figures are the sums over its calls.
"Session items" is what its session save writes: the whole session item before; its head item
and its interaction's item now (adapters/aws/session_store.py), which holds the request's
journal event too. Read units, beside them: what the request's ``GetItem`` and ``Query``
calls return, one unit per 4 KB started over each call's items (strongly consistent reads,
as every read here is).

The same session with examples/shop's storage on SQLite: the bytes of the rows its session
save writes (the ``data`` JSON of the session's row, and of the rows of the interactions it
adds where interactions have rows of their own), read from the file after each request.

`python bench/run.py --only bytes_written`, or on its own: `python -m bench.bytes_written`
(writes the section into bench/RESULTS.md). `python -m bench.bytes_written --figures` prints
the figures of whichever mockmind it imports, as JSON: how the before figures below were
taken, with ``PYTHONPATH`` naming a checkout of 94cc136's ``src`` first.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
from mangum import Mangum
from moto import mock_aws

from bench.overhead import FakeContext, event
from bench.report import MOTO_ENV, ROOT, Section, fmt_ratio, verdict, write_section
from mockmind.adapters.aws import DynamoSessionStore, DynamoTable
from mockmind.adapters.aws.provisioning import create_table
from mockmind.app.api import create_app
from mockmind.app.bootstrap import build
from mockmind.config import parse_config

SHOP = ROOT / "examples" / "shop" / "mockmind.yaml"
TABLE = "bench-bytes"
REQUESTS = 50
BLOCK = 10
COOKIE = "mockforge_session=bench-bytes"
_WRITES = ("PutItem", "UpdateItem", "DeleteItem")
_READS = ("GetItem", "Query")
# Before saves were changed (issue 20): ``--figures`` on commit 94cc136 (an export of it in
# /tmp/tp-before), means per request over requests 1-10 to 41-50. The figures depend only
# on the requests and the generator's seed.
BEFORE_COMMIT = "94cc136"
BEFORE: dict[str, Any] = {
    "session": [1887.8, 2174.9, 2424.9, 2674.9, 2925.0],
    "all": [3912.2, 3782.3, 4091.3, 4399.3, 4420.7],
    "session_units": [2.0, 3.0, 3.0, 3.0, 3.0],
    "units": [7.0, 6.6, 6.6, 6.6, 6.4],
    "sqlite_save": [6791.1, 16874.8, 27541.5, 38788.4, 50623.7],
    # Added later, by the same ``--figures`` on 94cc136 (the reads it made, which the figures
    # above did not count).
    "read_units": [4.8, 4.6, 4.6, 4.6, 4.6],
    "cold_read_units": 1,
    "last_by_kind": {
        "counter": 17.4,
        "entity": 106.0,
        "journal": 1275.3,
        "session": 2925.0,
        "stats": 97.0,
    },
}
# The layout before the journal named the interaction's item for its body and items were
# deflated against the preset dictionary: ``--figures`` on f05f8cd (an export of its ``src``),
# run beside the figures of this one. Means per request over requests 41-50.
PREVIOUS_COMMIT = "f05f8cd"
PREVIOUS: dict[str, Any] = {
    "all": 2043.1,
    "units": 5.0,
    "cold_read_units": 9,
    "last_by_kind": {
        "counter": 17.4,
        "entity": 106.0,
        "interaction": 608.1,
        "journal": 953.6,
        "session": 261.0,
        "stats": 97.0,
    },
}
# The layout before the journal's events were kept in the interaction items (one item a
# request instead of two): ``--figures`` on 7e72250 (an export of its ``src``), run beside
# the figures of this one. Means per request over requests 41-50.
SEPARATE_COMMIT = "7e72250"
SEPARATE: dict[str, Any] = {
    "all": 1182.9,
    "units": 4.8,
    "cold_read_units": 8,
    "last_by_kind": {
        "counter": 17.4,
        "entity": 88.6,
        "interaction": 501.0,
        "journal": 286.9,
        "session": 203.0,
        "stats": 86.0,
    },
}
TARGET = 0.25
_SESSION_AND_JOURNAL = ("session", "interaction", "journal")


@dataclass
class Written:
    """One request's writes to DynamoDB, by kind of item (the ``pk`` prefix: session,
    entity, journal...): billed bytes and write units."""

    billed: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    read_units: int = 0

    def add(self, kind: str, size: int) -> None:
        self.billed[kind] = self.billed.get(kind, 0) + size
        self.units[kind] = self.units.get(kind, 0) + max(1, math.ceil(size / 1024))


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def value_size(value: dict[str, Any]) -> int:
    if "S" in value:
        return len(value["S"].encode())
    if "B" in value:
        return len(value["B"])
    if "N" in value:
        return number_size(value["N"])
    if "M" in value:
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in value["M"].items())
    if "L" in value:
        return 3 + sum(value_size(v) + 1 for v in value["L"])
    return 1


def number_size(text: str) -> int:
    """1 byte per two significant digits, leading and trailing zeros not counted, plus 1."""
    significant = "".join(map(str, Decimal(text).as_tuple().digits)).strip("0") or "0"
    return math.ceil(len(significant) / 2) + 1


def _key(name: str, params: dict[str, Any]) -> dict[str, Any] | None:
    if name == "PutItem":
        return {"pk": params["Item"]["pk"], "sk": params["Item"]["sk"]}
    if name in _WRITES:
        return dict(params["Key"])
    return None


def _kind(key: dict[str, Any]) -> str:
    kind = str(key["pk"]["S"]).split("#", 1)[0].lower()
    # A session's interactions are items of their own beside its head (``I#`` sort keys).
    return "interaction" if kind == "session" and key["sk"]["S"].startswith("I#") else kind


def _app(config: str, env: dict[str, str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    container = build(parse_config(config, source=SHOP, env=env), env=env)
    mangum = Mangum(create_app(container), lifespan="off")
    context = FakeContext()
    return lambda ev: mangum(ev, context)


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


def measure_dynamodb() -> list[Written]:
    for name, value in MOTO_ENV.items():
        os.environ.setdefault(name, value)
    with mock_aws():
        reader = boto3.client("dynamodb", region_name=MOTO_ENV["AWS_REGION"])
        create_table(reader, TABLE)

        def size_of(key: dict[str, Any]) -> int:
            found = reader.get_item(TableName=TABLE, Key=key, ConsistentRead=True)
            return item_size(found["Item"]) if "Item" in found else 0

        entry = Written()
        pending: list[tuple[dict[str, Any], int]] = []

        def before(model: Any, params: dict[str, Any], **_: Any) -> None:
            key = _key(model.name, params)
            if key is not None:
                pending.append((key, size_of(key)))

        def after(model: Any, parsed: dict[str, Any], **_: Any) -> None:
            if model.name in _WRITES:
                key, size_before = pending.pop()
                entry.add(_kind(key), max(size_before, size_of(key)))
            elif model.name in _READS:
                found = parsed.get("Items", [parsed["Item"]] if "Item" in parsed else [])
                size = sum(item_size(item) for item in found)
                entry.read_units += max(1, math.ceil(size / 4096))

        boto3.setup_default_session()
        # Clients copy their session's handlers when made: registered before the app makes
        # its own (``reader`` was made before, on the session replaced here, so has none).
        boto3.DEFAULT_SESSION.events.register("before-parameter-build.dynamodb.*", before)
        boto3.DEFAULT_SESSION.events.register("after-call.dynamodb.*", after)
        env = {
            "MOCKMIND_LLM_PROVIDER": "offline",
            "MOCKMIND_STORAGE": "aws",
            "MOCKMIND_TABLE": TABLE,
        }
        handler = _app(SHOP.read_text(), env)
        written: list[Written] = []
        for _ in _session(handler):
            written.append(entry)
            entry = Written()
        written.append(_cold_read(reader))
    return written


def _cold_read(reader: Any) -> Written:
    """The read units of the session read, after its last request, by a store that has
    served none of it (another process, a cold start): as an entry of its own."""
    entry = Written()

    def counted(model: Any, parsed: dict[str, Any], **_: Any) -> None:
        found = parsed.get("Items", [parsed["Item"]] if "Item" in parsed else [])
        entry.read_units += max(1, math.ceil(sum(item_size(i) for i in found) / 4096))

    reader.meta.events.register("after-call.dynamodb.GetItem", counted)
    reader.meta.events.register("after-call.dynamodb.Query", counted)
    session_id = COOKIE.split("=", 1)[1]
    assert DynamoSessionStore(DynamoTable(reader, TABLE)).get(session_id, now=time.time())
    return entry


def measure_sqlite() -> list[int]:
    """Bytes of the rows each request's session save writes (their ``data``)."""
    with tempfile.TemporaryDirectory(prefix="bench-bytes-") as folder:
        path = Path(folder) / "shop.db"
        text = SHOP.read_text()
        config = text.replace(
            "storage:\n  backend: memory", f"storage:\n  backend: sqlite\n  sqlite_path: {path}"
        )
        assert config != text, "examples/shop's storage section changed: update the bench"
        handler = _app(config, {"MOCKMIND_LLM_PROVIDER": "offline"})
        sizes: list[int] = []
        seen = -1
        for _ in _session(handler):
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                (session,) = db.execute(
                    "SELECT length(CAST(data AS BLOB)) FROM sessions"
                ).fetchone()
                added = 0
                apart = db.execute(
                    "SELECT 1 FROM sqlite_master WHERE name = 'session_history'"
                ).fetchone()
                if apart:
                    rows = db.execute(
                        "SELECT seq, length(CAST(data AS BLOB)) FROM session_history WHERE seq > ?",
                        (seen,),
                    ).fetchall()
                    added = sum(size for _, size in rows)
                    seen = max([seen, *(seq for seq, _ in rows)])
            sizes.append(int(session) + added)
        return sizes


def _session_part(by_kind: dict[str, int]) -> float:
    return float(by_kind.get("session", 0) + by_kind.get("interaction", 0))


def _means(values: list[float]) -> list[float]:
    return [
        sum(values[first : first + BLOCK]) / len(values[first : first + BLOCK])
        for first in range(0, len(values), BLOCK)
    ]


def figures() -> dict[str, Any]:
    """Means per request over each block of ten requests."""
    *written, cold = measure_dynamodb()
    return {
        "cold_read_units": cold.read_units,
        "session": _means([_session_part(w.billed) for w in written]),
        "all": _means([sum(w.billed.values()) for w in written]),
        "session_units": _means([_session_part(w.units) for w in written]),
        "units": _means([sum(w.units.values()) for w in written]),
        "read_units": _means([float(w.read_units) for w in written]),
        "sqlite_save": _means([float(s) for s in measure_sqlite()]),
        # Each kind of item's share of the last block's bytes.
        "last_by_kind": {
            kind: sum(w.billed.get(kind, 0) for w in written[-BLOCK:]) / BLOCK
            for kind in sorted({k for w in written[-BLOCK:] for k in w.billed})
        },
    }


def run() -> Section:
    section = Section(
        "20. Bytes written (DynamoDB)",
        __doc__.split("\n\n", 1)[1].split("\n\n`python")[0] if __doc__ else "",
        columns=[
            "requests",
            "session items",
            f"session item, {BEFORE_COMMIT}",
            "all items written",
            f"all items, {BEFORE_COMMIT}",
            "write units",
            f"write units, {BEFORE_COMMIT}",
            "read units",
            f"read units, {BEFORE_COMMIT}",
            f"all items vs {BEFORE_COMMIT}",
            f"SQLite session save, {BEFORE_COMMIT} → now",
            "target",
        ],
    )
    started = time.perf_counter()
    now = figures()
    blocks = len(now["all"])
    for block in range(blocks):
        ratio = now["all"][block] / BEFORE["all"][block]
        last = block == blocks - 1
        section.row(
            f"{block * BLOCK + 1}-{(block + 1) * BLOCK}",
            f"{now['session'][block]:,.0f} B",
            f"{BEFORE['session'][block]:,.0f} B",
            f"{now['all'][block]:,.0f} B",
            f"{BEFORE['all'][block]:,.0f} B",
            f"{now['units'][block]:.1f}",
            f"{BEFORE['units'][block]:.1f}",
            f"{now['read_units'][block]:.1f}",
            f"{BEFORE['read_units'][block]:.1f}",
            fmt_ratio(ratio),
            f"{BEFORE['sqlite_save'][block]:,.0f} B → {now['sqlite_save'][block]:,.0f} B",
            verdict(ratio <= TARGET, f"<= {TARGET:.2f}x on the last 10") if last else "",
        )
    kinds = now["last_by_kind"]
    quarter = TARGET * BEFORE["all"][-1]
    others = sum(size for kind, size in kinds.items() if kind not in _SESSION_AND_JOURNAL)
    section.notes.append(
        f"Session save units, requests 1-10 to 41-50: {BEFORE_COMMIT} "
        f"{', '.join(f'{u:.1f}' for u in BEFORE['session_units'])}; now "
        f"{', '.join(f'{u:.1f}' for u in now['session_units'])} (the head and the "
        "interaction, a unit each; a large answer's interaction two). No TransactWriteItems: "
        "every write is billed its own units, once. By kind of item on requests 41-50, "
        f"{BEFORE_COMMIT} → now: "
        + ", ".join(
            f"{kind} {BEFORE['last_by_kind'].get(kind, 0):,.0f} B → {kinds.get(kind, 0):,.0f} B"
            for kind in sorted(set(kinds) | set(BEFORE["last_by_kind"]))
        )
        + ". Timestamps and generated ids make the compressed sizes vary by about 1% from "
        "run to run; the write units do not."
    )
    met = now["all"][-1] <= quarter
    section.notes.append(
        f"The target (a quarter of {BEFORE_COMMIT}'s bytes on requests 41-50: "
        f"{quarter:,.0f} B) is {'met' if met else 'not met'}: {now['all'][-1]:,.0f} B. "
        "What a request writes: the session's head and its interaction's item "
        f"({kinds.get('session', 0) + kinds.get('interaction', 0):,.0f} B; the interaction's "
        "item holds the answer body and the request's journal event, the request with its "
        "headers and what changed, deflated together), no journal item of its own "
        f"({kinds.get('journal', 0):,.0f} B), and the entity, counter and stats writes "
        f"({others:,.0f} B)."
    )
    separate = SEPARATE["last_by_kind"]
    section.notes.append(
        f"Before → after this layout ({SEPARATE_COMMIT}, measured by the same `--figures` "
        "beside this run; requests 41-50, per request): all items written "
        f"{SEPARATE['all']:,.0f} B → {now['all'][-1]:,.0f} B "
        f"({now['all'][-1] / SEPARATE['all']:.2f}x), write units {SEPARATE['units']:.1f} → "
        f"{now['units'][-1]:.1f}; "
        + ", ".join(
            f"{kind} {separate.get(kind, 0):,.0f} B → {kinds.get(kind, 0):,.0f} B"
            for kind in sorted(set(kinds) | set(separate))
        )
        + ". One item a request instead of two: the session's save keeps the request's "
        "journal event in the interaction's item (the engine hands it the event to build, "
        "since its step is the request count the save settles on; ports/session_store.py, "
        "KeepsJournalEvents), committed by the head as the interaction is, and the journal "
        "reads events there, from the head back through the chain of items, past the "
        "history bound and across a renewal (adapters/aws/session_store.py, kept_events). "
        "Journal items are written only for what a save does not keep (an item too large, "
        "a grace longer than interaction items live) and an admin's copies. The head's TTL "
        "is now a day past its expiry, as long as the events it leads to. Items written "
        "before are read as they were, a journal of items of their own merged with kept "
        "events. A release before this one reads every session but not the kept events "
        "(README, Upgrading and rolling back). Cold read: "
        f"{SEPARATE['cold_read_units']} → {now['cold_read_units']} read units (the "
        "interaction items hold the events)."
    )
    prev = PREVIOUS["last_by_kind"]
    section.notes.append(
        f"Before → after the layout before this one ({PREVIOUS_COMMIT} → "
        f"{SEPARATE_COMMIT}, measured by the same `--figures`; requests 41-50, per "
        f"request): all items written {PREVIOUS['all']:,.0f} B → {SEPARATE['all']:,.0f} B "
        f"({SEPARATE['all'] / PREVIOUS['all']:.2f}x), write units {PREVIOUS['units']:.1f} → "
        f"{SEPARATE['units']:.1f}; "
        + ", ".join(
            f"{kind} {prev.get(kind, 0):,.0f} B → {separate.get(kind, 0):,.0f} B"
            for kind in sorted(set(separate) | set(prev))
        )
        + ". The journal's event names the session's interaction item that holds the answer "
        "body instead of repeating it (a read joins them: one BatchGetItem); events, "
        "interactions, session state and entities are deflated against a preset "
        "dictionary of the keys they write and common request headers "
        "(adapters/aws/payload_dictionary.py); the head's own attributes have one-letter "
        "names, no id (its key and `activity` hold it) and no `authenticated` while false; "
        "interaction items and whole-second stats items keep their TTL attribute alone. "
        "Items written before are read as they were. Forward-only: a release before that "
        "layout answers 500 (KeyError) on sessions, entities and journal events this one "
        "wrote (heads with no `session_id` or `version`, `z1` payloads), so a rollback needs "
        "the table emptied or its items expired (README, Upgrading and rolling back)."
    )
    section.notes.append(
        "Reads: a request reads its session's head (GetItem) and the interactions it names "
        "that the store does not remember from its own reads and writes (one Query): here, "
        "one process serving the whole session, none, so its read units are "
        f"{BEFORE_COMMIT}'s but for the smaller items read (entities deflated). The same "
        "session read after request 50 by a store that served "
        f"none of it (another process, a cold start): {now['cold_read_units']} read units "
        f"(head and a Query of the {REQUESTS} kept interactions, with their events; "
        f"{PREVIOUS['cold_read_units']} at {PREVIOUS_COMMIT}, {SEPARATE['cold_read_units']} at "
        f"{SEPARATE_COMMIT}), against "
        f"{BEFORE['cold_read_units']} for {BEFORE_COMMIT}'s one item. DynamoDB bills a read "
        "unit a fifth of a write unit (on demand)."
    )
    section.notes.append(
        "SQLite, where saves now write what changed (the session's row without its history, "
        "and a row per interaction): the rows a request's session save writes shrank from "
        "the whole history's JSON, growing with each request, to the session's row and one "
        f"interaction's: {now['sqlite_save'][-1] / BEFORE['sqlite_save'][-1]:.3f}x on "
        "requests 41-50."
    )
    section.seconds = time.perf_counter() - started
    return section


if __name__ == "__main__":
    if sys.argv[1:] == ["--figures"]:
        print(json.dumps(figures()))
    else:
        print(write_section(run()))
