"""The single-table layer under the DynamoDB adapters: keys, expiry, payloads and errors.

Every item, whatever it holds:

``pk``, ``sk``
    strings; the kind is the ``pk`` prefix (``SESSION#``, ``ENTITY#``, ``COUNTER#``, ``CACHE#``,
    ``JOURNAL#``).
``version`` or ``counter``
    a session's or an entity's version (a write adds one, if it is still the one read), or a
    counter's value (``COUNTER#`` items have no payload).
``expires_at``
    whole epoch seconds, rounded up: the attribute DynamoDB's native TTL deletes by. TTL wants
    integral seconds, and rounding up never deletes an item before it expires.
``expiry``
    the exact expiry the ports compare with. TTL deletion lags by up to days, so every read
    drops items whose ``expiry`` has passed. Items that live forever have neither attribute;
    items whose expiry is a whole second may have ``expires_at`` alone (then exact), and
    interaction items, read whatever their expiry, have it alone.
``data``, ``data_z`` or ``z1``
    the JSON payload as a string, or zlib-compressed (binary) when that is smaller: generated
    bodies compress several times over, which keeps items far from the 400 KB limit. Items
    written on every request (a journal event, an interaction, a session's state) are
    deflated against a preset dictionary instead, ``z1`` (adapters/aws/payload_dictionary.py).

Every botocore failure leaves this module as a ``StoreError`` that names the operation, the
table and the AWS error code, never a request signature or a credential.
"""

from __future__ import annotations

import json
import math
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from mockmind.adapters.aws.payload_dictionary import DICTIONARY_1
from mockmind.domain.errors import StoreError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    Item = Mapping[str, AttributeValueTypeDef]
    NewItem = dict[str, AttributeValueTypeDef]

# DynamoDB refuses items over 400 KB (names and values, UTF-8). Staying under 300 KB leaves room
# for the size estimate below being rough (numbers are counted as their decimal text).
ITEM_SIZE_LIMIT = 400 * 1024
ITEM_BUDGET = 300 * 1024

# The request body limit with this backend (bootstrap caps ``server.max_body_bytes`` at it), so
# that a body the engine accepts always fits in an item: the largest item a body makes is an
# entity holding the body's fields (re-serialised compactly, so no larger than the body) next to
# generated ones, and sessions only keep the first 4 KB of a body. 256 KiB leaves 44 KiB of the
# budget for generated fields and keys. The engine answers 413 for larger bodies before writing.
MAX_BODY_BYTES = 256 * 1024

# Compressing a small payload costs more time than it saves bytes.
_COMPRESS_FROM = 2048
# BatchGetItem takes at most 100 keys; what it leaves unprocessed is asked again.
_BATCH_KEYS = 100
_BATCH_TRIES = 5
_BATCH_BACKOFF = 0.025
# The most index items a listing Query asks for once its pages come back short (the
# filter dropped some): a Query reads at most 1 MB anyway.
_INDEX_PAGE = 1000


class DynamoTable:
    """One table, the operations the adapters need, and the expiry filter every read applies.

    ``key_prefix`` (a tenant's, ``TENANT#name#``) goes in front of every partition key this
    table writes or reads, and of the value of every index partition an adapter names through
    ``scoped``: the adapters build their keys as ever, and two tables over one DynamoDB table
    with different prefixes share no item and no index partition. Keys read back (a scan) come
    without it.
    """

    def __init__(self, client: DynamoDBClient, name: str, *, key_prefix: str = "") -> None:
        self._client = client
        self.name = name
        self.key_prefix = key_prefix

    def scoped(self, value: str) -> str:
        """``value`` as this table's own: a partition key, or an index partition's value."""
        return self.key_prefix + value

    def get(self, pk: str, sk: str, *, now: float) -> Item | None:
        with self._translated("GetItem"):
            response = self._client.get_item(
                TableName=self.name,
                Key={"pk": {"S": self.scoped(pk)}, "sk": {"S": sk}},
                ConsistentRead=True,
            )
        item = response.get("Item")
        return item if item is not None and is_live(item, now) else None

    def get_many(self, pk: str, sort_keys: Iterable[str]) -> dict[str, Item]:
        """The items of partition ``pk`` with these sort keys that exist, by sort key,
        whatever their expiry: BatchGetItem, a hundred keys a call (its limit), strongly
        consistent, asking again for the keys DynamoDB leaves unprocessed."""
        wanted = sorted(set(sort_keys))
        found: dict[str, Item] = {}
        scoped = self.scoped(pk)
        for first in range(0, len(wanted), _BATCH_KEYS):
            chunk = wanted[first : first + _BATCH_KEYS]
            keys: list[Mapping[str, AttributeValueTypeDef]] = [
                {"pk": {"S": scoped}, "sk": {"S": sk}} for sk in chunk
            ]
            for attempt in range(_BATCH_TRIES):
                if attempt:
                    # Keys left unprocessed: the table throttled, or the answer reached its
                    # 16 MB. Asked again, backing off as DynamoDB asks.
                    time.sleep(_BATCH_BACKOFF * 2**attempt)
                with self._translated("BatchGetItem"):
                    response = self._client.batch_get_item(
                        RequestItems={self.name: {"Keys": keys, "ConsistentRead": True}}
                    )
                for item in response.get("Responses", {}).get(self.name, []):
                    found[item["sk"]["S"]] = item
                left = response.get("UnprocessedKeys", {}).get(self.name)
                keys = list(left["Keys"]) if left is not None else []
                if not keys:
                    break
            else:
                raise StoreError(
                    f"DynamoDB BatchGetItem on table {self.name!r} left {len(keys)} keys "
                    f"unprocessed {_BATCH_TRIES} times in a row"
                )
        return found

    def put(
        self,
        item: NewItem,
        *,
        condition: str | None = None,
        values: Mapping[str, AttributeValueTypeDef] | None = None,
    ) -> bool:
        """Write ``item``; False when ``condition`` did not hold (nothing was written)."""
        if self.key_prefix:
            item = {**item, "pk": {"S": self.scoped(item["pk"]["S"])}}
        _check_size(item)
        extra = _conditional(condition, values)
        try:
            with self._translated("PutItem", passthrough="ConditionalCheckFailedException"):
                self._client.put_item(TableName=self.name, Item=item, **extra)
        except ClientError:
            return False
        return True

    def update(
        self,
        pk: str,
        sk: str,
        *,
        set_values: NewItem,
        remove: Iterable[str] = (),
        add: Mapping[str, int] | None = None,
        condition: str | None = None,
        values: Mapping[str, AttributeValueTypeDef] | None = None,
        whole_item: bool = False,
    ) -> Item | None:
        """UpdateItem: set, remove and add to attributes in one step, which DynamoDB applies
        atomically (a counter, a version). The attributes it changed, as they are now (with
        ``whole_item``, every attribute of the item as this write left it); None when
        ``condition`` did not hold (nothing was written).

        Without ``whole_item`` (``UPDATED_NEW``, "only the updated attributes"), an attribute
        the write sets or adds to but leaves at the value it had may be missing: moto leaves
        it out, and DynamoDB documents no more. A caller that reads such an attribute back
        asks for ``whole_item`` (``ALL_NEW``: no read capacity, only a longer answer).

        ``condition`` and ``values`` name attributes as they are; the update itself names
        them through placeholders, as some (``data``, ``value``) are reserved words.
        """
        added = _numbers(add or {})
        pk = self.scoped(pk)
        _check_size({"pk": {"S": pk}, "sk": {"S": sk}, **set_values, **added})
        names: dict[str, str] = {}
        expression_values: dict[str, AttributeValueTypeDef] = dict(values or {})

        def name(attribute: str) -> str:
            placeholder = f"#u{len(names)}"
            names[placeholder] = attribute
            return placeholder

        def value(given: AttributeValueTypeDef) -> str:
            placeholder = f":u{len(expression_values)}"
            expression_values[placeholder] = given
            return placeholder

        sets = [f"{name(a)} = {value(v)}" for a, v in set_values.items()]
        adds = [f"{name(a)} {value(v)}" for a, v in added.items()]
        removes = [name(a) for a in remove]
        clauses = [
            f"{verb} {', '.join(parts)}"
            for verb, parts in (("SET", sets), ("ADD", adds), ("REMOVE", removes))
            if parts
        ]
        extra: dict[str, Any] = {"ExpressionAttributeNames": names} if names else {}
        if condition is not None:
            extra["ConditionExpression"] = condition
        if expression_values:
            extra["ExpressionAttributeValues"] = expression_values
        try:
            with self._translated("UpdateItem", passthrough="ConditionalCheckFailedException"):
                response = self._client.update_item(
                    TableName=self.name,
                    Key={"pk": {"S": pk}, "sk": {"S": sk}},
                    UpdateExpression=" ".join(clauses),
                    ReturnValues="ALL_NEW" if whole_item else "UPDATED_NEW",
                    **extra,
                )
        except ClientError:
            return None
        return response.get("Attributes", {})

    def delete(
        self,
        pk: str,
        sk: str,
        *,
        condition: str | None = None,
        values: Mapping[str, AttributeValueTypeDef] | None = None,
    ) -> bool:
        """Delete the item; False when ``condition`` did not hold."""
        pk = self.scoped(pk)
        extra = _conditional(condition, values)
        try:
            with self._translated("DeleteItem", passthrough="ConditionalCheckFailedException"):
                self._client.delete_item(
                    TableName=self.name, Key={"pk": {"S": pk}, "sk": {"S": sk}}, **extra
                )
        except ClientError:
            return False
        return True

    def query(self, pk: str, *, now: float) -> list[Item]:
        """Every live item of the partition, following pagination."""
        pk = self.scoped(pk)
        items: list[Item] = []
        extra: dict[str, Any] = {}
        while True:
            with self._translated("Query"):
                page = self._client.query(
                    TableName=self.name,
                    KeyConditionExpression="pk = :pk",
                    ExpressionAttributeValues={":pk": {"S": pk}},
                    ConsistentRead=True,
                    **extra,
                )
            items.extend(item for item in page.get("Items", []) if is_live(item, now))
            last = page.get("LastEvaluatedKey")
            if not last:
                return items
            extra["ExclusiveStartKey"] = last

    def query_range(
        self,
        pk: str,
        *,
        now: float,
        after_sk: str | None = None,
        between: tuple[str, str] | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Item]:
        """Live items of the partition in sort-key order (``newest_first``: reversed), those
        with a sort key above ``after_sk`` or within ``between`` (both ends included) when
        given, at most ``limit`` of them."""
        items: list[Item] = []
        condition = "pk = :pk"
        values: dict[str, AttributeValueTypeDef] = {":pk": {"S": self.scoped(pk)}}
        if after_sk is not None:
            condition += " AND sk > :after"
            values[":after"] = {"S": after_sk}
        if between is not None:
            condition += " AND sk BETWEEN :low AND :high"
            values[":low"], values[":high"] = {"S": between[0]}, {"S": between[1]}
        extra: dict[str, Any] = {}
        while limit is None or len(items) < limit:
            if limit is not None:
                extra["Limit"] = limit - len(items)
            with self._translated("Query"):
                page = self._client.query(
                    TableName=self.name,
                    KeyConditionExpression=condition,
                    ExpressionAttributeValues=values,
                    ConsistentRead=True,
                    ScanIndexForward=not newest_first,
                    **extra,
                )
            items.extend(item for item in page.get("Items", []) if is_live(item, now))
            last = page.get("LastEvaluatedKey")
            if not last:
                break
            extra["ExclusiveStartKey"] = last
        return items

    def query_index(
        self,
        index: str,
        *,
        partition: tuple[str, str],
        sort_key: str,
        lowest: str,
        below: str,
        newest_first: bool,
        wanted: int,
        filter_expression: str | None = None,
        values: Mapping[str, AttributeValueTypeDef] | None = None,
        now: float,
    ) -> list[Item]:
        """Up to ``wanted`` live items of one partition of a global secondary index whose
        (string) sort key is at least ``lowest`` and below ``below``, in sort-key order
        (``newest_first``: reversed), those ``filter_expression`` keeps.

        A key condition takes one range, and BETWEEN's is closed: the key equal to ``below``
        is dropped here. Index reads are eventually consistent (DynamoDB has no other kind).
        """
        names = {"#p": partition[0], "#s": sort_key}
        expression_values: dict[str, AttributeValueTypeDef] = {
            ":p": {"S": partition[1]},
            ":lowest": {"S": lowest},
            ":below": {"S": below},
            **(values or {}),
        }
        extra: dict[str, Any] = {}
        if filter_expression:
            extra["FilterExpression"] = filter_expression
        items: list[Item] = []
        asked = 0
        while len(items) < wanted:
            # Items read, not items kept: the filter may drop some of them. A page it left
            # short asks for twice as many the next time (a day of sessions' heads past
            # their expiry may lie between the live ones: adapters/aws/session_head.py).
            asked = min(max(wanted - len(items) + 1, 2 * asked), _INDEX_PAGE)
            with self._translated("Query"):
                page = self._client.query(
                    TableName=self.name,
                    IndexName=index,
                    KeyConditionExpression="#p = :p AND #s BETWEEN :lowest AND :below",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=expression_values,
                    ScanIndexForward=not newest_first,
                    Limit=asked,
                    **extra,
                )
            for item in page.get("Items", []):
                if item[sort_key]["S"] < below and is_live(item, now) and len(items) < wanted:
                    items.append(item)
            last = page.get("LastEvaluatedKey")
            if not last:
                break
            extra["ExclusiveStartKey"] = last
        return items

    def scan_expired(self, pk_prefix: str, *, now: float) -> Iterator[Item]:
        """Keys of items under ``pk_prefix`` whose expiry has passed (a full-table scan), as
        the adapters name them (without the table's ``key_prefix``)."""
        extra: dict[str, Any] = {}
        cut = len(self.key_prefix)
        while True:
            with self._translated("Scan"):
                page = self._client.scan(
                    TableName=self.name,
                    FilterExpression="begins_with(pk, :prefix) AND expiry <= :now",
                    ExpressionAttributeValues={
                        ":prefix": {"S": self.scoped(pk_prefix)},
                        ":now": number(now),
                    },
                    ProjectionExpression="pk, sk",
                    **extra,
                )
            for item in page.get("Items", []):
                yield {**item, "pk": {"S": item["pk"]["S"][cut:]}} if cut else item
            last = page.get("LastEvaluatedKey")
            if not last:
                return
            extra["ExclusiveStartKey"] = last

    @contextmanager
    def _translated(self, operation: str, passthrough: str | None = None) -> Iterator[None]:
        try:
            yield
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
            if code == passthrough:
                raise
            raise StoreError(f"DynamoDB {operation} on table {self.name!r} failed: {code}") from exc
        except BotoCoreError as exc:
            # The class name says enough (EndpointConnectionError, NoCredentialsError, ...);
            # some botocore messages quote request details that do not belong in a log.
            raise StoreError(
                f"DynamoDB {operation} on table {self.name!r} failed: {type(exc).__name__}"
            ) from exc


def key_part(text: str) -> str:
    """Escape ``#`` (the key separator) so every (scope, collection) pair gets its own key."""
    return text.replace("%", "%25").replace("#", "%23")


def number(value: float) -> AttributeValueTypeDef:
    # repr() of a float round-trips exactly; DynamoDB keeps 38 significant digits.
    return {"N": repr(float(value))}


def expiry_attributes(expires_at: float | None) -> NewItem:
    if expires_at is None:
        return {}
    return {**ttl_attribute(expires_at), "expiry": number(expires_at)}


def ttl_attribute(expires_at: float) -> NewItem:
    """The TTL attribute alone: whole seconds, rounded up (TTL never deletes an item early).
    For items no read compares by their exact ``expiry``."""
    return {"expires_at": {"N": str(math.ceil(expires_at))}}


def is_live(item: Item, now: float) -> bool:
    """Before ``expiry``; an item with only ``expires_at`` (``whole_second_expiry``) before
    that; an item with neither lives forever."""
    expiry = item.get("expiry", item.get("expires_at"))
    return expiry is None or float(expiry["N"]) > now


def whole_second_expiry(expires_at: float) -> NewItem:
    """``expiry_attributes`` for an expiry on a whole second (an hour's end): ``expires_at``
    alone, which is then exact, and what ``is_live`` reads when there is no ``expiry``.
    Not for items that expressions compare by ``expiry`` (sessions' heads)."""
    if expires_at != math.ceil(expires_at):
        return expiry_attributes(expires_at)
    return ttl_attribute(expires_at)


def encode_payload(value: Any, *, compress_from: int = _COMPRESS_FROM) -> NewItem:
    """``value`` as JSON, compressed when it is at least ``compress_from`` bytes and that
    makes it smaller. Items written on every request (a journal event, an interaction, a
    session's state) pass 0: there every byte is billed, and they are deflated against the
    preset dictionary (``z1``), which halves what zlib alone writes of a few hundred bytes."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    raw = text.encode()
    if compress_from == 0:
        packed = _deflated(raw)
        if len(packed) < len(raw):
            return {"z1": {"B": packed}}
    elif len(raw) >= compress_from:
        packed = zlib.compress(raw, 6)
        if len(packed) < len(raw):
            return {"data_z": {"B": packed}}
    return {"data": {"S": text}}


def decode_payload(item: Item) -> Any:
    if "z1" in item:
        inflate = zlib.decompressobj(-zlib.MAX_WBITS, zdict=DICTIONARY_1)
        return json.loads(inflate.decompress(item["z1"]["B"]) + inflate.flush())
    if "data_z" in item:
        return json.loads(zlib.decompress(item["data_z"]["B"]))
    return json.loads(item["data"]["S"])


def has_payload(item: Item) -> bool:
    return any(name in item for name in PAYLOAD_ATTRIBUTES)


# Where ``encode_payload`` puts a payload: one of these, never two.
PAYLOAD_ATTRIBUTES = ("data", "data_z", "z1")


def _deflated(raw: bytes) -> bytes:
    """Raw deflate (no zlib header or checksum: 6 bytes less, and the JSON parse checks what
    is read) against ``DICTIONARY_1``."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 9, zdict=DICTIONARY_1)
    return deflate.compress(raw) + deflate.flush()


def item_size(item: Mapping[str, AttributeValueTypeDef]) -> int:
    """DynamoDB's item size: attribute names plus values (strings in UTF-8, binary raw)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        if "S" in value:
            size += len(value["S"].encode())
        elif "B" in value:
            size += len(value["B"])
        elif "N" in value:
            size += len(value["N"])
        else:
            size += 1
    return size


def _check_size(item: Mapping[str, AttributeValueTypeDef]) -> None:
    size = item_size(item)
    if size > ITEM_BUDGET:
        raise StoreError(
            f"item {item['pk'].get('S', '')!r} is {size} bytes; DynamoDB items are limited to "
            f"{ITEM_SIZE_LIMIT} bytes and mockmind keeps them under {ITEM_BUDGET}"
        )


def _numbers(values: Mapping[str, int]) -> NewItem:
    return {name: {"N": str(value)} for name, value in values.items()}


def _conditional(
    condition: str | None, values: Mapping[str, AttributeValueTypeDef] | None
) -> dict[str, Any]:
    """The ConditionExpression arguments of a write, or none."""
    extra: dict[str, Any] = {}
    if condition is not None:
        extra["ConditionExpression"] = condition
    if values:
        extra["ExpressionAttributeValues"] = dict(values)
    return extra
