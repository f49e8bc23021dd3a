"""`/__mockmind/behaviour`, `/__mockmind/rules/evaluate` and the UI's files, on the shop example
in process: exact answers, problem documents, the admin token, and the package data."""

from __future__ import annotations

import fnmatch
import tomllib

import pytest

from mockmind.app.api import MockmindApp, create_app
from mockmind.app.bootstrap import build
from mockmind.config import load_config
from tests.support.in_process import send
from tests.support.paths import EXAMPLES, ROOT

TOKEN = "designer-test-token"
ADMIN = {"X-Mockmind-Admin-Token": TOKEN}
SESSION = "designer-session"
COOKIE = {"Cookie": f"mockforge_session={SESSION}"}
UI_FOLDER = ROOT / "src" / "mockmind" / "app" / "ui"


@pytest.fixture(scope="module")
def app() -> MockmindApp:
    env = {"MOCKMIND_ADMIN_TOKEN": TOKEN}
    made = create_app(build(load_config(EXAMPLES / "shop" / "mockmind.yaml", env), env=env))
    added = send(
        made, "POST", "/cart/items", json={"product_id": "p-1", "quantity": 2}, headers=COOKIE
    )
    assert added.status_code == 201
    order = send(made, "POST", "/orders", json={}, headers=COOKIE)
    assert order.status_code == 201
    paid = send(made, "POST", f"/orders/{order.json()['id']}/pay", headers=COOKIE)
    assert paid.status_code == 200
    return made


def _order_id(app: MockmindApp) -> str:
    world = send(app, "GET", f"/__mockmind/sessions/{SESSION}/at/3", headers=ADMIN).json()
    (order,) = world["entities"]["orders"]
    return str(order)


def test_behaviour_describes_the_shops_machine_and_rules(app: MockmindApp) -> None:
    answer = send(app, "GET", "/__mockmind/behaviour", headers=ADMIN)
    assert answer.status_code == 200
    assert answer.json() == {
        "machines": [
            {
                "name": "order_lifecycle",
                "resource": "orders",
                "field": "status",
                "initial": "placed",
                "states": ["placed", "paid", "shipped", "delivered", "cancelled"],
                "transitions": [
                    {
                        "from": ["placed"],
                        "to": "paid",
                        "trigger": "POST /orders/{orderId}/pay",
                        "guard": None,
                        "sets": {"paid_at": "now()"},
                    },
                    {
                        "from": ["paid"],
                        "to": "shipped",
                        "trigger": "POST /orders/{orderId}/ship",
                        "guard": None,
                        "sets": {},
                    },
                    {
                        "from": ["placed", "paid"],
                        "to": "cancelled",
                        "trigger": "POST /orders/{orderId}/cancel",
                        "guard": None,
                        "sets": {},
                    },
                ],
                "positions": {},
            }
        ],
        "rules": [
            {
                "name": "teapot",
                "condition": "path == '/products' and query.category == 'teapots'",
                "priority": 10,
                "action": "respond",
            },
            {
                "name": "admin_needs_login",
                "condition": "path starts_with '/admin'",
                "priority": 0,
                "action": "require_auth",
            },
            {
                "name": "big_orders_are_slow",
                "condition": "path matches '/orders/*/pay'",
                "priority": 0,
                "action": "delay",
            },
        ],
    }


def test_behaviour_with_a_session_places_its_entities(app: MockmindApp) -> None:
    answer = send(
        app, "GET", "/__mockmind/behaviour", params={"session_id": SESSION}, headers=ADMIN
    )
    (machine,) = answer.json()["machines"]
    assert machine["positions"] == {_order_id(app): "paid"}
    missing = send(
        app, "GET", "/__mockmind/behaviour", params={"session_id": "nobody"}, headers=ADMIN
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json() == {
        "status": 404,
        "title": "Not Found",
        "detail": "no live session 'nobody'",
    }


def test_a_condition_is_evaluated_on_a_recorded_request(app: MockmindApp) -> None:
    order = _order_id(app)
    answer = send(
        app,
        "POST",
        "/__mockmind/rules/evaluate",
        json={"expression": "entity.status == 'placed'", "session_id": SESSION, "step": 3},
        headers=ADMIN,
    )
    assert answer.status_code == 200
    found = answer.json()
    assert found["value"] is True
    assert found["why"] == "entity.status == 'placed' is true (entity.status is \"placed\")"
    assert (found["ok"], found["language"], found["session_id"], found["step"]) == (
        True,
        "condition",
        SESSION,
        3,
    )
    assert found["request"]["method"] == "POST"
    assert found["request"]["path"] == f"/orders/{order}/pay"
    assert found["request"]["headers"]["cookie"] == "***"
    assert found["request"]["entity"] == {"collection": "orders", "id": order}
    assert found["rules"] == [
        {
            "name": "teapot",
            "fires": False,
            "why": f"path == '/products' is false (path is \"/orders/{order}/pay\")",
            "recorded": False,
        },
        {
            "name": "admin_needs_login",
            "fires": False,
            "why": f"path starts_with '/admin' is false (path is \"/orders/{order}/pay\")",
            "recorded": False,
        },
        {
            "name": "big_orders_are_slow",
            "fires": True,
            "why": f"path matches '/orders/*/pay' is true (path is \"/orders/{order}/pay\")",
            "recorded": True,
        },
    ]


def test_an_expression_is_evaluated_on_the_request_body(app: MockmindApp) -> None:
    answer = send(
        app,
        "POST",
        "/__mockmind/rules/evaluate",
        json={
            "expression": "quantity * 10 + count(cart_items)",
            "language": "expression",
            "session_id": SESSION,
            "step": 1,
        },
        headers=ADMIN,
    )
    assert answer.status_code == 200
    assert answer.json()["value"] == 20
    assert answer.json()["why"] == "quantity * 10 + count(cart_items) is 20"


def test_a_text_that_does_not_parse_is_a_problem_with_its_line_and_column(
    app: MockmindApp,
) -> None:
    answer = send(
        app,
        "POST",
        "/__mockmind/rules/evaluate",
        # Parsed before the session is looked up: the playground shows it as it is typed.
        json={"expression": "method == 'GET' and\n  path ==", "session_id": "x", "step": 1},
        headers=ADMIN,
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert (problem["line"], problem["column"]) == (2, 10)
    assert problem["reason"].startswith("the condition ends too early; expected ")
    assert (
        problem["detail"] == f"the condition does not parse: line 2, column 10: {problem['reason']}"
    )


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"expression": "method == 'GET'", "session_id": SESSION, "step": 9}, 404),
        ({"expression": "method == 'GET'", "session_id": "nobody", "step": 1}, 404),
        ({"expression": "method == 'GET'", "session_id": SESSION, "step": 0}, 400),
        ({"expression": "method == 'GET'", "session_id": SESSION}, 400),
        ({"expression": "x", "session_id": SESSION, "step": 1, "language": "sql"}, 400),
        # Deeper than lark's tree transform can recurse: refused, not a server error.
        (
            {
                "expression": "(" * 1990 + "1" + ")" * 1990,
                "language": "expression",
                "session_id": SESSION,
                "step": 1,
            },
            400,
        ),
        ({"expression": "(" * 3000 + "true" + ")" * 990, "session_id": SESSION, "step": 1}, 400),
    ],
)
def test_a_bad_evaluation_is_a_problem(
    app: MockmindApp, body: dict[str, object], status: int
) -> None:
    answer = send(app, "POST", "/__mockmind/rules/evaluate", json=body, headers=ADMIN)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"


def test_the_designer_routes_want_the_admin_token(app: MockmindApp) -> None:
    assert send(app, "GET", "/__mockmind/behaviour").status_code == 401
    refused = send(
        app,
        "POST",
        "/__mockmind/rules/evaluate",
        json={"expression": "true", "session_id": SESSION, "step": 1},
    )
    assert refused.status_code == 401


def test_the_ui_is_served_without_the_token_from_the_package(app: MockmindApp) -> None:
    root = send(app, "GET", "/__mockmind/ui")
    assert (root.status_code, root.headers["location"]) == (307, "ui/")
    page = send(app, "GET", "/__mockmind/ui/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.content == (UI_FOLDER / "index.html").read_bytes()
    assert "default-src 'self'" in page.headers["content-security-policy"]
    script = send(app, "GET", "/__mockmind/ui/app.js")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.content == (UI_FOLDER / "app.js").read_bytes()
    for name in ("nothing.js", "..%2Fadmin.py", "admin.py"):
        missing = send(app, "GET", f"/__mockmind/ui/{name}")
        assert missing.status_code == 404, name
        assert missing.headers["content-type"] == "application/problem+json"


def test_the_ui_loads_nothing_from_elsewhere() -> None:
    for path in UI_FOLDER.iterdir():
        text = path.read_text()
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", ""), path.name
        assert "https://" not in text, path.name
        assert "//cdn" not in text, path.name


def test_every_ui_file_is_package_data_of_the_wheel() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["mockmind"]
    files = sorted(p.relative_to(ROOT / "src" / "mockmind").as_posix() for p in UI_FOLDER.iterdir())
    assert files == [
        "app/ui/api.js",
        "app/ui/app.js",
        "app/ui/behaviour.js",
        "app/ui/charts.js",
        "app/ui/dom.js",
        "app/ui/index.html",
        "app/ui/playground.js",
        "app/ui/prompts.js",
        "app/ui/sessions.js",
        "app/ui/style.css",
    ]
    assert [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)] == []
