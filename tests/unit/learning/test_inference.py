"""Resources, state machines and the login, from small recordings made in the test."""

from __future__ import annotations

import dataclasses

from mockmind.learning.exchanges import Exchange
from mockmind.learning.learner import api_exchanges, learn
from mockmind.learning.login import infer_login
from mockmind.learning.resources import infer_resources
from mockmind.learning.state_machines import infer_machines
from mockmind.learning.traffic import Traffic
from tests.unit.learning.factory import exchange


def _ticket(ticket_id: str, state: str, **extra: object) -> dict[str, object]:
    return {"id": ticket_id, "state": state, "title": "Printer jam", **extra}


def _tickets() -> Traffic:
    return Traffic.of(
        [
            exchange("POST", "/tickets", 201, _ticket("t_101", "open"), body={"title": "x"}),
            exchange("POST", "/tickets/t_101/assign", 200, _ticket("t_101", "assigned")),
            exchange("POST", "/tickets", 201, _ticket("t_102", "open"), body={"title": "y"}),
            # The move's answer has no body: the next read shows it.
            exchange("POST", "/tickets/t_102/close", 204),
            exchange("GET", "/tickets/t_102", 200, _ticket("t_102", "closed")),
            exchange(
                "POST",
                "/tickets/t_101/close",
                200,
                _ticket("t_101", "closed", closed_at="2026-12-03T07:00:00Z"),
            ),
            exchange("POST", "/tickets/t_101/close", 409, {"title": "Conflict"}),
            exchange("GET", "/tickets", 200, [_ticket("t_101", "closed")]),
        ]
    )


def test_a_post_whose_id_comes_back_in_the_item_path_is_a_collection() -> None:
    (tickets,) = infer_resources(_tickets())
    assert (tickets.name, tickets.path, tickets.item_path, tickets.id_field) == (
        "tickets",
        "/tickets",
        "/tickets/{ticketId}",
        "id",
    )
    assert tickets.created_by_post
    assert tickets.seed == ()


def test_moves_of_an_enum_like_field_make_a_machine_with_their_triggers() -> None:
    traffic = _tickets()
    findings = infer_machines(traffic, infer_resources(traffic))
    (machine,) = findings.machines
    assert (machine.name, machine.resource, machine.field, machine.initial) == (
        "ticket_lifecycle",
        "tickets",
        "state",
        "open",
    )
    assert machine.states == ("open", "assigned", "closed")
    assert [(t.from_states, t.to, t.on, t.set, t.seen) for t in machine.transitions] == [
        (("open",), "assigned", "POST /tickets/{ticketId}/assign", {}, 1),
        (("open", "assigned"), "closed", "POST /tickets/{ticketId}/close", {}, 2),
    ]
    assert findings.ambiguities == []


def test_a_move_with_no_recorded_cause_is_left_out_and_reported() -> None:
    traffic = Traffic.of(
        [
            exchange("POST", "/jobs", 201, {"id": "j_1", "phase": "queued"}),
            exchange("GET", "/jobs/j_1", 200, {"id": "j_1", "phase": "running"}),
            exchange("POST", "/jobs/j_1/stop", 200, {"id": "j_1", "phase": "stopped"}),
        ]
    )
    findings = infer_machines(traffic, infer_resources(traffic))
    (machine,) = findings.machines
    assert [(t.from_states, t.to) for t in machine.transitions] == [(("running",), "stopped")]
    assert findings.ambiguities == [
        "jobs j_1: phase went from 'queued' to 'running' with no recorded write to it in "
        "between; that move is left out"
    ]


def test_a_listed_catalogue_whose_ids_are_read_is_seeded() -> None:
    listed = [{"sku": "SKU-1", "name": "Mug"}, {"sku": "SKU-2", "name": "Pot"}]
    traffic = Traffic.of(
        [
            exchange("GET", "/products", 200, listed),
            exchange("GET", "/products/SKU-2", 200, listed[1]),
        ]
    )
    (products,) = infer_resources(traffic)
    assert (products.id_field, products.created_by_post) == ("sku", False)
    assert products.seed == tuple(listed)


def test_a_masked_login_is_told_by_later_authorization_headers() -> None:
    recorded = [
        exchange("GET", "/me", 401, {"title": "Unauthorized"}),
        exchange(
            "POST",
            "/auth/sessions",
            201,
            {"access_token": "abc", "token_type": "Bearer"},
            body={"email": "ada@example.com", "secret": "pw"},
        ),
        exchange("GET", "/me", 200, {"name": "Ada"}, headers={"Authorization": "Bearer ***"}),
        exchange("POST", "/auth/signout", 204),
    ]
    # Recorded masked: the answer's token is *** before the learner sees it.
    assert recorded[1].response_body == {"access_token": "***", "token_type": "Bearer"}
    login = infer_login(Traffic.of(recorded))
    assert (login.login, login.logout, login.token_field) == (
        "POST /auth/sessions",
        "POST /auth/signout",
        "access_token",
    )
    assert (login.username_field, login.password_field) == ("email", "secret")
    assert login.protected == ["/me"]
    assert login.evidence.startswith("its answer's token was masked")


def test_a_token_in_the_clear_is_confirmed_by_its_digest_and_none_without_evidence() -> None:
    clear = [
        exchange("POST", "/login", 200, {"token": "t-123456"}, body={"username": "a"}),
        exchange("GET", "/x", 200, {"a": 1}, headers={"authorization": "Bearer t-123456"}),
    ]
    assert infer_login(Traffic.of(clear)).evidence == "its token was sent back in Authorization"
    unused = [exchange("POST", "/login", 200, {"token": "t-1"}), exchange("GET", "/x", 200, {})]
    found = infer_login(Traffic.of(unused))
    assert (found.login, found.logout, found.protected) == (None, None, [])


def test_the_document_takes_request_bodies_from_accepted_requests_only() -> None:
    recorded = [
        exchange("POST", "/login", 422, {"title": "Unprocessable"}, body={}),
        exchange("POST", "/login", 200, {"ok": True}, body={"username": "a", "password": "b"}),
        exchange("GET", "/items", 200, [], query={"limit": ["5"], "q": ["mug"]}),
        exchange("GET", "/items", 400, {"title": "Bad"}, query={"limit": ["x"]}),
    ]
    document = learn(recorded).document
    login = document["paths"]["/login"]["post"]
    schema = login["requestBody"]["content"]["application/json"]["schema"]
    assert login["requestBody"]["required"] is True
    assert schema["required"] == ["password", "username"]
    assert sorted(login["responses"]) == ["200", "422"]
    items = document["paths"]["/items"]["get"]
    assert items["parameters"] == [
        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
        {"name": "q", "in": "query", "schema": {"type": "string"}},
    ]
    assert items["responses"]["200"]["content"]["application/json"]["examples"] == {
        "recorded": {"value": []}
    }


def test_a_browsers_other_hosts_assets_and_preflights_are_left_out() -> None:
    def at(host: str | None, e: Exchange) -> Exchange:
        return dataclasses.replace(e, host=host)

    api = at("api.example.com", exchange("GET", "/items", 200, []))
    recorded = [
        at("cdn.example.net", exchange("GET", "/lib.json", 200, {})),
        api,
        at("api.example.com", exchange("GET", "/app.js", 200, "x()", headers={})),
        at(
            "api.example.com",
            exchange("OPTIONS", "/items", 204, headers={"Access-Control-Request-Method": "GET"}),
        ),
        exchange("GET", "/__mockmind/health", 200, {"status": "ok"}),
        # The browser's favicon, which the API answers with a JSON 404: asked for as an image.
        exchange(
            "GET",
            "/favicon.ico",
            404,
            {"title": "Not Found"},
            headers={"Accept": "image/avif,image/webp,image/*,*/*;q=0.8"},
        ),
        # A tab reading the API (text/html first) is the API's, as fetch's */* is.
        at(
            "api.example.com",
            exchange("GET", "/items", 200, [], headers={"Accept": "text/html,*/*"}),
        ),
    ]
    recorded[2] = dataclasses.replace(
        recorded[2], response_headers={"content-type": "application/javascript"}
    )
    kept, skipped = api_exchanges(recorded)
    assert kept == [api, recorded[-1]]
    assert skipped == {
        "exchange(s) with other hosts than api.example.com": 1,
        "asset(s) (pages, scripts, styles, images, fonts)": 2,
        "CORS preflight(s)": 1,
        "request(s) to mockmind's admin routes": 1,
    }


def test_a_nested_create_moves_its_parent_and_its_answer_is_not_the_parent() -> None:
    app = {"id": "app_1", "status": "applied"}
    recorded = [
        exchange("POST", "/applications", 201, app, body={"name": "Grace"}),
        exchange("POST", "/applications/app_1/documents", 201, {"id": "doc_9", "name": "cv"}),
        exchange("GET", "/applications/app_1", 200, {**app, "status": "uploaded"}),
    ]
    learned = learn(recorded)
    (machine,) = learned.summary.machines
    assert [(t.from_states, t.to, t.on) for t in machine.transitions] == [
        (("applied",), "uploaded", "POST /applications/{applicationId}/documents")
    ]
    paths = learned.document["paths"]
    created = paths["/applications/{applicationId}/documents"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"]["properties"] == {
        "id": {"type": "string"},
        "name": {"type": "string"},
    }
    read = paths["/applications/{applicationId}"]["get"]["responses"]["200"]
    assert read["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Application"
    }
    assert learned.document["components"]["schemas"]["Application"] == {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "status": {"type": "string", "enum": ["applied", "uploaded"]},
        },
        "required": ["id", "status"],
    }
