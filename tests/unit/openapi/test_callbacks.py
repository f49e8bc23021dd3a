"""Callbacks and webhooks read from a document, and planned after an answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mockmind.domain.callbacks.planning import CallbackPlanner, UnknownWebhook
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.http import MockRequest, MockResponse
from mockmind.openapi import OpenAPIDescription
from mockmind.openapi.callbacks import OpenAPICallbacks

EVENT = {
    "type": "object",
    "required": ["id", "kind", "at"],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "kind": {"enum": ["created", "deleted"]},
        "at": {"type": "string", "format": "date-time"},
    },
    "additionalProperties": False,
}
CALLBACK_KEY = "{$request.body#/callbackUrl}/{$request.path.topic}?sub={$response.body#/id}"
DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "hooks", "version": "1"},
    "paths": {
        "/subscriptions/{topic}": {
            "post": {
                "parameters": [
                    {"name": "topic", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["callbackUrl"],
                                "properties": {"callbackUrl": {"type": "string"}},
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "subscribed",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["id"],
                                    "properties": {"id": {"type": "integer", "minimum": 1}},
                                }
                            }
                        },
                    },
                    "400": {"description": "bad"},
                },
                "callbacks": {
                    "onEvent": {
                        CALLBACK_KEY: {
                            "post": {
                                "parameters": [
                                    {
                                        "name": "X-Hook-Signature",
                                        "in": "header",
                                        "schema": {"type": "string", "example": "sig-1"},
                                    }
                                ],
                                "requestBody": {"$ref": "#/components/requestBodies/Event"},
                                "responses": {"200": {"description": "ok"}},
                            }
                        }
                    },
                    "shared": {"$ref": "#/components/callbacks/Ping"},
                },
            }
        },
        "/plain": {"get": {"responses": {"200": {"description": "ok"}}}},
    },
    "webhooks": {
        "newPet": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Event"}}
                    }
                },
                "responses": {"200": {"description": "ok"}},
            }
        },
        "textual": {
            "put": {
                "requestBody": {
                    "content": {"text/plain": {"schema": {"type": "string", "minLength": 3}}}
                },
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
    "components": {
        "schemas": {"Event": EVENT},
        "requestBodies": {
            "Event": {
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Event"}}}
            }
        },
        "callbacks": {
            "Ping": {"$request.query.ping": {"put": {"responses": {"200": {"description": "ok"}}}}}
        },
    },
}


@pytest.fixture
def api(tmp_path: Path) -> OpenAPIDescription:
    path = tmp_path / "hooks.json"
    path.write_text(json.dumps(DOCUMENT))
    return OpenAPIDescription.load(path)


@pytest.fixture
def planner(api: OpenAPIDescription) -> CallbackPlanner:
    return CallbackPlanner(OpenAPICallbacks(api.document), OfflineGenerator(api.resolve_ref))


def _subscribe(api: OpenAPIDescription, body: dict[str, Any], query: str = "") -> Any:
    request = MockRequest(
        "POST",
        "/subscriptions/pets",
        query={"ping": [query]} if query else {},
        headers={"content-type": "application/json", "host": "mock.test"},
        body=json.dumps(body).encode(),
    )
    return api.route(request)


def test_the_catalogue_reads_callbacks_with_references_followed(api: OpenAPIDescription) -> None:
    found = OpenAPICallbacks(api.document).callbacks_of("post", "/subscriptions/{topic}")
    assert [(o.name, o.method, o.url_template, o.media_type, dict(o.headers)) for o in found] == [
        (
            "onEvent",
            "POST",
            CALLBACK_KEY,
            "application/json",
            {"X-Hook-Signature": "sig-1"},
        ),
        ("shared", "PUT", "$request.query.ping", None, {}),
    ]
    assert found[0].schema == {"$ref": "#/components/schemas/Event"}
    assert OpenAPICallbacks(api.document).callbacks_of("GET", "/plain") == ()
    assert OpenAPICallbacks(api.document).declares_callbacks() is True
    assert OpenAPICallbacks(api.document).callbacks_of("GET", "/nowhere") == ()


def test_a_document_without_callbacks_says_so(tmp_path: Path) -> None:
    without = {**DOCUMENT, "paths": {"/plain": DOCUMENT["paths"]["/plain"]}}
    path = tmp_path / "plain.json"
    path.write_text(json.dumps(without))
    catalogue = OpenAPICallbacks(OpenAPIDescription.load(path).document)
    assert catalogue.declares_callbacks() is False
    assert sorted(catalogue.webhooks()) == ["newPet", "textual"]


def test_an_answered_request_plans_each_callback(
    api: OpenAPIDescription, planner: CallbackPlanner
) -> None:
    routed = _subscribe(api, {"callbackUrl": "http://rx.test/hooks"}, query="https://rx.test/p")
    batch = planner.plan(routed, MockResponse(201, {"id": 7}), "s1", 50.0)
    assert batch is not None
    assert (batch.session_id, batch.scheduled_at, batch.refusals) == ("s1", 50.0, ())
    event, ping = batch.deliveries
    assert (event.kind, event.name, event.method, event.url, event.trigger) == (
        "callback",
        "onEvent",
        "POST",
        "http://rx.test/hooks/pets?sub=7",
        "POST /subscriptions/{topic}",
    )
    assert event.headers == {"X-Hook-Signature": "sig-1", "Content-Type": "application/json"}
    jsonschema.validate(json.loads(event.body), EVENT)
    assert (ping.method, ping.url, ping.body, dict(ping.headers)) == (
        "PUT",
        "https://rx.test/p",
        "",
        {},
    )
    again = planner.plan(routed, MockResponse(201, {"id": 7}), "s1", 99.0)
    assert again is not None
    assert again.deliveries[0].body == event.body


def test_a_callback_url_that_is_not_http_or_names_nothing_is_refused_with_its_reason(
    api: OpenAPIDescription, planner: CallbackPlanner
) -> None:
    routed = _subscribe(api, {"callbackUrl": "file:///etc/passwd"})
    batch = planner.plan(routed, MockResponse(201, {"id": 7}), "s1", 50.0)
    assert batch is not None
    assert batch.deliveries == ()
    assert [(r.name, r.target, r.reason) for r in batch.refusals] == [
        (
            "onEvent",
            "file:///etc/passwd/pets?sub=7",
            "'file:///etc/passwd/pets?sub=7' has scheme 'file': "
            "only http and https URLs are called",
        ),
        (
            "shared",
            "$request.query.ping",
            "$request.query.ping: the request has no query parameter 'ping'",
        ),
    ]


def test_only_a_success_triggers_callbacks(
    api: OpenAPIDescription, planner: CallbackPlanner
) -> None:
    routed = _subscribe(api, {"callbackUrl": "http://rx.test/hooks"})
    assert planner.plan(routed, MockResponse(400, {"detail": "no"}), "s1", 50.0) is None


def test_allowed_hosts_restrict_where_deliveries_go(api: OpenAPIDescription) -> None:
    planner = CallbackPlanner(
        OpenAPICallbacks(api.document),
        OfflineGenerator(api.resolve_ref),
        allowed_hosts=["*.allowed.test"],
    )
    routed = _subscribe(
        api, {"callbackUrl": "http://rx.test/hooks"}, query="http://a.allowed.test/"
    )
    batch = planner.plan(routed, MockResponse(201, {"id": 7}), None, 50.0)
    assert batch is not None
    assert [d.url for d in batch.deliveries] == ["http://a.allowed.test/"]
    assert [r.reason for r in batch.refusals] == [
        "host 'rx.test' is not in callbacks.allowed_hosts (*.allowed.test)"
    ]


def test_webhooks_are_listed_and_fired_by_name(planner: CallbackPlanner) -> None:
    assert planner.webhook_names() == ["newPet", "textual"]
    batch = planner.webhook("newPet", ["http://a.test/in", "http://b.test/in"], "s1", 5.0)
    assert [(d.kind, d.name, d.method, d.url, d.trigger) for d in batch.deliveries] == [
        ("webhook", "newPet", "POST", "http://a.test/in", "admin"),
        ("webhook", "newPet", "POST", "http://b.test/in", "admin"),
    ]
    for delivery in batch.deliveries:
        jsonschema.validate(json.loads(delivery.body), EVENT)
    (text,) = planner.webhook("textual", ["http://a.test/t"], None, 5.0).deliveries
    assert text.method == "PUT"
    assert text.headers == {"Content-Type": "text/plain"}
    assert isinstance(text.body, str)
    assert len(text.body) >= 3
    assert not text.body.startswith('"')


def test_an_unknown_webhook_names_the_known_ones(planner: CallbackPlanner) -> None:
    with pytest.raises(UnknownWebhook) as raised:
        planner.webhook("nope", ["http://a.test/"], None, 0.0)
    assert raised.value.status == 404
    assert raised.value.detail == "no webhook 'nope' (webhooks: newPet, textual)"
