"""Recorded requests sent again to another server, and its answers checked against a
learned OpenAPI document.

The server answering the replay makes its own ids and tokens, so a replayed request cannot
carry the recorded ones: each answer's ids (``id``, ``*_id``) and token are paired with the
recorded answer's, and later requests carry the replayed values in their place (in the path,
the query and the body). A masked ``Authorization`` header is sent with the last token the
replay was given. Each recorded session is replayed in a client (a cookie jar) of its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from jsonschema import Draft202012Validator, FormatChecker

from mockmind.learning.exchanges import Exchange, is_masked

_DROPPED = {"cookie", "host", "content-length", "authorization", "connection"}


@dataclass
class Replayed:
    recorded: Exchange
    response: httpx.Response


@dataclass
class Replay:
    base_url: str
    ids: dict[str, str] = field(default_factory=dict)
    token: str | None = None
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def run(self, exchanges: list[Exchange]) -> list[Replayed]:
        done: list[Replayed] = []
        try:
            for exchange in sorted(exchanges, key=lambda e: e.order):
                response = self._send(exchange)
                self._pair(exchange.response_body, _json(response))
                done.append(Replayed(exchange, response))
        finally:
            for client in self.clients.values():
                client.close()
        return done

    def _send(self, exchange: Exchange) -> httpx.Response:
        client = self.clients.get(exchange.session)
        if client is None:
            client = self.clients[exchange.session] = httpx.Client(base_url=self.base_url)
        headers = {k: v for k, v in exchange.request_headers.items() if k not in _DROPPED}
        if "authorization" in exchange.request_headers and self.token is not None:
            headers["authorization"] = f"Bearer {self.token}"
        path = "/".join(self.ids.get(s, s) for s in exchange.path.split("/"))
        params = [(k, self.ids.get(v, v)) for k, values in exchange.query.items() for v in values]
        content: bytes | None = None
        body = exchange.request_body
        if body is not None:
            content = (
                json.dumps(self._swap(body)).encode()
                if not isinstance(body, str)
                else body.encode()
            )
        return client.request(
            exchange.method, path, params=params, headers=headers, content=content
        )

    def _swap(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self._swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._swap(v) for v in value]
        if isinstance(value, str):
            return self.ids.get(value, value)
        return value

    def _pair(self, recorded: Any, replayed: Any, key: str = "") -> None:
        if isinstance(recorded, dict) and isinstance(replayed, dict):
            for k, v in recorded.items():
                if k in replayed:
                    self._pair(v, replayed[k], k)
        elif isinstance(recorded, list) and isinstance(replayed, list):
            for r, p in zip(recorded, replayed, strict=False):
                self._pair(r, p, key)
        elif re.fullmatch(r"(access_)?token", key) and isinstance(replayed, str):
            self.token = replayed
            if not is_masked(recorded):
                self.ids[str(recorded)] = replayed
        elif (
            (key == "id" or key.endswith("_id"))
            and isinstance(recorded, str | int)
            and str(recorded) not in self.ids
            and recorded != replayed
        ):
            self.ids[str(recorded)] = str(replayed)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "/?$")


def body_problems(
    document: dict[str, Any], method: str, path: str, response: httpx.Response
) -> list[str]:
    """Why the answer breaks the document (its status undocumented, its body invalid for
    the documented schema, a body where none is documented); empty when it conforms."""
    templates = sorted(
        (t for t in document["paths"] if _template_regex(t).match(path)),
        key=lambda t: t.count("{"),
    )
    operation = next(
        (
            document["paths"][t][method.lower()]
            for t in templates
            if method.lower() in document["paths"][t]
        ),
        None,
    )
    if operation is None:
        return [f"{method} {path} is not in the document"]
    documented = operation["responses"].get(str(response.status_code))
    if documented is None:
        return [f"{method} {path}: status {response.status_code} is not documented"]
    content = documented.get("content")
    if not content:
        return [] if not response.content else [f"{method} {path}: a body where none is documented"]
    (media,) = content.values()
    body = response.json() if "json" in next(iter(content)) else response.text
    # The document's components beside the schema, where its "#/components/..." refs point.
    schema = {**media["schema"], "components": document.get("components", {})}
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    return [
        f"{method} {path} {response.status_code}: {e.message}" for e in validator.iter_errors(body)
    ]
