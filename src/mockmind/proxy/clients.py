"""Which client each recorded exchange came from, told without keeping any secret.

One proxy serves many clients (browser tabs, test clients, services), and a recording of all
of them is one file. Masking hides the cookies and tokens that tell the clients apart, yet
``mockmind learn`` (and a replay of the recording) needs each client's requests together:
a session's cart and login are its own. So, before masking, each exchange is given the
number of its client: a request carrying a cookie the upstream set earlier, or a bearer
token it issued earlier (in an answer's secret field), belongs to the client it was given
to; any other request starts a new client. Only SHA-256 digests of those values are held,
in memory, and only the numbers are written.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from mockmind.domain.redaction import is_secret
from mockmind.proxy.exchange import Exchange


class ClientSessions:
    def __init__(self, first: int = 1) -> None:
        # A credential's digest -> its client; 32 bytes a credential, for the proxy's run.
        self._owners: dict[bytes, int] = {}
        self._count = first - 1

    def client_of(self, exchange: Exchange) -> int:
        """The client's number (from ``first``, in the order clients appear); what the
        exchange carried and was given is noted as that client's."""
        carried = _request_credentials(exchange)
        known = [self._owners[c] for c in carried if c in self._owners]
        if known:
            client = min(known)
        else:
            self._count += 1
            client = self._count
        for credential in carried + _issued_credentials(exchange):
            self._owners.setdefault(credential, client)
        return client


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def _request_credentials(exchange: Exchange) -> list[bytes]:
    found: list[bytes] = []
    for name, value in exchange.request_headers:
        if name == "cookie":
            found += [
                _digest(pair.strip()) for pair in value.split(";") if "=" in pair and pair.strip()
            ]
        elif name == "authorization" and value.strip():
            found.append(_digest(value.strip().split(" ")[-1]))
    return found


def _issued_credentials(exchange: Exchange) -> list[bytes]:
    found = [
        _digest(value.split(";", 1)[0].strip())
        for name, value in exchange.response_headers
        if name == "set-cookie" and "=" in value.split(";", 1)[0]
    ]
    raw = exchange.response_body.decoded(exchange.response_header("content-encoding"))
    if raw and not exchange.response_body.truncated:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            body = None
        found += [_digest(secret) for secret in _secrets(body)]
    return found


def _secrets(body: Any, key: str = "") -> list[str]:
    """The secret string values of a JSON answer (a login's token), by their key's name."""
    if isinstance(body, dict):
        return [s for k, v in body.items() for s in _secrets(v, str(k))]
    if isinstance(body, list):
        return [s for v in body for s in _secrets(v, key)]
    if isinstance(body, str) and key and is_secret(key, body):
        return [body]
    return []
