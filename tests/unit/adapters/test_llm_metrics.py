from __future__ import annotations

import json

import pytest

from mockmind.adapters.llm.metrics import EmfContentMetrics
from mockmind.domain.content import ContentResult, ContentUsage


def test_one_emf_document_per_result(capsys: pytest.CaptureFixture[str]) -> None:
    usage = ContentUsage(calls=2, prompt_tokens=300, completion_tokens=50, cost_usd=0.0123)
    EmfContentMetrics(namespace="mockmind-test").observe(
        ContentResult(None, "fallback", "bad", usage, "openai", "gpt-4o-mini")
    )
    [line] = capsys.readouterr().out.strip().splitlines()
    document = json.loads(line)
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "mockmind-test"
    assert ["provider", "service"] in [sorted(d) for d in directive["Dimensions"]]
    assert document["provider"] == "openai"
    values = {name: document[name] for name in (m["Name"] for m in directive["Metrics"])}
    assert values == {
        "LlmCalls": [2.0],
        "LlmPromptTokens": [300.0],
        "LlmCompletionTokens": [50.0],
        "LlmCostUsd": [0.0123],
        "LlmFallbacks": [1.0],
        "LlmRepairs": [0.0],
    }
