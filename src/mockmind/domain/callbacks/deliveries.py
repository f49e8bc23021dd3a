"""What the mock is to send: deliveries, grouped in a batch that runs after an answer.

A batch is plain data that survives a trip through JSON (``batch_to_dict``): in Lambda it is
the payload of the asynchronous invocation that delivers it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any, Literal
from urllib.parse import urlsplit

from mockmind.domain.errors import MockmindError
from mockmind.lean_dataclass import dataclass

DeliveryKind = Literal["callback", "webhook"]

# The key and value that mark the Lambda event carrying a batch (``delivery_event``); no API
# Gateway, function URL or load balancer event has a top-level ``mockmind`` key.
EVENT_KEY = "mockmind"
EVENT_KIND = "deliveries"


class DeliveryFailed(MockmindError):
    """An attempt got no answer: the connection was refused, reset or timed out."""


@dataclass(frozen=True)
class Delivery:
    kind: DeliveryKind
    # The callback's or webhook's name in the document.
    name: str
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    # UTF-8 text (JSON or plain text): what a generated body always is.
    body: str = ""
    # What triggered it: "POST /streams" for a callback, "admin" for a webhook.
    trigger: str = ""


@dataclass(frozen=True)
class Refusal:
    """A delivery that is not attempted, and why: kept so the session's history says so."""

    kind: DeliveryKind
    name: str
    method: str
    target: str
    reason: str
    trigger: str = ""


@dataclass(frozen=True)
class DeliveryBatch:
    """The deliveries one answer triggered; ``session_id`` is whose history records them."""

    session_id: str | None
    scheduled_at: float
    deliveries: tuple[Delivery, ...] = ()
    refusals: tuple[Refusal, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.deliveries or self.refusals)


@dataclass(frozen=True)
class DeliveryPolicy:
    delay_seconds: float = 0.0
    retries: int = 2
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    timeout_seconds: float = 10.0
    # None: any host. Otherwise exact names, or "*.example.com" for its subdomains.
    allowed_hosts: tuple[str, ...] | None = None

    def backoff(self, retry: int) -> float:
        """The wait before retry number ``retry`` (1 for the first): exponential, capped."""
        return float(min(self.max_backoff_seconds, self.backoff_seconds * 2.0 ** (retry - 1)))


def target_refusal(url: str, allowed_hosts: Sequence[str] | None) -> str | None:
    """Why the mock will not send to ``url``, or None when it may."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (a port out of range raises here)
    except ValueError as exc:
        return f"{url!r} is not a URL ({exc})"
    if parts.scheme not in ("http", "https"):
        scheme = f"scheme {parts.scheme!r}" if parts.scheme else "no scheme"
        return f"{url!r} has {scheme}: only http and https URLs are called"
    if not host:
        return f"{url!r} names no host"
    if allowed_hosts is not None and not _allowed(host, allowed_hosts):
        listed = ", ".join(allowed_hosts) or "none"
        return f"host {host!r} is not in callbacks.allowed_hosts ({listed})"
    return None


def _allowed(host: str, allowed_hosts: Sequence[str]) -> bool:
    host = host.lower().rstrip(".")
    for allowed in allowed_hosts:
        pattern = allowed.lower().rstrip(".")
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and not _is_ip(host):
                return True
        elif host == pattern:
            return True
    return False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def batch_to_dict(batch: DeliveryBatch) -> dict[str, Any]:
    return {
        "session_id": batch.session_id,
        "scheduled_at": batch.scheduled_at,
        "deliveries": [
            {
                "kind": d.kind,
                "name": d.name,
                "method": d.method,
                "url": d.url,
                "headers": dict(d.headers),
                "body": d.body,
                "trigger": d.trigger,
            }
            for d in batch.deliveries
        ],
        "refusals": [
            {
                "kind": r.kind,
                "name": r.name,
                "method": r.method,
                "target": r.target,
                "reason": r.reason,
                "trigger": r.trigger,
            }
            for r in batch.refusals
        ],
    }


def batch_from_dict(data: Mapping[str, Any]) -> DeliveryBatch:
    """The batch ``batch_to_dict`` wrote; raises ``KeyError``/``TypeError``/``ValueError`` on
    anything else."""
    session_id = data["session_id"]
    if session_id is not None and not isinstance(session_id, str):
        raise TypeError("session_id must be a string or null")
    return DeliveryBatch(
        session_id=session_id,
        scheduled_at=float(data["scheduled_at"]),
        deliveries=tuple(
            Delivery(
                kind=_kind(d["kind"]),
                name=str(d["name"]),
                method=str(d["method"]),
                url=str(d["url"]),
                headers={str(k): str(v) for k, v in dict(d.get("headers", {})).items()},
                body=str(d.get("body", "")),
                trigger=str(d.get("trigger", "")),
            )
            for d in data.get("deliveries", [])
        ),
        refusals=tuple(
            Refusal(
                kind=_kind(r["kind"]),
                name=str(r["name"]),
                method=str(r["method"]),
                target=str(r["target"]),
                reason=str(r["reason"]),
                trigger=str(r.get("trigger", "")),
            )
            for r in data.get("refusals", [])
        ),
    )


def _kind(value: Any) -> DeliveryKind:
    if value == "callback":
        return "callback"
    if value == "webhook":
        return "webhook"
    raise ValueError(f"unknown delivery kind {value!r}")


def delivery_event(batch: DeliveryBatch, tenant: str | None = None) -> dict[str, Any]:
    """The batch as the payload of the function's asynchronous invocation of itself; with the
    tenant whose world sends it, when the function serves tenants."""
    event = {EVENT_KEY: EVENT_KIND, "batch": batch_to_dict(batch)}
    if tenant is not None:
        event["tenant"] = tenant
    return event


def is_delivery_event(event: Any) -> bool:
    # A dict first: the ABC's check costs more, and every Lambda event is asked.
    return isinstance(event, dict | Mapping) and event.get(EVENT_KEY) == EVENT_KIND
