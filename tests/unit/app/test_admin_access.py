"""The admin routes: a token when one is set; without one, this machine only, never on Lambda."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from mockmind.adapters.llm.secret import Secret
from mockmind.app.admin_access import AdminAccess
from mockmind.app.api import create_app
from mockmind.app.bootstrap import build
from mockmind.config import parse_config

CONFIG = "storage: {backend: memory}\n"
TOKEN = "adm-5f2c9e"


def _get(
    env: dict[str, str], path: str, headers: dict[str, str] | None = None, client: str = "127.0.0.1"
) -> httpx.Response:
    container = build(parse_config(CONFIG, env={}), env=env)

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(container), client=(client, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
            # A session to look at.
            await http.get("/things", headers={"X-Session-ID": "s-admin"})
            return await http.get(path, headers=headers or {})

    return asyncio.run(run())


SESSION = "/__mockmind/sessions/s-admin"


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": f"Bearer {TOKEN}"}, {"X-Mockmind-Admin-Token": TOKEN}],
    ids=["bearer", "header"],
)
def test_with_a_token_set_the_token_opens_the_routes_from_anywhere(headers: dict[str, str]) -> None:
    answer = _get({"MOCKMIND_ADMIN_TOKEN": TOKEN}, SESSION, headers, client="203.0.113.9")
    assert answer.status_code == 200
    assert answer.json()["id"] == "s-admin"


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "the admin routes need the admin token"),
        ({"Authorization": "Bearer nope"}, "the admin token sent is not this server's"),
        ({"Authorization": f"Basic {TOKEN}"}, "the admin routes need the admin token"),
        ({"X-Mockmind-Admin-Token": TOKEN + "x"}, "the admin token sent is not this server's"),
    ],
)
def test_with_a_token_set_a_request_without_it_is_401_even_from_this_machine(
    headers: dict[str, str], detail: str
) -> None:
    answer = _get({"MOCKMIND_ADMIN_TOKEN": TOKEN}, SESSION, headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer realm="mockmind admin"'
    assert answer.json()["detail"].startswith(detail)
    assert "s-admin" not in answer.text


def test_without_a_token_this_machine_is_let_in_and_others_are_not() -> None:
    assert _get({}, SESSION).status_code == 200
    assert _get({}, SESSION, client="::1").status_code == 200
    refused = _get({}, SESSION, client="192.0.2.7")
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "with no admin token set the admin routes answer only this machine (127.0.0.1, ::1); "
        "set MOCKMIND_ADMIN_TOKEN to reach them from elsewhere"
    )


def test_on_lambda_without_a_token_every_admin_request_is_refused() -> None:
    lambda_env = {"AWS_LAMBDA_FUNCTION_NAME": "mockmind"}
    refused = _get(lambda_env, SESSION)
    assert refused.status_code == 403
    assert "no admin token is configured" in refused.json()["detail"]
    opened = _get(
        {**lambda_env, "MOCKMIND_ADMIN_TOKEN": TOKEN}, SESSION, {"X-Mockmind-Admin-Token": TOKEN}
    )
    assert opened.status_code == 200


@pytest.mark.parametrize("path", ["/__mockmind/health", "/__mockmind/openapi.json"])
def test_health_and_the_document_stay_open(path: str) -> None:
    answer = _get({"AWS_LAMBDA_FUNCTION_NAME": "mockmind"}, path, client="192.0.2.7")
    assert answer.status_code == 200


def test_the_token_is_never_shown() -> None:
    access = AdminAccess(Secret(TOKEN), in_lambda=False)
    assert TOKEN not in repr(access)
    refusal = access.refusal({"authorization": "Bearer wrong"}, "127.0.0.1")
    assert refusal is not None
    assert TOKEN not in str(refusal)


def test_an_unparseable_client_address_is_not_this_machine() -> None:
    access = AdminAccess(None, in_lambda=False)
    assert access.refusal({}, None) is not None
    assert access.refusal({}, "localhost-ish") is not None
    assert access.refusal({}, "127.0.0.5") is None
