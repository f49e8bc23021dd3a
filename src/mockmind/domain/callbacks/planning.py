"""Which requests the mock sends after an answer (callbacks), or on demand (webhooks).

A callback's URL comes from its key, evaluated against the request and the answer
(``runtime_expressions``); its body is generated to fit the callback operation's request
body schema, by the same offline generator as answers. Only an answer in the 2xx range
triggers callbacks: a refused request subscribed to nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from mockmind.domain import json_codec
from mockmind.domain.callbacks.deliveries import (
    Delivery,
    DeliveryBatch,
    DeliveryKind,
    Refusal,
    target_refusal,
)
from mockmind.domain.callbacks.runtime_expressions import (
    ExchangeFacts,
    ExpressionError,
    expand,
    no_body,
    request_url,
)
from mockmind.domain.errors import RequestError
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.http import MockResponse
from mockmind.ports.api_description import RoutedRequest
from mockmind.ports.callbacks import CallbackCatalogue, OutgoingOperation


class UnknownWebhook(RequestError):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        listed = ", ".join(sorted(known)) or "the document declares none"
        super().__init__(404, "Not Found", f"no webhook {name!r} (webhooks: {listed})")


class CallbackPlanner:
    def __init__(
        self,
        catalogue: CallbackCatalogue,
        generator: OfflineGenerator,
        *,
        allowed_hosts: Sequence[str] | None = None,
    ) -> None:
        self._catalogue = catalogue
        self._generator = generator
        self._allowed_hosts = allowed_hosts

    def plan(
        self,
        routed: RoutedRequest,
        response: MockResponse,
        session_id: str | None,
        now: float,
    ) -> DeliveryBatch | None:
        """The callbacks the answered request triggers; None when there are none."""
        if not 200 <= response.status < 300:
            return None
        request = routed.request
        operations = self._catalogue.callbacks_of(request.method, routed.path_template)
        if not operations:
            return None
        facts = exchange_facts(routed, response)
        trigger = f"{request.method} {routed.path_template}"
        deliveries: list[Delivery] = []
        refusals: list[Refusal] = []
        for op in operations:
            try:
                url = expand(op.url_template, facts)
            except ExpressionError as exc:
                refusals.append(
                    Refusal("callback", op.name, op.method, op.url_template, str(exc), trigger)
                )
                continue
            seed = f"{session_id}|{trigger}|{request.path}|{op.name}|{url}"
            planned = self._delivery("callback", op, url, seed, trigger)
            if isinstance(planned, Refusal):
                refusals.append(planned)
            else:
                deliveries.append(planned)
        return DeliveryBatch(session_id, now, tuple(deliveries), tuple(refusals))

    def declares_callbacks(self) -> bool:
        return self._catalogue.declares_callbacks()

    def webhook_names(self) -> list[str]:
        return sorted(self._catalogue.webhooks())

    def webhook(
        self, name: str, targets: Sequence[str], session_id: str | None, now: float
    ) -> DeliveryBatch:
        """The webhook ``name`` sent to each target; raises ``UnknownWebhook``."""
        webhooks = self._catalogue.webhooks()
        operations = webhooks.get(name)
        if not operations:
            raise UnknownWebhook(name, list(webhooks))
        op = operations[0]
        deliveries: list[Delivery] = []
        refusals: list[Refusal] = []
        for index, url in enumerate(targets):
            planned = self._delivery("webhook", op, url, f"{session_id}|{name}|{index}", "admin")
            if isinstance(planned, Refusal):
                refusals.append(planned)
            else:
                deliveries.append(planned)
        return DeliveryBatch(session_id, now, tuple(deliveries), tuple(refusals))

    def _delivery(
        self, kind: DeliveryKind, op: OutgoingOperation, url: str, seed: str, trigger: str
    ) -> Delivery | Refusal:
        reason = target_refusal(url, self._allowed_hosts)
        if reason is not None:
            return Refusal(kind, op.name, op.method, url, reason, trigger)
        headers = dict(op.headers)
        body = ""
        if op.schema is not None:
            value = self._generator.generate(op.schema, seed=seed, direction="request")
            media_type = op.media_type or "application/json"
            if isinstance(value, str) and not _is_json(media_type):
                body = value
            else:
                body = json_codec.compact(value).decode()
            headers["Content-Type"] = media_type
        return Delivery(kind, op.name, op.method, url, headers, body, trigger)


def exchange_facts(routed: RoutedRequest, response: MockResponse) -> ExchangeFacts:
    """What runtime expressions read of a request and the mock's answer to it."""
    request = routed.request
    headers = request.headers
    scheme = headers.get("x-forwarded-proto", "http").split(",", 1)[0].strip() or "http"
    return ExchangeFacts(
        url=request_url(headers.get("host"), request.path, request.query, scheme),
        method=request.method,
        status_code=response.status,
        path_params=routed.path_params,
        query=request.query,
        request_headers=headers,
        request_body=_request_body(routed),
        response_headers={name.lower(): value for name, value in response.headers.items()},
        response_body=response.body if response.body_kind == "json" else no_body(),
    )


def _request_body(routed: RoutedRequest) -> Any:
    if routed.body is not None:
        return routed.body
    raw = routed.request.body
    if not raw:
        return no_body()
    try:
        # The request was already checked (and its depth bounded) where a schema asked.
        return json.loads(raw)
    except (ValueError, RecursionError):
        return no_body()


def _is_json(media_type: str) -> bool:
    base = media_type.split(";", 1)[0].strip().lower()
    return base in ("application/json", "text/json") or base.endswith("+json")


def targets_from(body: Mapping[str, Any]) -> list[str]:
    """The URLs an admin request names: ``url``, or a list in ``urls``."""
    found: list[str] = []
    url = body.get("url")
    if isinstance(url, str):
        found.append(url)
    urls = body.get("urls")
    if isinstance(urls, list):
        found.extend(u for u in urls if isinstance(u, str))
    return found
