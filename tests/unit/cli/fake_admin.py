"""The admin routes as the contract of issue 16 describes them, in memory, behind an
``httpx.MockTransport``: what the CLI's unit tests talk to.

Its answers are built from the constants below, so the tests can say exactly what a command
prints. It keeps what the commands change (delete, reset, fork, import) and records every
request it was sent.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import httpx

# 2026-12-03 07:23:08 UTC
NOW = 1796282588.0
HOUR = 3600.0
SESSION = "fVZuMmPtq1xw2K0aJm3nB4c5D6e7F8g9H0i1J2k3L4m"
OTHER = "Qz9yX8wV7uT6sR5qP4oN3mL2kJ1iH0gF9eD8cB7aZ6y"
FORKED = "newForkId0newForkId0newForkId0newForkId0abc"
IMPORTED = "importedId0importedId0importedId0importedI0"
TOKEN = "s3cret-admin-token"

PRODUCT = {"id": "product_88b5659d90c1", "name": "Enamel mug", "price": 12.5}
ITEM = {"id": "cart_item_0256551118b2", "product_id": "product_88b5659d90c1", "quantity": 2}


def summary(session_id: str, requests: int, *, authenticated: bool, age: float) -> dict[str, Any]:
    return {
        "id": session_id,
        "created_at": NOW - age - 60,
        "last_seen": NOW - age,
        "expires_at": NOW - age + HOUR,
        "requests": requests,
        "authenticated": authenticated,
    }


def detail() -> dict[str, Any]:
    return {
        "id": SESSION,
        "created_at": NOW - 60,
        "last_seen": NOW,
        "expires_at": NOW + HOUR,
        "version": 3,
        "authenticated": True,
        "state": {"username": {"value": "ada", "updated_at": NOW - 30}},
        "history": [
            {
                "at": NOW - 60,
                "method": "GET",
                "path": "/products",
                "query": "limit=1",
                "status": 200,
                "request_body": None,
                "response_body": [PRODUCT],
                "source": "store",
            },
            {
                "at": NOW - 30,
                "method": "POST",
                "path": "/login",
                "query": "",
                "status": 200,
                "request_body": '{"username":"ada","password":"***"}',
                "response_body": {"token": "***"},
                "source": "rule",
            },
            {
                "at": NOW,
                "method": "POST",
                "path": "/cart/items",
                "query": "",
                "status": 201,
                "request_body": None,
                "response_body": ITEM,
                "source": "store",
            },
        ],
    }


def world(step: int) -> dict[str, Any]:
    entities: dict[str, Any] = {"products": {PRODUCT["id"]: PRODUCT}}
    if step >= 3:
        entities["cart_items"] = {ITEM["id"]: ITEM}
    return {
        "session_id": SESSION,
        "step": step,
        "entities": entities,
        "state": {"username": "ada"} if step >= 2 else {},
    }


def fixture() -> dict[str, Any]:
    body = {
        "format": "mockmind-session/1",
        "session": {"id": SESSION, "state": {"username": "ada"}},
        "entities": world(3)["entities"],
        "journal": [{"seq": 1}, {"seq": 2}, {"seq": 3}],
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return {**body, "digest": f"sha256:{digest}"}


def replay_report(*, differ: bool) -> dict[str, Any]:
    third: dict[str, Any] = {
        "step": 3,
        "method": "POST",
        "path": "/cart/items",
        "recorded_status": 201,
        "status": 201,
        "same": True,
        "differences": [],
    }
    if differ:
        third = {
            **third,
            "status": 409,
            "same": False,
            "differences": [
                {"path": "$.status", "recorded": 201, "now": 409},
                {"path": "$.body.quantity", "recorded": 2, "now": None},
            ],
        }
    steps = [
        {
            "step": 1,
            "method": "GET",
            "path": "/products?limit=1",
            "recorded_status": 200,
            "status": 200,
            "same": True,
            "differences": [],
        },
        {
            "step": 2,
            "method": "POST",
            "path": "/login",
            "recorded_status": 200,
            "status": 200,
            "same": True,
            "differences": [],
        },
        third,
    ]
    return {
        "session_id": SESSION,
        "scratch_session_id": "scratch0scratch0scratch0scratch0scratch0scr",
        "steps": steps,
        "summary": {"steps": 3, "same": 2 if differ else 3, "differ": 1 if differ else 0},
    }


def counters(requests: int, hits: int, errors: dict[str, int]) -> dict[str, Any]:
    return {
        "requests": requests,
        "cache_hits": hits,
        "cache_hit_rate": hits / requests if requests else None,
        "llm_calls": 2 * requests // 5,
        "tokens": 150 * requests,
        "cost_usd": 0.0004 * requests,
        "errors_by_source": errors,
    }


def quotas() -> dict[str, Any]:
    """Today's quotas as a server with both configured answers them: the requests used up."""
    return {
        "day": "2026-12-03",
        "resets_at": "2026-12-04T00:00:00Z",
        "requests_per_day": {
            "limit": 10,
            "used": 10,
            "refused": 4,
            "used_up": True,
            "past_limit": "refuse",
        },
        "llm_budget_usd_per_day": {
            "limit": 0.5,
            "used": 0.0048,
            "used_up": False,
            "past_limit": "offline",
        },
    }


def stats() -> dict[str, Any]:
    return {
        "totals": counters(12, 3, {"validation": 2, "llm": 1}),
        "hours": [
            {"hour": "2026-12-03T06:00:00Z", **counters(0, 0, {})},
            {"hour": "2026-12-03T07:00:00Z", **counters(12, 3, {"validation": 2, "llm": 1})},
        ],
    }


def variant(name: str, weight: float, answers: int, valid: int, repaired: int) -> dict[str, Any]:
    """A variant's row; ``answers`` zero: none yet (no rate, interval or latency)."""
    measured = answers > 0
    return {
        "name": name,
        "weight": weight,
        "answers": answers,
        "calls": valid + 2 * repaired + (answers - valid - repaired),
        "valid_first_try": valid,
        "valid_first_try_rate": round(valid / answers, 4) if measured else None,
        "valid_first_try_interval": INTERVALS.get((valid, answers)),
        "repaired": repaired,
        "fallbacks": answers - valid - repaired,
        "latency_p50_ms": 412.25 if measured else None,
        "latency_p95_ms": 1830.5 if measured else None,
        "prompt_tokens": 120 * answers,
        "completion_tokens": 30 * answers,
        "cost_usd": round(0.000036 * answers, 6),
    }


# Wilson 95% intervals (domain/prompt_experiment.wilson_interval) of the counts used here.
INTERVALS = {(24, 25): [0.8046, 0.9929], (11, 20): [0.3421, 0.7418]}
VERDICT = (
    "strict is better: valid at first try strict 96% (80%-99%) vs control 55% (34%-74%) "
    "(p = 0.00101, 25 and 20 answers)"
)


def prompts() -> dict[str, Any]:
    return {
        "variants": [
            variant("control", 1, 20, 11, 7),
            variant("strict", 1, 25, 24, 1),
            variant("terse", 0.5, 0, 0, 0),
        ],
        "verdict": VERDICT,
    }


Route = Callable[[httpx.Request, re.Match[str]], httpx.Response]


def problem(status: int, title: str, detail: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={"status": status, "title": title, "detail": detail},
        headers={"content-type": "application/problem+json"},
    )


class FakeAdmin:
    """The contract's admin routes; ``token`` set: each request must carry it, else 401."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.requests: list[httpx.Request] = []
        self.sessions = {
            SESSION: summary(SESSION, 3, authenticated=True, age=0),
            OTHER: summary(OTHER, 1, authenticated=False, age=600),
        }
        self.imported: dict[str, str] = {}
        self.differ = False
        # Today's quotas in the stats' answer (None: a server without quotas, or older).
        self.quotas: dict[str, Any] | None = None
        self.routes: list[tuple[str, re.Pattern[str], Route]] = [
            ("GET", re.compile(r"/sessions"), self._list),
            ("POST", re.compile(r"/sessions/import"), self._import),
            ("GET", re.compile(r"/sessions/([^/]+)"), self._detail),
            ("DELETE", re.compile(r"/sessions/([^/]+)"), self._delete),
            ("GET", re.compile(r"/sessions/([^/]+)/at/(\d+)"), self._at),
            ("POST", re.compile(r"/sessions/([^/]+)/reset"), self._reset),
            ("POST", re.compile(r"/sessions/([^/]+)/fork"), self._fork),
            ("GET", re.compile(r"/sessions/([^/]+)/export"), self._export),
            ("POST", re.compile(r"/sessions/([^/]+)/replay"), self._replay),
            ("GET", re.compile(r"/stats"), self._stats),
            ("GET", re.compile(r"/prompts"), self._prompts),
        ]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.raw_path.decode().split("?")[0]
        if not path.startswith("/__mockmind/"):
            return problem(404, "Not Found", f"no operation matches {request.method} {path}")
        if self.token is not None and request.headers.get("x-mockmind-admin-token") != self.token:
            return problem(401, "Unauthorized", "the admin token sent is not this server's")
        route = path.removeprefix("/__mockmind")
        for method, pattern, handler in self.routes:
            matched = pattern.fullmatch(route)
            if matched and method == request.method:
                return handler(request, matched)
        return problem(404, "Not Found", f"no admin route {path}")

    def _missing(self, session_id: str) -> httpx.Response:
        return problem(404, "Not Found", f"no live session {session_id!r}")

    def _list(self, request: httpx.Request, matched: re.Match[str]) -> httpx.Response:
        params = request.url.params
        found = sorted(self.sessions.values(), key=lambda s: -float(s["last_seen"]))
        found = [s for s in found if str(s["id"]).startswith(params.get("prefix", ""))]
        start = int(params.get("cursor", "0"))
        limit = int(params.get("limit", "50"))
        page = found[start : start + limit]
        more = start + limit < len(found)
        return httpx.Response(
            200, json={"sessions": page, "next_cursor": str(start + limit) if more else None}
        )

    def _detail(self, request: httpx.Request, matched: re.Match[str]) -> httpx.Response:
        if matched[1] != SESSION:
            return self._missing(matched[1])
        return httpx.Response(200, json=detail())

    def _delete(self, request: httpx.Request, matched: re.Match[str]) -> httpx.Response:
        if self.sessions.pop(matched[1], None) is None:
            return problem(404, "Not Found", f"no session can have the id {matched[1]!r}")
        return httpx.Response(204)

    def _at(self, request: httpx.Request, matched: re.Match[str]) -> httpx.Response:
        if matched[1] not in self.sessions:
            return self._missing(matched[1])
        step = int(matched[2])
        if step > 3:
            detail = f"step {step} is out of reach: the journal holds steps 1 to 3"
            return problem(404, "Not Found", detail)
        return httpx.Response(200, json=world(step))

    def _reset(self, request: httpx.Request, matched: re.Match[str]) -> httpx.Response:
        if matched[1] not in self.sessions:
            return self._missing(matched[1])
        to = json.loads(request.content)["to"]
        self.sessions[matched[1]] = {**self.sessions[matched[1]], "requests": to or 0}
        return httpx.Response(200, json=self.sessions[matched[1]])

    def _fork(self, request: httpx.Request, matched: re.Match[str]) -> httpx.Response:
        if matched[1] not in self.sessions:
            return self._missing(matched[1])
        body = json.loads(request.content)
        new_id = body["id"] or FORKED
        at = body["at"] if body["at"] is not None else self.sessions[matched[1]]["requests"]
        self.sessions[new_id] = summary(new_id, at, authenticated=at >= 2, age=0)
        return httpx.Response(201, json=self.sessions[new_id])

    def _export(self, request: httpx.Request, matched: re.Match[str]) -> httpx.Response:
        if matched[1] != SESSION:
            return self._missing(matched[1])
        return httpx.Response(200, content=json.dumps(fixture(), indent=1).encode())

    def _import(self, request: httpx.Request, matched: re.Match[str]) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("format") != "mockmind-session/1":
            return problem(400, "Bad Request", "not a mockmind-session/1 fixture")
        digest = body["digest"]
        if digest in self.imported:
            answer = {"id": self.imported[digest], "digest": digest, "imported": False}
            return httpx.Response(200, json=answer)
        self.imported[digest] = IMPORTED
        self.sessions[IMPORTED] = summary(IMPORTED, 3, authenticated=True, age=0)
        return httpx.Response(201, json={"id": IMPORTED, "digest": digest, "imported": True})

    def _replay(self, request: httpx.Request, matched: re.Match[str]) -> httpx.Response:
        if matched[1] != SESSION:
            return self._missing(matched[1])
        return httpx.Response(200, json=replay_report(differ=self.differ))

    def _stats(self, request: httpx.Request, matched: re.Match[str]) -> httpx.Response:
        answer = stats()
        if self.quotas is not None:
            answer["quotas"] = self.quotas
        return httpx.Response(200, json=answer)

    def _prompts(self, request: httpx.Request, matched: re.Match[str]) -> httpx.Response:
        return httpx.Response(200, json=prompts())
