"""DynamoTable.get_many: the keys BatchGetItem leaves unprocessed are asked again, a hundred
keys a call at most, and a table that never processes them is a StoreError, not a loop."""

from __future__ import annotations

from typing import Any

import pytest

from mockmind.adapters.aws import table as table_module
from mockmind.adapters.aws.table import DynamoTable
from mockmind.domain.errors import StoreError


class _Client:
    """Answers each BatchGetItem with at most ``served`` of the keys asked, the rest left
    unprocessed, as DynamoDB does when it throttles or reaches 16 MB."""

    def __init__(self, served: int) -> None:
        self.served = served
        self.asked: list[list[str]] = []

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        ((name, request),) = RequestItems.items()
        assert request["ConsistentRead"] is True
        keys = request["Keys"]
        self.asked.append([key["sk"]["S"] for key in keys])
        served, left = keys[: self.served], keys[self.served :]
        items = [
            {**key, "data": {"S": key["sk"]["S"]}} for key in served if key["sk"]["S"] != "gone"
        ]
        answer: dict[str, Any] = {"Responses": {name: items}}
        if left:
            answer["UnprocessedKeys"] = {name: {"Keys": left}}
        return answer


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_module, "_BATCH_BACKOFF", 0.0)


def test_keys_left_unprocessed_are_asked_again_until_all_are_read() -> None:
    client = _Client(served=2)
    table = DynamoTable(client, "t", key_prefix="TENANT#a#")  # type: ignore[arg-type]
    found = table.get_many("SESSION#s", ["k3", "k1", "gone", "k2", "k1"])
    assert sorted(found) == ["k1", "k2", "k3"]
    assert found["k2"]["pk"] == {"S": "TENANT#a#SESSION#s"}
    assert client.asked == [["gone", "k1", "k2", "k3"], ["k2", "k3"]]


def test_a_hundred_keys_a_call() -> None:
    client = _Client(served=100)
    keys = [f"k{n:03d}" for n in range(250)]
    assert len(DynamoTable(client, "t").get_many("P", keys)) == 250  # type: ignore[arg-type]
    assert [len(asked) for asked in client.asked] == [100, 100, 50]


def test_keys_never_processed_are_a_store_error() -> None:
    client = _Client(served=0)
    with pytest.raises(StoreError, match=r"left 1 keys unprocessed 5 times in a row"):
        DynamoTable(client, "t").get_many("P", ["k"])  # type: ignore[arg-type]
    assert len(client.asked) == 5
