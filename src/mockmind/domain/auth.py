"""Login and tokens: a configurable login endpoint authenticates the session and issues a
bearer token; later requests may carry the token instead of the session cookie.

Tokens are random (256 bits) and kept in the entity store under a reserved scope, so every
backend (and every Lambda instance sharing a table) knows the tokens this mock issued. Each
session's tokens are listed beside them too (one collection per session: one partition on
DynamoDB), so a logout by cookie alone, or the session's deletion, revokes every token it was
issued, not only one the request happens to carry.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from mockmind.domain.errors import RequestError
from mockmind.domain.state_machines import split_trigger
from mockmind.lean_dataclass import dataclass
from mockmind.ports.entity_store import EntityRecord, EntityStore

TOKEN_SCOPE = "__tokens__"
_COLLECTION = "tokens"


def _issued_to(session_id: str) -> str:
    return f"session:{session_id}"


@dataclass(frozen=True)
class AuthSettings:
    login: tuple[str, str] | None = ("POST", "/login")
    logout: tuple[str, str] | None = ("POST", "/logout")
    token_field: str = "token"
    token_ttl_seconds: int = 3600
    username_field: str = "username"
    password_field: str = "password"
    users: Mapping[str, str] | None = None

    @classmethod
    def from_triggers(cls, login: str | None, logout: str | None, **kwargs: Any) -> AuthSettings:
        return cls(
            login=split_trigger(login) if login else None,
            logout=split_trigger(logout) if logout else None,
            **kwargs,
        )


def bearer_token(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class TokenIssuer:
    def __init__(self, store: EntityStore, settings: AuthSettings) -> None:
        self._store = store
        self.settings = settings

    def is_login(self, method: str, template: str) -> bool:
        return self.settings.login == (method.upper(), template.rstrip("/") or "/")

    def is_logout(self, method: str, template: str) -> bool:
        return self.settings.logout == (method.upper(), template.rstrip("/") or "/")

    def check_credentials(self, body: Any) -> str:
        """The username, or a 401 when the credentials are missing or (with ``users``) wrong."""
        settings = self.settings
        fields = body if isinstance(body, Mapping) else {}
        username = fields.get(settings.username_field)
        password = fields.get(settings.password_field)
        if not username or not password:
            raise _unauthorized(
                f"{settings.username_field} and {settings.password_field} are required"
            )
        if settings.users is not None and settings.users.get(str(username)) != str(password):
            raise _unauthorized("invalid username or password")
        return str(username)

    def issue(self, session_id: str, username: str, now: float) -> str:
        token = secrets.token_urlsafe(32)
        record = EntityRecord(token, {"session_id": session_id, "username": username}, now)
        expires_at = now + self.settings.token_ttl_seconds
        self._store.put(TOKEN_SCOPE, _COLLECTION, record, expires_at=expires_at)
        listed = EntityRecord(token, {}, now)
        self._store.put(TOKEN_SCOPE, _issued_to(session_id), listed, expires_at=expires_at)
        return token

    def session_of(self, token: str | None, now: float) -> str | None:
        """The session a token was issued to, if this mock issued it and it is still valid."""
        if not token:
            return None
        record = self._store.get(TOKEN_SCOPE, _COLLECTION, token, now=now)
        if record is None or record.data is None:
            return None
        return str(record.data["session_id"])

    def revoke(self, token: str | None) -> None:
        if token:
            self._store.delete(TOKEN_SCOPE, _COLLECTION, token)

    def revoke_session(self, session_id: str, now: float) -> int:
        """Revoke every live token issued to the session; how many there were."""
        listed = self._store.list(TOKEN_SCOPE, _issued_to(session_id), now=now)
        for record in listed:
            self._store.delete(TOKEN_SCOPE, _COLLECTION, record.id)
            self._store.delete(TOKEN_SCOPE, _issued_to(session_id), record.id)
        return len(listed)


def _unauthorized(detail: str) -> RequestError:
    return RequestError(
        401, "Unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="mockmind"'}
    )
