"""Outgoing requests: which callbacks and webhooks the API describes, sending one, and
running deliveries without holding the answer that triggered them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any, Protocol

from mockmind.domain.callbacks.deliveries import DeliveryBatch
from mockmind.lean_dataclass import dataclass


@dataclass(frozen=True)
class OutgoingOperation:
    """One operation the mock sends: a callback's (its URL a runtime-expression template)
    or a webhook's (its URL given when it is fired)."""

    name: str
    method: str
    # The callback's key, such as ``{$request.body#/callbackUrl}``; empty for a webhook.
    url_template: str = ""
    # The request body's media type and schema (may hold $refs into the document), if any.
    media_type: str | None = None
    schema: Mapping[str, Any] | bool | None = None
    # Fixed header values the operation's examples give (``in: header`` parameters).
    headers: Mapping[str, str] = field(default_factory=dict)


class CallbackCatalogue(Protocol):
    def declares_callbacks(self) -> bool:
        """Whether any operation declares callbacks: if none does, answers skip the lookup."""
        ...

    def callbacks_of(self, method: str, path_template: str) -> tuple[OutgoingOperation, ...]:
        """The callbacks the operation declares; empty when it declares none."""
        ...

    def webhooks(self) -> Mapping[str, tuple[OutgoingOperation, ...]]:
        """The document's webhooks by name (3.1), each with its operations."""
        ...


@dataclass(frozen=True)
class SentAnswer:
    status: int
    body: bytes = b""
    media_type: str | None = None
    # Seconds the receiver asked the mock to wait before trying again (its Retry-After).
    retry_after: float | None = None


class CallbackSender(Protocol):
    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        timeout: float,
    ) -> SentAnswer:
        """One attempt; raises ``DeliveryFailed`` when no answer came (refused, timed out)."""
        ...


class DeliveryLauncher(Protocol):
    async def launch(self, batch: DeliveryBatch) -> None:
        """Start the batch's deliveries and return at once: they run after the answer."""
        ...
