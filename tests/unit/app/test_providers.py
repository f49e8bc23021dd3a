"""Choosing and building the providers from the config, the keys and the environment."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import httpx
import pytest

from mockmind.adapters.llm.anthropic import AnthropicChat
from mockmind.adapters.llm.hashed_embedder import LocalHashedEmbedder
from mockmind.adapters.llm.metrics import EmfContentMetrics
from mockmind.adapters.llm.ollama import OllamaChat, OllamaEmbeddings
from mockmind.adapters.llm.openai import OpenAIChat, OpenAIEmbeddings
from mockmind.app.providers import LlmServices, build_llm_services
from mockmind.config.models import BehaviorModelConfig, VectorStoreConfig
from mockmind.domain.prompts import Prompt

KEY = "sk-unit-0123456789abcdef"


class Secrets:
    def __init__(self, values: dict[str, str] | None = None, fail: bool = False) -> None:
        self.values = values or {}
        self.fail = fail
        self.asked: list[str] = []

    def get(self, name: str) -> str | None:
        self.asked.append(name)
        if self.fail:
            raise RuntimeError(f"AccessDenied for {KEY}")
        return self.values.get(name)


def services(
    behavior: dict[str, Any] | None = None,
    vectors: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    secrets: Secrets | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> LlmServices:
    return build_llm_services(
        BehaviorModelConfig.model_validate(behavior or {}),
        VectorStoreConfig.model_validate(vectors or {}),
        secrets or Secrets(),
        env or {},
        transport=transport,
    )


def summary(built: LlmServices) -> tuple[str | None, str, str, str | None, str | None]:
    s = built.status
    return s.configured, s.in_use, s.reason, s.model, s.endpoint


def test_nothing_configured_is_offline() -> None:
    built = services()
    assert built.chat is None
    assert built.content is None
    assert summary(built) == (
        None,
        "offline",
        "no LLM provider configured and none of OPENAI_API_KEY, ANTHROPIC_API_KEY, "
        "OLLAMA_HOST is set",
        None,
        None,
    )
    assert isinstance(built.embedder, LocalHashedEmbedder)


def test_explicit_offline() -> None:
    built = services({"llm_provider": "offline"}, env={"OPENAI_API_KEY": KEY})
    assert summary(built)[:3] == ("offline", "offline", "llm_provider is offline")


def test_configured_openai_without_key_says_which_variable() -> None:
    built = services({"llm_provider": "openai"})
    assert summary(built)[:3] == (
        "openai",
        "offline",
        "no API key for openai (OPENAI_API_KEY is unset)",
    )


@pytest.mark.parametrize("source", ["config", "env", "secret"])
def test_key_sources(source: str) -> None:
    behavior: dict[str, Any] = {"llm_provider": "openai", "model": "gpt-4o-mini"}
    env: dict[str, str] = {}
    secrets = Secrets()
    if source == "config":
        behavior["api_key"] = KEY
    elif source == "env":
        env["OPENAI_API_KEY"] = KEY
    else:
        secrets.values["OPENAI_API_KEY"] = KEY
    built = services(behavior, env=env, secrets=secrets)
    assert isinstance(built.chat, OpenAIChat)
    assert summary(built) == (
        "openai",
        "openai",
        "configured",
        "gpt-4o-mini",
        "https://api.openai.com",
    )
    assert secrets.asked == (["OPENAI_API_KEY"] if source == "secret" else [])


def test_a_failing_secret_store_means_no_key(caplog: pytest.LogCaptureFixture) -> None:
    built = services({"llm_provider": "anthropic"}, secrets=Secrets(fail=True))
    assert built.status.in_use == "offline"
    assert "could not read secret ANTHROPIC_API_KEY: RuntimeError" in caplog.text
    assert KEY not in caplog.text


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"OPENAI_API_KEY": KEY}, ("openai", "gpt-3.5-turbo", "OPENAI_API_KEY is set")),
        (
            {"OPENAI_API_KEY": KEY, "ANTHROPIC_API_KEY": KEY, "OLLAMA_HOST": "h"},
            ("openai", "gpt-3.5-turbo", "OPENAI_API_KEY is set"),
        ),
        (
            {"ANTHROPIC_API_KEY": KEY, "OLLAMA_HOST": "h"},
            ("anthropic", "claude-3-5-haiku-latest", "ANTHROPIC_API_KEY is set"),
        ),
        ({"OLLAMA_HOST": "0.0.0.0:11434"}, ("ollama", "llama3.2", "OLLAMA_HOST is set")),
    ],
)
def test_automatic_choice_from_the_environment(
    env: dict[str, str], expected: tuple[str, str, str]
) -> None:
    built = services(env=env)
    provider, model, why = expected
    assert (built.status.in_use, built.status.model) == (provider, model)
    assert built.status.reason.startswith(f"chosen automatically: {why}")
    assert built.status.configured is None


def test_automatic_ollama_host_is_normalised() -> None:
    built = services(env={"OLLAMA_HOST": "0.0.0.0:11434"})
    assert isinstance(built.chat, OllamaChat)
    assert built.status.endpoint == "http://127.0.0.1:11434"
    assert services(env={"OLLAMA_HOST": "gpu-box"}).status.endpoint == "http://gpu-box:11434"


@pytest.mark.parametrize(
    ("behavior", "provider", "endpoint"),
    [
        ({"api_endpoint": "http://localhost:11434"}, "ollama", "http://localhost:11434"),
        (
            {"api_endpoint": "http://localhost:8000/v1/"},
            "openai_compatible",
            "http://localhost:8000",
        ),
        (
            {"api_key": KEY, "model": "claude-3-haiku-20240307"},
            "anthropic",
            "https://api.anthropic.com",
        ),
        ({"api_key": KEY}, "openai", "https://api.openai.com"),
    ],
)
def test_automatic_choice_from_the_config(
    behavior: dict[str, Any], provider: str, endpoint: str
) -> None:
    # The configured key or endpoint wins over the environment.
    built = services(behavior, env={"ANTHROPIC_API_KEY": "other"})
    assert (built.status.in_use, built.status.endpoint) == (provider, endpoint)


def test_openai_compatible_needs_an_endpoint_but_no_key() -> None:
    missing = services({"llm_provider": "openai_compatible"})
    assert missing.status.reason == "openai_compatible needs api_endpoint, which is unset"
    built = services({"llm_provider": "openai_compatible", "api_endpoint": "http://gw:9000"})
    assert isinstance(built.chat, OpenAIChat)
    assert built.chat.name == "openai_compatible"


def test_anthropic_configured_keeps_a_claude_model() -> None:
    built = services(
        {"llm_provider": "anthropic", "model": "claude-3-haiku-20240307"},
        env={"ANTHROPIC_API_KEY": KEY},
    )
    assert isinstance(built.chat, AnthropicChat)
    assert built.status.model == "claude-3-haiku-20240307"


def test_user_info_in_an_endpoint_is_not_shown() -> None:
    built = services({"llm_provider": "ollama", "api_endpoint": "http://bob:hunter2@gpu:11434"})
    assert built.status.endpoint == "http://gpu:11434"
    assert "hunter2" not in json.dumps(built.health())


@pytest.mark.parametrize(
    ("vectors", "behavior", "env", "kind", "in_use", "reason"),
    [
        ({}, {}, {}, LocalHashedEmbedder, "local", "the vector store is disabled"),
        ({"enabled": True}, {}, {}, LocalHashedEmbedder, "local", "configured"),
        (
            {"enabled": True, "embedding_provider": "openai"},
            {},
            {},
            LocalHashedEmbedder,
            "local",
            "no API key for openai embeddings (OPENAI_API_KEY is unset)",
        ),
        (
            {"enabled": True, "embedding_provider": "openai"},
            {},
            {"OPENAI_API_KEY": KEY},
            OpenAIEmbeddings,
            "openai",
            "configured",
        ),
        (
            {"enabled": True, "embedding_provider": "ollama"},
            {},
            {},
            OllamaEmbeddings,
            "ollama",
            "configured",
        ),
        (
            {"enabled": True, "embedding_provider": "openai_compatible"},
            {"api_endpoint": "http://gw/v1"},
            {},
            OpenAIEmbeddings,
            "openai_compatible",
            "configured",
        ),
    ],
)
def test_embedder_choice(
    vectors: dict[str, Any],
    behavior: dict[str, Any],
    env: dict[str, str],
    kind: type,
    in_use: str,
    reason: str,
) -> None:
    built = services(behavior, vectors, env=env)
    assert isinstance(built.embedder, kind)
    assert (built.embedding_status.in_use, built.embedding_status.reason) == (in_use, reason)


def test_ollama_embeddings_do_not_use_an_openai_model_name() -> None:
    built = services(vectors={"enabled": True, "embedding_provider": "ollama"})
    assert built.embedding_status.model == "nomic-embed-text"


def test_config_reaches_the_wire_and_the_costs(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(500, json={"error": {"message": "boom"}})
        return httpx.Response(
            200,
            json={
                "model": "my-model",
                "choices": [{"message": {"content": '{"id": 1}'}}],
                "usage": {"prompt_tokens": 1000, "completion_tokens": 2000},
            },
        )

    built = services(
        {
            "llm_provider": "openai",
            "model": "my-model",
            "api_key": KEY,
            "max_tokens": 77,
            "retries": {"max_attempts": 1},
            "circuit_breaker": {"failure_threshold": 1, "cooldown_seconds": 60},
            "cost": {"prices": {"My-Model": {"prompt_per_1k": 1, "completion_per_1k": 2}}},
        },
        transport=httpx.MockTransport(handler),
    )
    content = built.content
    assert content is not None
    assert built.content is content, "one LlmContent, so single flight spans all requests"

    async def run() -> tuple[str | None, str | None]:
        first = await content.generate(Prompt("s", "u"), lambda v: [], "a")
        # The breaker (threshold 1) is open now: no call goes out.
        second = await content.generate(Prompt("s", "u"), lambda v: [], "b")
        return first.reason, second.reason

    first, second = asyncio.run(run())
    assert first == "the provider failed: HTTP 500: boom"
    # The seconds left depend on how long the test took: only the rest is exact.
    assert re.fullmatch(
        r"the provider failed: circuit breaker open after repeated provider failures; "
        r"next try in \d+s",
        second or "",
    ), second
    assert len(calls) == 1, "max_attempts 1: no retry"
    assert json.loads(calls[0].content)["max_tokens"] == 77
    health = built.health()
    assert health["provider"]["circuit"]["state"] == "open"
    assert health["costs"]["today"]["fallbacks"] == 2
    assert KEY not in json.dumps(health)

    built.breakers["chat"].record_success()
    result = asyncio.run(_once(built))
    assert result == 5.0  # 1000 tokens at $1/1K and 2000 at $2/1K, from the override


async def _once(built: LlmServices) -> float:
    try:
        assert built.content is not None
        return (await built.content.generate(Prompt("s", "u"), lambda v: [], "c")).usage.cost_usd
    finally:
        await built.aclose()


def test_metrics_are_on_in_lambda_only() -> None:
    assert services().observers == ()
    in_lambda = build_llm_services(
        BehaviorModelConfig(),
        VectorStoreConfig(),
        Secrets(),
        {"AWS_LAMBDA_FUNCTION_NAME": "mockmind"},
    )
    assert [type(o) for o in in_lambda.observers] == [EmfContentMetrics]


def test_offline_services_for_a_bare_container() -> None:
    offline = LlmServices.offline()
    assert offline.chat is None
    assert offline.health()["provider"]["in_use"] == "offline"
    assert logging.getLogger("mockmind").name == "mockmind"
