"""Fault injection as a client sees it: the connection fails mid-answer, or an error status."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.mockmind_server import start_server, stop_server

CONFIG = """
intelligent_behavior:
  behavior_model:
    rules:
      consistency_rules:
        - {name: cut, condition: "path starts_with '/cut'", action: {type: fault, kind: truncate}}
        - {name: drop, condition: "path starts_with '/drop'", action: {type: fault, kind: drop}}
        - name: boom
          condition: "path starts_with '/boom'"
          action: {type: fault, status: 503, probability: 1, message: "down for a bit"}
        - name: never
          condition: "path starts_with '/never'"
          action: {type: fault, status: 500, probability: 0}
"""


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config: Path = tmp_path_factory.mktemp("faults") / "mockmind.yaml"
    config.write_text(CONFIG)
    process, base = start_server(config)
    try:
        yield base
    finally:
        stop_server(process)


@pytest.mark.parametrize("path", ["/cut/1", "/drop/1"])
def test_truncated_and_dropped_bodies_break_the_read(url: str, path: str) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(url + path, timeout=5)


def test_status_fault_answers_the_error(url: str) -> None:
    response = httpx.get(url + "/boom/1", timeout=5)
    assert response.status_code == 503
    assert response.json()["detail"] == "down for a bit"
    assert response.headers["x-mockmind-source"] == "rule"


def test_a_fault_that_does_not_fire_leaves_the_answer_alone(url: str) -> None:
    client = httpx.Client(base_url=url, timeout=5)  # its cookie jar keeps the session
    response = client.get("/never/1")
    assert response.status_code == 200
    # A path without a schema is a collection of generic resources: item 1, made now by the
    # offline generator and kept from now on.
    assert response.headers["x-mockmind-source"] == "offline"
    body = response.json()
    assert body["id"] == "1"
    assert {"id", "name", "created_at"} <= set(body) <= {"id", "name", "description", "created_at"}
    again = client.get("/never/1")
    client.close()
    assert (again.headers["x-mockmind-source"], again.json()) == ("store", body)
