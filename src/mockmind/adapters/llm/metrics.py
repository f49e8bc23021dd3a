"""LLM content metrics as CloudWatch Embedded Metric Format, through Powertools.

One EMF document per generated result, printed to stdout, which Lambda ships to CloudWatch Logs
where the metrics are extracted: no API call and no extra latency on the request path. A fresh
``EphemeralMetrics`` per result, because Powertools' ``Metrics`` shares one metric set across the
process and flushing it here would steal metrics a handler decorator is collecting.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mockmind.domain.content import ContentResult

logger = logging.getLogger("mockmind.metrics")


class EmfContentMetrics:
    def __init__(self, namespace: str = "mockmind", service: str = "mockmind") -> None:
        self._namespace = namespace
        self._service = service

    def observe(self, result: ContentResult) -> None:
        # Imported on the first result: an offline start (no content to measure) never loads
        # Powertools, a few tens of milliseconds of its cold start.
        from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit  # noqa: PLC0415

        try:
            metrics = EphemeralMetrics(namespace=self._namespace, service=self._service)
            metrics.add_dimension(name="provider", value=result.provider)
            usage = result.usage
            metrics.add_metric(name="LlmCalls", unit=MetricUnit.Count, value=usage.calls)
            metrics.add_metric(
                name="LlmPromptTokens", unit=MetricUnit.Count, value=usage.prompt_tokens
            )
            metrics.add_metric(
                name="LlmCompletionTokens", unit=MetricUnit.Count, value=usage.completion_tokens
            )
            metrics.add_metric(name="LlmCostUsd", unit=MetricUnit.NoUnit, value=usage.cost_usd)
            metrics.add_metric(
                name="LlmFallbacks",
                unit=MetricUnit.Count,
                value=1 if result.source == "fallback" else 0,
            )
            metrics.add_metric(
                name="LlmRepairs", unit=MetricUnit.Count, value=1 if result.repaired else 0
            )
            metrics.flush_metrics()
        except Exception as exc:  # metrics must never fail a request
            logger.warning("could not emit LLM metrics: %s", type(exc).__name__)
