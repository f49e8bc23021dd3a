"""A small typed client of a mockmind server's admin routes (``/__mockmind/...``), over httpx.

One method per route of the admin API (README, "Admin routes"); each returns the answer parsed
into the CLI's models (``admin_answers``). Failures are translated here, at the edge, into the
``AdminCallFailed`` branch of the error tree, so that no command sees an httpx error:

- no answer (refused connection, DNS, TLS, timeout)               ``AdminUnreachable``
- 401 or 403                                                      ``AdminAuthRefused``
- 404 for a session or step                                       ``AdminNotFound``
- 404 "no admin route", or 405: the server lacks the route        ``AdminAnswerUnexpected``
- any other 4xx or 5xx                                            ``AdminRefused``
- a success that is not JSON, or not of the documented shape      ``AdminAnswerUnexpected``

The transport is pluggable, as in httpx's own design: tests hand it an ``httpx.MockTransport``
that answers as the contract says; the CLI uses httpx's default.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from mockmind.cli.admin_answers import (
    FixtureHead,
    Imported,
    PromptExperiment,
    ReplayReport,
    SessionDetail,
    SessionPage,
    SessionSummary,
    Stats,
    TenantDeleted,
    TenantStored,
    World,
)
from mockmind.domain.errors import (
    AdminAnswerUnexpected,
    AdminAuthRefused,
    AdminNotFound,
    AdminRefused,
    AdminUnreachable,
)
from mockmind.lean_dataclass import dataclass

ADMIN_PREFIX = "/__mockmind"
TOKEN_HEADER = "X-Mockmind-Admin-Token"
# The admin app's answer for a path it has no route for (app/admin.py): not a missing session.
_NO_ROUTE = "no admin route"
# Upload and download progress is reported per chunk of this size.
CHUNK_BYTES = 64 * 1024


class TransferProgress(Protocol):
    """Where a long call reports how far it got: the body sent, the server at work (its
    length unknown), the answer received. ``total`` is None when the server sends no length."""

    def sending(self, done: int, total: int) -> None: ...

    def waiting(self) -> None: ...

    def receiving(self, done: int, total: int | None) -> None: ...


@dataclass(frozen=True)
class Fixture:
    """An exported session: the server's bytes, kept as sent, and what the CLI reads of them."""

    raw: bytes
    head: FixtureHead


class AdminClient:
    """The admin routes of the server at ``base_url`` (the mock's URL; the admin prefix is
    added here), with the admin token when one is given."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/").removesuffix(ADMIN_PREFIX)
        headers = {"Accept": "application/json"}
        if token:
            headers[TOKEN_HEADER] = token
        self._http = httpx.Client(
            base_url=self.base_url + ADMIN_PREFIX + "/",
            headers=headers,
            transport=transport,
            timeout=timeout,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- the routes

    def sessions(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        prefix: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> SessionPage:
        """A page of the live sessions, newest activity first (``since``/``until``: epoch
        seconds of last activity)."""
        params = {
            "limit": limit,
            "cursor": cursor,
            "prefix": prefix,
            "since": since,
            "until": until,
        }
        return self._json("GET", "sessions", SessionPage, params=params)

    def session(self, session_id: str) -> SessionDetail:
        return self._json("GET", _session(session_id), SessionDetail)

    def world_at(self, session_id: str, step: int) -> World:
        """The session's entities and state after its ``step``-th request (0: before the first)."""
        return self._json("GET", f"{_session(session_id)}/at/{step}", World)

    def reset(self, session_id: str, to: int | None) -> SessionSummary:
        """Back to the world after step ``to``; None empties the session."""
        return self._json("POST", f"{_session(session_id)}/reset", SessionSummary, body={"to": to})

    def fork(self, session_id: str, at: int | None, new_id: str | None = None) -> SessionSummary:
        """A new session holding the world after step ``at`` (None: the latest), named
        ``new_id`` (None: a new random id)."""
        body = {"at": at, "id": new_id}
        return self._json("POST", f"{_session(session_id)}/fork", SessionSummary, body=body)

    def delete(self, session_id: str) -> None:
        self._call("DELETE", _session(session_id))

    def export(self, session_id: str) -> Fixture:
        reply = self._call("GET", f"{_session(session_id)}/export")
        return Fixture(reply.body, _parsed(reply, FixtureHead))

    def import_fixture(self, fixture: bytes, progress: TransferProgress | None = None) -> Imported:
        """Import an exported fixture, sent as it is (its digest covers its bytes)."""
        reply = self._call("POST", "sessions/import", content=fixture, progress=progress)
        return _parsed(reply, Imported)

    def replay(
        self,
        session_id: str,
        ignore: Sequence[str] = (),
        progress: TransferProgress | None = None,
        *,
        keep: bool = False,
    ) -> ReplayReport:
        """Run the session's recorded requests again in a scratch session; ``ignore`` names
        JSON paths whose values may differ (generated ids, timestamps); ``keep`` keeps the
        scratch session afterwards. Members left at their defaults are not sent."""
        body: dict[str, Any] = {"ignore": list(ignore)} if ignore else {}
        if keep:
            body["keep"] = True
        reply = self._call(
            "POST", f"{_session(session_id)}/replay", content=_encoded(body), progress=progress
        )
        return _parsed(reply, ReplayReport)

    def stats(self, hours: int | None = None) -> Stats:
        return self._json("GET", "stats", Stats, params={"hours": hours})

    def prompts(self) -> PromptExperiment:
        return self._json("GET", "prompts", PromptExperiment)

    def push_tenant(
        self, name: str, files: Mapping[str, bytes], progress: TransferProgress | None = None
    ) -> TenantStored:
        """Store a tenant's files on a stack serving tenants (its operator's route): each as
        text when it is UTF-8, else in base64."""
        body = {"files": {path: _file_body(data) for path, data in files.items()}}
        reply = self._call("PUT", _tenant(name), content=_encoded(body), progress=progress)
        return _parsed(reply, TenantStored)

    def delete_tenant(self, name: str) -> TenantDeleted:
        return self._json("DELETE", _tenant(name), TenantDeleted)

    # -- the wire

    def _json[M: BaseModel](
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        params: Mapping[str, str | int | float | None] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> M:
        content = None if body is None else _encoded(body)
        return _parsed(self._call(method, path, params=params, content=content), model)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int | float | None] | None = None,
        content: bytes | None = None,
        progress: TransferProgress | None = None,
    ) -> Reply:
        """The answer, read whole; an error status or no answer raised as the error tree's."""
        sent = {name: value for name, value in (params or {}).items() if value is not None}
        headers: dict[str, str] = {}
        body: bytes | Iterator[bytes] | None = content
        if content is not None:
            headers["Content-Type"] = "application/json"
            if progress is not None:
                # A stream has no length of its own: say it, so nothing is sent chunked.
                headers["Content-Length"] = str(len(content))
                body = _sent_in_chunks(content, progress)
        elif progress is not None:
            progress.waiting()
        try:
            with self._http.stream(
                method, path, params=sent, content=body, headers=headers
            ) as response:
                reply = Reply(response.status_code, _read(response, progress), self.base_url)
        except httpx.TransportError as exc:
            raise AdminUnreachable(
                f"no answer from {self.base_url} ({type(exc).__name__}: {str(exc) or 'no detail'})"
            ) from exc
        if reply.status >= 400:
            raise _refusal(method, ADMIN_PREFIX + "/" + path, reply)
        return reply


@dataclass(frozen=True)
class Reply:
    """An answer read whole: its status and body (decoded, as the server meant it)."""

    status: int
    body: bytes
    server: str

    def json(self) -> Any:
        return json.loads(self.body)

    def snippet(self, limit: int = 200) -> str:
        text = self.body.decode(errors="replace").strip()
        if not text:
            return "(empty)"
        return text if len(text) <= limit else text[:limit] + "…"


def _session(session_id: str) -> str:
    # An id is one path segment whatever it holds: a slash cannot reach another route.
    return "sessions/" + quote(session_id, safe="")


def _tenant(name: str) -> str:
    return "tenants/" + quote(name, safe="")


def _file_body(data: bytes) -> str | dict[str, str]:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def _encoded(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body).encode()


def _sent_in_chunks(content: bytes, progress: TransferProgress) -> Iterator[bytes]:
    total = len(content)
    for start in range(0, total, CHUNK_BYTES):
        chunk = content[start : start + CHUNK_BYTES]
        yield chunk
        progress.sending(start + len(chunk), total)
    progress.waiting()


def _read(response: httpx.Response, progress: TransferProgress | None) -> bytes:
    if progress is None:
        return response.read()
    # Content-Length counts the bytes as sent: the bytes read are those only when uncompressed.
    length = response.headers.get("Content-Length", "")
    encoded = response.headers.get("Content-Encoding", "identity") != "identity"
    total = int(length) if length.isdigit() and not encoded else None
    chunks: list[bytes] = []
    done = 0
    for chunk in response.iter_bytes(CHUNK_BYTES):
        chunks.append(chunk)
        done += len(chunk)
        progress.receiving(done, total)
    return b"".join(chunks)


def _parsed[M: BaseModel](reply: Reply, model: type[M]) -> M:
    try:
        return model.model_validate(reply.json())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AdminAnswerUnexpected(
            f"{reply.server} answered {reply.status} with something that is not JSON: "
            f"{reply.snippet()}"
        ) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        at = ".".join(str(part) for part in first["loc"]) or "the answer"
        raise AdminAnswerUnexpected(
            f"{reply.server} answered, but not as the admin API does: {at}: {first['msg']}"
        ) from exc


def _refusal(method: str, path: str, reply: Reply) -> Exception:
    status = reply.status
    problem = _problem(reply)
    if problem is None:
        title, detail = httpx.codes.get_reason_phrase(status) or "Error", reply.snippet()
    else:
        title, detail = problem
    if status == 405 or (status == 404 and (problem is None or detail.startswith(_NO_ROUTE))):
        return AdminAnswerUnexpected(
            f"the server at {reply.server} has no route {method} {path} ({status} {title}): "
            "a mockmind older than this command, or another server"
        )
    if status in (401, 403):
        return AdminAuthRefused(status, title, detail)
    if status == 404:
        return AdminNotFound(status, title, detail)
    return AdminRefused(status, title, detail)


def _problem(reply: Reply) -> tuple[str, str] | None:
    """The title and detail of a problem document, or None when the answer is not one."""
    try:
        body = reply.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict) or not isinstance(body.get("title"), str):
        return None
    detail = body.get("detail")
    return body["title"], detail if isinstance(detail, str) else ""
