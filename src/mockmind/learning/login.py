"""The login: a route whose answer's token later comes back in ``Authorization``.

With the token in the clear (a browser's HAR file), a route is the login when the token one
of its answers holds is sent later as ``Authorization: Bearer <token>``. A masked recording
(the journal's, the proxy's) shows neither the token nor the header's value (both ``***``),
so there the evidence is weaker and said to be: an answer with a token-named field that was
masked, followed by requests that carry an ``Authorization`` header, or by paths that
answered 401. Which of several such routes issued the token a request carries cannot be told
from masked data; nor can the users and passwords (``auth.users`` is left unset: any
credentials log in).

Paths that answered 401 are protected: each gets a ``require_auth`` rule.
"""

from __future__ import annotations

import re
from dataclasses import field
from typing import Any

from mockmind.lean_dataclass import dataclass
from mockmind.learning.exchanges import is_masked
from mockmind.learning.traffic import Operation, Traffic, json_object, succeeded

_TOKEN_FIELD = re.compile(
    r"(access_?|auth_?|id_?|session_?|bearer_?)?token|jwt|accessToken|idToken", re.I
)
_PASSWORD_FIELD = re.compile(r"pass(word)?|secret", re.I)
_USER_FIELD = re.compile(r"user(name)?|login|email|account|name", re.I)
_LOGOUT_WORDS = {"logout", "log-out", "log_out", "signout", "sign-out", "sign_out"}


@dataclass
class LearnedLogin:
    login: str | None = None
    logout: str | None = None
    token_field: str = "token"
    username_field: str = "username"
    password_field: str = "password"
    protected: list[str] = field(default_factory=list)
    evidence: str = ""
    ambiguities: list[str] = field(default_factory=list)


def infer_login(traffic: Traffic) -> LearnedLogin:
    found = LearnedLogin()
    candidates: list[tuple[Operation, str, int]] = []
    for operation, exchanges in traffic.operations.items():
        if operation.method != "POST":
            continue
        for exchange in exchanges:
            body = json_object(exchange.response_body)
            if body is None or not succeeded(exchange):
                continue
            token_field = next(
                (k for k, v in body.items() if _TOKEN_FIELD.fullmatch(k) and isinstance(v, str)),
                None,
            )
            if token_field is not None:
                candidates.append((operation, token_field, exchange.order))
                break
    confirmed = [c for c in candidates if _token_sent_later(traffic, c)]
    masked = [c for c in candidates if c not in confirmed and _masked_token(traffic, c)]
    chosen = confirmed or [c for c in masked if _authorized_later(traffic, c[2])]
    if not chosen and masked and _answered_401(traffic):
        chosen = masked
    for operation in traffic.operations:
        if operation.method == "POST" and operation.template.rsplit("/", 1)[-1].lower() in (
            _LOGOUT_WORDS
        ):
            found.logout = operation.trigger
    if chosen:
        operation, token_field, _ = chosen[0]
        found.login = operation.trigger
        found.token_field = token_field
        found.evidence = (
            "its token was sent back in Authorization"
            if confirmed
            else "its answer's token was masked; later requests carried a (masked) "
            "Authorization header or were refused with 401"
        )
        if len(chosen) > 1:
            found.ambiguities.append(
                "several routes answer a token: "
                + ", ".join(c[0].trigger for c in chosen)
                + f"; {found.login} is taken as the login"
            )
        _credentials(traffic, operation, found)
    excluded = {found.login, found.logout}
    found.protected = sorted(
        {
            operation.template
            for operation, exchanges in traffic.operations.items()
            if operation.trigger not in excluded and any(e.status == 401 for e in exchanges)
        }
    )
    if found.protected and found.login is None:
        found.ambiguities.append(
            "paths answered 401 but no route was seen issuing a token: "
            + ", ".join(found.protected)
        )
    return found


def _token_sent_later(traffic: Traffic, candidate: tuple[Operation, str, int]) -> bool:
    """Whether a token this route answered was presented later (by their digests: the
    recording was masked as it was read)."""
    operation, _, _ = candidate
    answered: dict[str, int] = {}
    for exchange in traffic.operations[operation]:
        for secret in exchange.issued_secrets:
            answered.setdefault(secret, exchange.order)
    return any(
        e.presented_secret in answered and e.order > answered[e.presented_secret]
        for e in traffic.exchanges
        if e.presented_secret is not None
    )


def _masked_token(traffic: Traffic, candidate: tuple[Operation, str, int]) -> bool:
    operation, token_field, _ = candidate
    return any(
        (body := json_object(e.response_body)) is not None and is_masked(body.get(token_field))
        for e in traffic.operations[operation]
    )


def _authorized_later(traffic: Traffic, after: int) -> bool:
    return any(e.order > after and "authorization" in e.request_headers for e in traffic.exchanges)


def _answered_401(traffic: Traffic) -> bool:
    return any(e.status == 401 for e in traffic.exchanges)


def _credentials(traffic: Traffic, operation: Operation, found: LearnedLogin) -> None:
    """The request's password field (masked, or named like one) and its user field."""
    keys: dict[str, Any] = {}
    for exchange in traffic.operations[operation]:
        body = json_object(exchange.request_body)
        if body is not None and succeeded(exchange):
            keys.update(body)
    password = next(
        (k for k, v in keys.items() if _PASSWORD_FIELD.fullmatch(k) or is_masked(v)), None
    )
    user = next((k for k in keys if k != password and _USER_FIELD.fullmatch(k)), None)
    if password:
        found.password_field = password
    if user:
        found.username_field = user
