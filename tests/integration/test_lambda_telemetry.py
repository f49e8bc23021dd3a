"""What the Lambda handler writes to stdout (what CloudWatch Logs receives): one JSON line per
request with its request id, session id and source, one EMF metrics document per request, and
X-Ray subsegments only when tracing is switched on (app/lambda_telemetry.py).

The handler runs in its own interpreter, as in Lambda (``AWS_LAMBDA_FUNCTION_NAME`` set), so
that Powertools' logging set-up stays out of this test process. The model is a loopback fake
of OpenAI's API (tests/support/fake_provider.py), and X-Ray's daemon a UDP socket here.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_provider import FakeProvider, Reply, Seen, openai_chat, serve
from tests.support.paths import EVENTS

KEY = "sk-obs-test-0123456789abcdefXYZ"
SESSION = "obs-session-1"
# One call's usage in the fake's answers (120 prompt, 30 completion tokens) at gpt-4o-mini's
# list price (domain/costs.py): $0.00015 and $0.0006 per 1,000 tokens.
CALL_COST = (120 * 0.00015 + 30 * 0.0006) / 1000

OPENAPI = """
openapi: 3.0.3
info: {title: telemetry, version: "1"}
paths:
  /quote:
    get:
      responses:
        "200":
          description: a quote
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Quote"}
  /broken:
    get:
      responses:
        "200":
          description: what the model cannot write
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Quote"}
  /leak:
    get:
      responses:
        "200":
          description: what the provider refuses
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Quote"}
components:
  schemas:
    Quote:
      type: object
      required: [id, text]
      properties:
        id: {type: string}
        text: {type: string}
"""

CONFIG = """
openapi: openapi.yaml
intelligent_behavior:
  behavior_model:
    llm_provider: openai
    model: gpt-4o-mini
    api_key: ${OPENAI_API_KEY}
    api_endpoint: %s
    retries: {max_attempts: 1}
"""

# Runs the handler over the events in argv[1]; the last line is what the test reads besides
# the logs: each answer's status and source, and whether the X-Ray SDK was loaded.
SCRIPT = """
import json, sys
from types import SimpleNamespace
import mockmind.handler as module
events = json.load(open(sys.argv[1]))
answers = []
for n, event in enumerate(events):
    context = SimpleNamespace(
        function_name="mockmind", aws_request_id=f"lambda-{n}",
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:mockmind",
        get_remaining_time_in_millis=lambda: 29_000,
    )
    answer = module.handler(event, context)
    answers.append([answer["statusCode"], (answer.get("headers") or {}).get("x-mockmind-source")])
telemetry = module.handler.telemetry()
print(json.dumps({"answers": answers, "xray": "aws_xray_sdk" in sys.modules,
                  "tracer": telemetry.tracer is not None and not telemetry.tracer.disabled}))
"""


def _reply(seen: Seen) -> Reply:
    # The prompt shows the session's earlier requests too: the latest path is looked for first.
    prompt = json.dumps(seen.body)
    if "/leak" in prompt:
        # A provider that quotes the key it refuses, as some do.
        return Reply(401, {"error": {"message": f"Incorrect API key provided: {KEY}"}})
    if "/broken" in prompt:
        # Breaks the schema, and again after the repair prompt: the request falls back.
        return Reply(body=openai_chat('{"id": 7}'))
    return Reply(body=openai_chat('{"id": "q-1", "text": "Simple is better than complex."}'))


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProvider]:
    for server in serve():
        server.default = _reply
        yield server


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory, fake: FakeProvider) -> Path:
    folder = tmp_path_factory.mktemp("telemetry")
    (folder / "openapi.yaml").write_text(OPENAPI)
    path = folder / "mockmind.yaml"
    path.write_text(CONFIG % f"{fake.url}/v1")
    return path


def _event(path: str, request_id: str, session: str | None = SESSION) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / "get.json").read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["rawQueryString"], event["queryStringParameters"] = "", None
    event["requestContext"]["requestId"] = request_id
    if session is not None:
        event["headers"]["x-session-id"] = session
    return event


def _run(
    config: Path, events: list[dict[str, Any]], tmp_path: Path, **variables: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The JSON lines the handler printed (logs and metrics) and the script's result."""
    listed = tmp_path / "events.json"
    listed.write_text(json.dumps(events))
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MOCKMIND_", "POWERTOOLS_", "AWS_XRAY", "_X_AMZN"))
        and name not in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "LAMBDA_TASK_ROOT")
    }
    env.update(
        MOCKMIND_CONFIG=str(config),
        MOCKMIND_STORAGE="memory",
        OPENAI_API_KEY=KEY,
        AWS_LAMBDA_FUNCTION_NAME="mockmind",
        POWERTOOLS_SERVICE_NAME="mockmind",
        POWERTOOLS_METRICS_NAMESPACE="MockMind",
        POWERTOOLS_LOG_LEVEL="INFO",
        **variables,
    )
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(listed)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert KEY not in out.stdout
    assert KEY not in out.stderr
    *printed, last = out.stdout.strip().splitlines()
    # Every line the handler prints while it answers is JSON: no Mangum line, no plain text.
    lines = [json.loads(line) for line in printed]
    return lines, json.loads(last)


def _logs(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if "_aws" not in line]


def _metrics(lines: list[dict[str, Any]], request_id: str) -> dict[str, Any]:
    [found] = [line for line in lines if "_aws" in line and line.get("request_id") == request_id]
    return found


def test_each_request_is_one_log_line_and_one_metrics_document(
    config: Path, fake: FakeProvider, tmp_path: Path
) -> None:
    events = [
        _event("/quote", "req-llm"),
        _event("/quote", "req-cache"),
        _event("/broken", "req-fallback"),
        _event("/leak", "req-leak"),
        _event("/__mockmind/health", "req-admin", session=None),
        {**_event("/quote", "req-refused"), "isBase64Encoded": True, "body": "not base64!"},
    ]
    lines, result = _run(config, events, tmp_path)
    assert result["answers"] == [
        [200, "llm"],
        [200, "cache"],
        [200, "fallback"],
        [200, "fallback"],
        [200, None],
        [400, None],
    ]
    logs = _logs(lines)
    # Every line names its request; the request's own line is the one with its source.
    assert all(line["request_id"].startswith("req-") for line in logs), logs
    request_lines = {line["request_id"]: line for line in logs if "source" in line}
    assert [line["request_id"] for line in logs if "source" in line] == [
        "req-llm",
        "req-cache",
        "req-fallback",
        "req-leak",
        "req-admin",
        "req-refused",
    ]
    # A request that logged nothing else is exactly one line.
    for quiet in ("req-llm", "req-cache", "req-admin"):
        assert [line for line in logs if line["request_id"] == quiet] == [request_lines[quiet]]

    llm = request_lines["req-llm"]
    assert llm["message"] == "GET /quote 200"
    assert llm["level"] == "INFO"
    assert (llm["source"], llm["session_id"], llm["status"]) == ("llm", SESSION, 200)
    assert (llm["function_request_id"], llm["cold_start"], llm["new_session"]) == (
        "lambda-0",
        True,
        True,
    )
    assert (llm["llm_calls"], llm["llm_tokens"]) == (1, 150)
    assert llm["cost_usd"] == pytest.approx(CALL_COST, rel=1e-6)
    cached = request_lines["req-cache"]
    assert (cached["source"], cached["session_id"], cached["llm_calls"]) == ("cache", SESSION, 0)
    assert (cached["cold_start"], cached["new_session"], cached["cost_usd"]) == (False, False, 0)
    fell_back = request_lines["req-fallback"]
    assert (fell_back["source"], fell_back["llm_calls"], fell_back["llm_tokens"]) == (
        "fallback",
        2,
        300,
    )
    assert fell_back["fallback_reason"].startswith("answer still invalid after one repair")
    leak = request_lines["req-leak"]
    assert (leak["source"], leak["llm_calls"]) == ("fallback", 0)
    refusal = "the provider failed: HTTP 401: Incorrect API key provided: ***"
    assert leak["fallback_reason"] == refusal
    admin = request_lines["req-admin"]
    assert (admin["message"], admin["source"]) == ("GET /__mockmind/health 200", "admin")
    # No session: Powertools leaves out what is None.
    assert "session_id" not in admin
    refused = request_lines["req-refused"]
    assert (refused["message"], refused["source"], refused["status"]) == (
        "GET /quote 400",
        "refused",
        400,
    )
    # Mangum's own line per request ("GET /quote 200" at INFO, logger mangum.http) is gone.
    assert not [line for line in logs if line.get("location", "").startswith("send:")]

    expected = {
        # request id: source, CacheHits, Fallbacks, LlmCalls, LlmTokens, LlmCostUsd
        "req-llm": ("llm", 0, 0, 1, 150, CALL_COST),
        "req-cache": ("cache", 1, 0, 0, 0, 0.0),
        "req-fallback": ("fallback", 0, 1, 2, 300, 2 * CALL_COST),
        "req-leak": ("fallback", 0, 1, 0, 0, 0.0),
        "req-admin": ("admin", 0, 0, 0, 0, 0.0),
        "req-refused": ("refused", 0, 0, 0, 0, 0.0),
    }
    for request_id, (source, hits, fallbacks, calls, tokens, cost) in expected.items():
        document = _metrics(lines, request_id)
        [directive] = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "MockMind"
        assert [sorted(names) for names in directive["Dimensions"]] == [["service", "source"]]
        assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
            "Requests": "Count",
            "CacheHits": "Count",
            "Fallbacks": "Count",
            "ServerErrors": "Count",
            "LlmCalls": "Count",
            "LlmTokens": "Count",
            "LlmCostUsd": "None",
            "Latency": "Milliseconds",
        }
        assert (document["service"], document["source"]) == ("mockmind", source)
        values = {name: document[name] for name in ("Requests", "CacheHits", "Fallbacks")}
        assert values == {"Requests": [1.0], "CacheHits": [hits], "Fallbacks": [fallbacks]}
        assert (document["LlmCalls"], document["LlmTokens"]) == ([calls], [tokens])
        assert document["LlmCostUsd"] == [pytest.approx(cost, rel=1e-6)]
        assert document["ServerErrors"] == [0.0]
        assert document["Latency"][0] > 0
    # Tracing is off by default: no X-Ray SDK loaded, no tracer.
    assert (result["xray"], result["tracer"]) == (False, False)


def test_tracing_switched_on_but_disabled_builds_the_tracer_and_sends_nothing(
    config: Path, tmp_path: Path
) -> None:
    """As in tests: the template's switch on, Powertools' own POWERTOOLS_TRACE_DISABLED too."""
    lines, result = _run(
        config,
        [_event("/quote", "req-traced")],
        tmp_path,
        MOCKMIND_TRACING="1",
        POWERTOOLS_TRACE_DISABLED="true",
    )
    assert result["answers"] == [[200, "llm"]]
    assert (result["xray"], result["tracer"]) == (True, False)
    [line] = _logs(lines)
    assert (line["request_id"], line["source"]) == ("req-traced", "llm")


@pytest.fixture
def xray_daemon() -> Iterator[socket.socket]:
    """A UDP socket where the X-Ray daemon would listen: the SDK sends it each segment."""
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(10)
    try:
        yield daemon
    finally:
        daemon.close()


def test_tracing_on_sends_a_subsegment_per_request_with_its_annotations(
    config: Path, tmp_path: Path, xray_daemon: socket.socket
) -> None:
    host, port = xray_daemon.getsockname()
    lines, result = _run(
        config,
        [_event("/quote", "req-xray")],
        tmp_path,
        MOCKMIND_TRACING="1",
        # What Lambda sets in a traced function: its task root, and the invocation's trace.
        LAMBDA_TASK_ROOT=str(tmp_path),
        _X_AMZN_TRACE_ID="Root=1-6b06b8a8-0f1e2d3c4b5a69788796a5b4;Parent=53995c3f42cd8ad8;Sampled=1",
        AWS_XRAY_DAEMON_ADDRESS=f"{host}:{port}",
    )
    assert result["answers"] == [[200, "llm"]]
    assert (result["xray"], result["tracer"]) == (True, True)
    segments = []
    xray_daemon.settimeout(0.5)
    while True:
        try:
            packet = xray_daemon.recv(65536).decode()
        except TimeoutError:
            break
        header, _, body = packet.partition("\n")
        assert json.loads(header) == {"format": "json", "version": 1}
        segments.append(json.loads(body))
    [handler] = [s for s in segments if s["name"] == "## mockmind.handler"]
    assert handler["trace_id"] == "1-6b06b8a8-0f1e2d3c4b5a69788796a5b4"
    assert handler["annotations"] == {
        "Service": "mockmind",
        "source": "llm",
        "status": 200,
        "session_id": SESSION,
    }
    # The model's call (httpx, patched by the Tracer) is a subsegment of the request's.
    calls = [s for s in segments if s.get("parent_id") == handler["id"]]
    assert calls, segments
    [line] = _logs(lines)
    assert line["xray_trace_id"] == "1-6b06b8a8-0f1e2d3c4b5a69788796a5b4"
