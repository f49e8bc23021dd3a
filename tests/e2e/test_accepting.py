"""Issue 15 over HTTP: requests real clients send that mockmind refused or answered 500, and
operations that document no final status (tests/fixtures/openapi/accepting-3.1.yaml)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.mockmind_server import start_server, stop_server

DOCUMENT = Path(__file__).resolve().parents[1] / "fixtures" / "openapi" / "accepting-3.1.yaml"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    if os.environ.get("MOCKMIND_URL"):
        pytest.skip("the deployed server serves the shop; this document runs locally only")
    config = tmp_path_factory.mktemp("accepting") / "mockmind.yaml"
    config.write_text(f"openapi: {DOCUMENT}\n", encoding="utf-8")
    process, url = start_server(config)
    try:
        with httpx.Client(base_url=url, headers={"X-Session-ID": "accepting"}) as client:
            yield client
    finally:
        stop_server(process)


def test_an_operation_without_responses_answers_an_empty_200(client: httpx.Client) -> None:
    answer = client.post("/silent", json={"anything": 1})
    assert (answer.status_code, answer.content) == (200, b"")
    assert "content-type" not in answer.headers


def test_a_1xx_is_never_the_final_answer(client: httpx.Client) -> None:
    only_interim = client.get("/interim")
    assert (only_interim.status_code, only_interim.content) == (200, b"")
    assert client.get("/interim-then-final").status_code == 204


def test_a_patch_without_a_body_answers_the_entity_unchanged(client: httpx.Client) -> None:
    created = client.post("/notes", json={"title": "first", "author": None})
    assert created.status_code == 201
    note = created.json()
    assert note["author"] is None  # nullable in a 3.1 document
    patched = client.patch(f"/notes/{note['id']}")
    assert (patched.status_code, patched.json()) == (200, note)
    assert client.get(f"/notes/{note['id']}").json() == note


def test_a_media_type_with_a_null_schema_takes_any_body(client: httpx.Client) -> None:
    assert client.post("/anything-goes", json=[1, {"a": None}]).status_code == 204


def test_an_empty_multipart_form_is_accepted(client: httpx.Client) -> None:
    answer = client.post(
        "/uploads",
        content=b"--26b2--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=26b2"},
    )
    assert answer.status_code == 204


def test_values_the_standards_allow_are_accepted(client: httpx.Client) -> None:
    body = {
        "at": "16:39:57-08:00",
        "host": "Bücher.example",
        "email": "😍\x1d@hȺ",
        "v4": 19,
        "id": "9c9de5e8-0a1e-484a-b099-e80766180a6d",
        "connector": {"gcs_prefix": "p"},
    }
    assert client.post("/checked", json=body).status_code == 204
    styled = client.get(
        "/styled",
        params=[("shape", "name"), ("shape", "description"), ("meta", "*")],
        headers={
            "x-pair": "name=a,b,description=",
            "lines": "{'name': 'a'}",
            "Cookie": "crumb=name=",
        },
    )
    assert styled.status_code == 204


def test_what_the_document_forbids_is_still_refused(client: httpx.Client) -> None:
    answer = client.post("/checked", json={"v4": 20})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {
            "location": "body.v4",
            "message": "20 is greater than or equal to the maximum of 20",
            "keyword": "maximum",
        }
    ]


def test_an_accept_value_the_document_lists_is_answered(client: httpx.Client) -> None:
    answer = client.post("/stream", headers={"Accept": "text/event-stream"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert client.post("/stream", headers={"Accept": "text/csv"}).status_code == 406
