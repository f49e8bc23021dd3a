"""What the Lambda handler tells CloudWatch and X-Ray, through Powertools: one JSON log line
per request, one EMF metrics document per request, and (when the template's ``Tracing``
parameter turns it on) an X-Ray subsegment per request.

Every line the package logs during an invocation is JSON (Powertools' Logger owns the
``mockmind`` loggers and Mangum's) and carries ``request_id`` (API Gateway's, from the event's
``requestContext``; Lambda's own id when the event has none) and ``function_request_id``
(Lambda's); the request's line adds ``session_id``, ``source``, ``status``, ``latency_ms`` and
what the request's model calls cost. Mangum's per-request INFO line is silenced: the request
line replaces it. Nothing here runs outside Lambda: ``mockmind serve`` keeps its plain lines.

The metrics are dimensioned by ``service`` and ``source`` (``rule``, ``store``, ``cache``,
``llm``, ``offline``, ``fallback``, ``example``; ``admin`` for admin routes, ``refused`` for a
malformed event, ``error`` for a mock request mockmind failed to answer): ``Requests``,
``CacheHits``, ``Fallbacks``, ``ServerErrors``, ``LlmCalls``, ``LlmTokens``, ``LlmCostUsd`` and
``Latency``. Each document also holds the request id, as a property CloudWatch does not index.

Built on the first invocation, not at import: importing Powertools' Logger and Metrics is
about 30 ms, and the handler's import is what every cold start waits for before Lambda's init
ends (bench/RESULTS.md, row 2). The X-Ray SDK is imported only when tracing is on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mockmind.app.logging import SECRETS
from mockmind.domain.outcome import RequestOutcome
from mockmind.lean_dataclass import dataclass

if TYPE_CHECKING:
    from mockmind.app.environment import Environment

# Loggers whose lines become JSON besides the service's own, and the level each is kept at.
# Mangum's INFO is one line per request ("GET /path 200"), which the request line replaces.
_MANGUM = "mangum"
_PACKAGE = "mockmind"

# Keys appended for one invocation, and removed after it.
_INVOCATION_KEYS = ("request_id", "function_request_id", "cold_start")


@dataclass(frozen=True)
class TelemetrySettings:
    service: str = "mockmind"
    namespace: str = "mockmind"
    level: str = "INFO"

    @classmethod
    def from_environment(cls, env: Environment) -> TelemetrySettings:
        return cls(
            service=env.service_name,
            namespace=env.metrics_namespace,
            level=(env.log_level or "INFO").upper(),
        )


@dataclass(frozen=True)
class Invocation:
    """One invocation's answer, as the handler made it: the response in the event source's
    shape, the mock request's outcome (None when no mock request ran), and the source to
    report when there is no outcome."""

    answer: dict[str, Any]
    outcome: RequestOutcome | None
    method: str
    path: str
    # What answered when no mock request did: "admin", "refused" or "error".
    other_source: str = "error"

    @property
    def status(self) -> int:
        status = self.answer.get("statusCode", 500)
        return status if isinstance(status, int) else 500

    @property
    def source(self) -> str:
        return self.outcome.source if self.outcome is not None else self.other_source


class LambdaTelemetry:
    """The handler's logger, metrics and tracer; ``invoke`` runs one invocation under them."""

    def __init__(
        self,
        settings: TelemetrySettings,
        *,
        tracer: Any = None,
    ) -> None:
        """``tracer``: Powertools' Tracer, from ``start_tracer`` (None: not traced)."""
        from aws_lambda_powertools import Logger  # noqa: PLC0415 (see the module's docstring)
        from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit  # noqa: PLC0415

        self.settings = settings
        self.logger = Logger(service=settings.service, level=settings.level)
        handler = self.logger.registered_handler
        if settings.service != _PACKAGE:
            _route(_PACKAGE, handler, settings.level)
        _route(_MANGUM, handler, "WARNING")
        # Ephemeral: Powertools' ``Metrics`` shares one metric set across the process, which
        # the LLM content metrics (adapters/llm/metrics.py) must not flush by accident.
        self._metrics = EphemeralMetrics(namespace=settings.namespace, service=settings.service)
        self._units = MetricUnit
        self.tracer = tracer
        self._cold = True

    def invoke(self, event: Any, context: Any, run: Callable[[], Invocation]) -> dict[str, Any]:
        request_id = _request_id(event, context)
        self.logger.append_keys(
            request_id=request_id,
            function_request_id=getattr(context, "aws_request_id", None),
            cold_start=self._cold,
        )
        self._cold = False
        started = time.perf_counter()
        try:
            if self.tracer is None:
                done = run()
            else:
                with self.tracer.provider.in_subsegment(name="## mockmind.handler") as segment:
                    done = run()
                    _annotate(segment, done, self.settings.service)
            latency_ms = (time.perf_counter() - started) * 1000.0
            self._log(done, latency_ms)
            self._measure(done, latency_ms, request_id)
        finally:
            self.logger.remove_keys(_INVOCATION_KEYS)
        return done.answer

    def _log(self, done: Invocation, latency_ms: float) -> None:
        outcome = done.outcome
        fields: dict[str, Any] = {
            "status": done.status,
            "source": done.source,
            "session_id": outcome.session_id if outcome else None,
            "latency_ms": round(latency_ms, 3),
        }
        if outcome is not None:
            usage = outcome.usage
            fields["new_session"] = outcome.new_session
            fields["llm_calls"] = usage.calls
            fields["llm_tokens"] = usage.prompt_tokens + usage.completion_tokens
            fields["cost_usd"] = round(usage.cost_usd, 8)
            if outcome.fallback_reason:
                # The log mask reads a record's message, not its extra fields: every
                # registered secret is masked here (the adapters already scrub their key).
                fields["fallback_reason"] = SECRETS.mask(outcome.fallback_reason)
        log = self.logger.error if done.status >= 500 else self.logger.info
        log("%s %s %d", done.method, done.path, done.status, extra=fields)

    def _measure(self, done: Invocation, latency_ms: float, request_id: str | None) -> None:
        units = self._units
        try:
            metrics = self._metrics
            outcome = done.outcome
            usage = outcome.usage if outcome is not None else None
            metrics.add_dimension(name="source", value=done.source)
            metrics.add_metadata(key="request_id", value=request_id)
            count = units.Count
            metrics.add_metric(name="Requests", unit=count, value=1)
            hit = outcome is not None and outcome.cache_hit
            metrics.add_metric(name="CacheHits", unit=count, value=int(hit))
            fell_back = outcome is not None and outcome.fell_back
            metrics.add_metric(name="Fallbacks", unit=count, value=int(fell_back))
            metrics.add_metric(name="ServerErrors", unit=count, value=int(done.status >= 500))
            metrics.add_metric(name="LlmCalls", unit=count, value=usage.calls if usage else 0)
            tokens = usage.prompt_tokens + usage.completion_tokens if usage else 0
            metrics.add_metric(name="LlmTokens", unit=count, value=tokens)
            cost = usage.cost_usd if usage else 0.0
            metrics.add_metric(name="LlmCostUsd", unit=units.NoUnit, value=cost)
            metrics.add_metric(name="Latency", unit=units.Milliseconds, value=latency_ms)
            metrics.flush_metrics()
        except Exception as exc:  # metrics never fail a request that was answered
            self._metrics.clear_metrics()
            self.logger.warning("could not emit request metrics: %s", type(exc).__name__)


def _route(name: str, handler: logging.Handler, level: str) -> None:
    """``name``'s lines through the JSON handler only (not the runtime's plain root handler)."""
    target = logging.getLogger(name)
    target.handlers = [handler]
    target.propagate = False
    target.setLevel(level)


def _request_id(event: Any, context: Any) -> str | None:
    """API Gateway's (or the function URL's) request id, which its access log and its
    ``apigw-requestid`` answer header carry; Lambda's own when the event has none."""
    request_context = event.get("requestContext") if isinstance(event, Mapping) else None
    if isinstance(request_context, Mapping):
        found = request_context.get("requestId")
        if isinstance(found, str) and found:
            return found
    own = getattr(context, "aws_request_id", None)
    return own if isinstance(own, str) else None


def start_tracer(service: str) -> Any:
    """Powertools' Tracer, for a function deployed with tracing on (``MOCKMIND_TRACING=1``).

    Called by the handler before it builds the app: the X-Ray SDK patches botocore's client
    class and replaces ``httpx.AsyncClient``, so that the DynamoDB, S3 and Secrets Manager
    calls and the LLM providers' are subsegments of the request's, and only clients made
    after the patch are traced. The SDK loads here (Powertools imports it lazily): an
    untraced function never loads it.
    """
    from aws_lambda_powertools import Tracer  # noqa: PLC0415

    return Tracer(service=service)


def _annotate(segment: Any, done: Invocation, service: str) -> None:
    """Indexed annotations, for X-Ray's filter expressions (``annotation.source = "llm"``)."""
    segment.put_annotation(key="Service", value=service)
    segment.put_annotation(key="source", value=done.source)
    segment.put_annotation(key="status", value=done.status)
    if done.outcome is not None and done.outcome.session_id is not None:
        segment.put_annotation(key="session_id", value=done.outcome.session_id)
