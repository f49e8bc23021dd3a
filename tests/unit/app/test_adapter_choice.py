"""Choosing the adapters: config and environment in, a plain description out, no client built."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mockmind.adapters.llm.secret import Secret
from mockmind.app.adapter_choice import (
    AdapterChoice,
    AwsTarget,
    ChatChoice,
    EmbedderChoice,
    S3Vectors,
    choose_adapters,
    choose_llm,
)
from mockmind.app.environment import Environment
from mockmind.config import load_config
from mockmind.config.models import BehaviorModelConfig, MockmindConfig, VectorStoreConfig
from mockmind.domain.errors import ConfigError

BASE = Path("/srv/mocks")
KEY = "sk-choice-0123456789abcdef"
VECTORS_ON = {"intelligent_behavior": {"vector_store": {"enabled": True}}}


def choose(config: dict[str, Any], env: dict[str, str]) -> AdapterChoice:
    return choose_adapters(
        MockmindConfig.model_validate(config), Environment.from_mapping(env), base_dir=BASE
    )


MEMORY = AdapterChoice(
    storage="memory",
    secrets="environment",
    vectors="off",
    quantization="int8",
    aws=AwsTarget(),
)
LAMBDA = {"AWS_LAMBDA_FUNCTION_NAME": "mockmind", "AWS_REGION": "eu-west-1"}


@pytest.mark.parametrize(
    ("config", "env", "expected"),
    [
        pytest.param({}, {}, MEMORY, id="defaults"),
        pytest.param(
            {"storage": {"backend": "sqlite"}},
            {},
            AdapterChoice(
                "sqlite",
                "environment",
                "off",
                "int8",
                AwsTarget(),
                sqlite_path=BASE / "mockmind.db",
            ),
            id="sqlite-relative-to-the-config",
        ),
        pytest.param(
            {"storage": {"sqlite_path": "/var/lib/m.db"}},
            {"MOCKMIND_STORAGE": "sqlite"},
            AdapterChoice(
                "sqlite",
                "environment",
                "off",
                "int8",
                AwsTarget(),
                sqlite_path=Path("/var/lib/m.db"),
            ),
            id="MOCKMIND_STORAGE-wins",
        ),
        pytest.param(
            {},
            {**LAMBDA, "MOCKMIND_TABLE": "t"},
            AdapterChoice("aws", "environment", "off", "int8", AwsTarget("eu-west-1"), table="t"),
            id="lambda-defaults-to-aws",
        ),
        pytest.param(
            {"storage": {"backend": "memory"}},
            LAMBDA,
            AdapterChoice("memory", "environment", "off", "int8", AwsTarget("eu-west-1")),
            id="lambda-keeps-the-named-backend",
        ),
        pytest.param(
            {"storage": {"table": "from-config"}},
            {"MOCKMIND_STORAGE": "aws", "MOCKMIND_SECRET_ARN": "arn:s", "MOCKMIND_SECRET_ID": "i"},
            AdapterChoice(
                "aws",
                "secrets_manager",
                "off",
                "int8",
                AwsTarget(),
                table="from-config",
                secret_id="arn:s",
            ),
            id="secret-arn-before-id",
        ),
        pytest.param(
            {},
            {"MOCKMIND_SECRET_ID": "keys", "MOCKMIND_STORAGE": ""},
            AdapterChoice(
                "memory", "secrets_manager", "off", "int8", AwsTarget(), secret_id="keys"
            ),
            id="empty-variables-are-unset",
        ),
        pytest.param(
            VECTORS_ON,
            {},
            AdapterChoice("memory", "environment", "memory", "int8", AwsTarget()),
            id="vectors-in-memory",
        ),
        pytest.param(
            {
                "intelligent_behavior": {"vector_store": {"enabled": True, "quantization": "none"}},
                "storage": {"bucket": "b-config"},
            },
            {
                "MOCKMIND_STORAGE": "aws",
                "MOCKMIND_TABLE": "t",
                "MOCKMIND_VECTOR_PREFIX": "",
                "AWS_DEFAULT_REGION": "us-east-2",
                "AWS_ENDPOINT_URL": "http://emulator:4566",
                "AWS_ENDPOINT_URL_S3": "http://s3:9000",
            },
            AdapterChoice(
                "aws",
                "environment",
                "s3",
                "none",
                AwsTarget(
                    "us-east-2", "http://emulator:4566", "http://s3:9000", "http://emulator:4566"
                ),
                table="t",
                s3_vectors=S3Vectors("b-config", "", "none"),
            ),
            id="vectors-in-s3-at-an-emulator",
        ),
        pytest.param(
            {**VECTORS_ON, "storage": {"bucket": "b-config"}},
            {**LAMBDA, "MOCKMIND_TABLE": "t", "MOCKMIND_BUCKET": "b-env"},
            AdapterChoice(
                "aws",
                "environment",
                "s3",
                "int8",
                AwsTarget("eu-west-1"),
                table="t",
                s3_vectors=S3Vectors("b-env", "vectors/", "int8"),
            ),
            id="MOCKMIND_BUCKET-wins",
        ),
    ],
)
def test_adapter_choice(config: dict[str, Any], env: dict[str, str], expected: Any) -> None:
    assert choose(config, env) == expected


@pytest.mark.parametrize(
    ("config", "env", "key", "message"),
    [
        (
            {},
            {"MOCKMIND_STORAGE": "redis"},
            "storage.backend",
            "unknown storage backend 'redis'; use memory, sqlite or aws",
        ),
        (
            {},
            {"MOCKMIND_STORAGE": "aws"},
            "storage.table",
            "storage backend 'aws' needs a DynamoDB table: set MOCKMIND_TABLE or storage.table",
        ),
        (
            VECTORS_ON,
            {**LAMBDA, "MOCKMIND_TABLE": "t"},
            "storage.bucket",
            "the vector store on aws needs an S3 bucket: set MOCKMIND_BUCKET or storage.bucket",
        ),
    ],
)
def test_what_is_missing_is_a_config_error(
    config: dict[str, Any], env: dict[str, str], key: str, message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        choose(config, env)
    [issue] = error.value.issues
    assert (issue.path, issue.message) == (key, message)


# --------------------------------------------------------------------------- language models


def choose_models(
    behavior: dict[str, Any] | None = None,
    vectors: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    stored: dict[str, str] | None = None,
) -> tuple[ChatChoice, EmbedderChoice, bool, list[str]]:
    """The choice, and the key names it asked for (the environment, then ``stored``)."""
    environment = Environment.from_mapping(env or {})
    asked: list[str] = []

    def keys(variable: str) -> Secret | None:
        asked.append(variable)
        value = environment.get(variable) or (stored or {}).get(variable)
        return Secret(value) if value else None

    choice = choose_llm(
        BehaviorModelConfig.model_validate(behavior or {}),
        VectorStoreConfig.model_validate(vectors or {}),
        environment,
        keys,
    )
    return choice.chat, choice.embedder, choice.metrics, asked


def _chat(chat: ChatChoice) -> tuple[Any, ...]:
    return chat.configured, chat.kind, chat.reason, chat.model, chat.base_url, bool(chat.key)


NONE_SET = (
    "no LLM provider configured and none of OPENAI_API_KEY, ANTHROPIC_API_KEY, OLLAMA_HOST is set"
)


@pytest.mark.parametrize(
    ("behavior", "env", "stored", "expected", "asked"),
    [
        (
            {},
            {},
            {},
            (None, "offline", NONE_SET, None, None, False),
            ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"],
        ),
        (
            {"llm_provider": "offline"},
            {"OPENAI_API_KEY": KEY},
            {},
            ("offline", "offline", "llm_provider is offline", None, None, False),
            [],
        ),
        (
            {},
            {"OPENAI_API_KEY": KEY},
            {},
            (
                None,
                "openai",
                "chosen automatically: OPENAI_API_KEY is set",
                "gpt-3.5-turbo",
                "https://api.openai.com",
                True,
            ),
            ["OPENAI_API_KEY"],
        ),
        (
            {},
            {},
            {"ANTHROPIC_API_KEY": KEY},
            (
                None,
                "anthropic",
                "chosen automatically: ANTHROPIC_API_KEY is set; "
                "model 'gpt-3.5-turbo' is not Anthropic's",
                "claude-3-5-haiku-latest",
                "https://api.anthropic.com",
                True,
            ),
            ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"],
        ),
        (
            {},
            {"OLLAMA_HOST": "0.0.0.0:11434"},
            {},
            (
                None,
                "ollama",
                "chosen automatically: OLLAMA_HOST is set; model 'gpt-3.5-turbo' is not an "
                "Ollama model",
                "llama3.2",
                "http://127.0.0.1:11434",
                False,
            ),
            ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"],
        ),
        (
            {"api_endpoint": "http://localhost:8000/v1/", "api_key": KEY},
            {},
            {},
            (
                None,
                "openai_compatible",
                "chosen automatically: api_endpoint is set",
                "gpt-3.5-turbo",
                "http://localhost:8000",
                True,
            ),
            [],
        ),
        (
            {"llm_provider": "openai"},
            {},
            {},
            (
                "openai",
                "offline",
                "no API key for openai (OPENAI_API_KEY is unset)",
                None,
                None,
                False,
            ),
            ["OPENAI_API_KEY"],
        ),
        (
            {"llm_provider": "openai_compatible"},
            {},
            {},
            (
                "openai_compatible",
                "offline",
                "openai_compatible needs api_endpoint, which is unset",
                None,
                None,
                False,
            ),
            ["OPENAI_API_KEY"],
        ),
    ],
)
def test_chat_choice(
    behavior: dict[str, Any],
    env: dict[str, str],
    stored: dict[str, str],
    expected: tuple[Any, ...],
    asked: list[str],
) -> None:
    chat, _, _, looked_up = choose_models(behavior, env=env, stored=stored)
    assert _chat(chat) == expected
    assert looked_up == asked


@pytest.mark.parametrize(
    ("vectors", "behavior", "env", "expected"),
    [
        ({}, {}, {}, ("local", "the vector store is disabled", None, None, True)),
        ({"enabled": True}, {}, {}, ("local", "configured", None, None, False)),
        (
            {"enabled": True, "embedding_provider": "minilm"},
            {},
            {},
            ("minilm", "configured", None, None, False),
        ),
        (
            {"enabled": True, "embedding_provider": "openai"},
            {},
            {},
            (
                "local",
                "no API key for openai embeddings (OPENAI_API_KEY is unset)",
                None,
                None,
                True,
            ),
        ),
        (
            {"enabled": True, "embedding_provider": "openai"},
            {},
            {"OPENAI_API_KEY": KEY},
            ("openai", "configured", "text-embedding-ada-002", "https://api.openai.com", False),
        ),
        (
            {"enabled": True, "embedding_provider": "ollama"},
            {"llm_provider": "ollama", "api_endpoint": "http://gpu:11434/"},
            {"OLLAMA_HOST": "elsewhere"},
            ("ollama", "configured", "nomic-embed-text", "http://gpu:11434", False),
        ),
        (
            {"enabled": True, "embedding_provider": "openai_compatible"},
            {},
            {},
            (
                "local",
                "openai_compatible embeddings need api_endpoint, which is unset",
                None,
                None,
                True,
            ),
        ),
    ],
)
def test_embedder_choice(
    vectors: dict[str, Any],
    behavior: dict[str, Any],
    env: dict[str, str],
    expected: tuple[Any, ...],
) -> None:
    _, embedder, _, _ = choose_models(behavior, vectors, env)
    got = (embedder.kind, embedder.reason, embedder.model, embedder.base_url, embedder.stand_in)
    assert got == expected


@pytest.mark.parametrize(
    ("env", "metrics"),
    [({}, False), ({"AWS_LAMBDA_FUNCTION_NAME": "f"}, True), ({"MOCKMIND_EMF": "1"}, True)],
)
def test_metrics_are_chosen_in_lambda_or_on_request(env: dict[str, str], metrics: bool) -> None:
    assert choose_models(env=env)[2] is metrics


def test_choosing_imports_no_client_library() -> None:
    """Even an all-AWS choice with a provider key is made without boto3 or httpx."""
    script = """
import json, sys
from mockmind.app.adapter_choice import choose_adapters, choose_llm
from mockmind.app.environment import Environment
from mockmind.config.models import MockmindConfig
env = Environment.from_mapping({"MOCKMIND_STORAGE": "aws", "MOCKMIND_TABLE": "t",
    "MOCKMIND_BUCKET": "b", "MOCKMIND_SECRET_ARN": "arn", "OPENAI_API_KEY": "sk-x"})
behavior = {"vector_store": {"enabled": True}}
config = MockmindConfig.model_validate({"intelligent_behavior": behavior})
choice = choose_adapters(config, env)
models = config.intelligent_behavior
llm = choose_llm(models.behavior_model, models.vector_store, env, lambda name: None)
print(json.dumps([choice.storage, choice.vectors, llm.chat.kind,
    [m for m in ("boto3", "botocore", "httpx", "numpy") if m in sys.modules]]))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(out.stdout) == ["aws", "s3", "offline", []]


SHOP = Path(__file__).resolve().parents[3] / "examples" / "shop" / "mockmind.yaml"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ("auto", "offline", NONE_SET, None, None, False)),
        (
            {"OPENAI_API_KEY": "sk-1"},
            (
                "auto",
                "openai",
                "chosen automatically: api_key is set",
                "gpt-4o-mini",
                "https://api.openai.com",
                True,
            ),
        ),
        (
            {"ANTHROPIC_API_KEY": "ak-1"},
            (
                "auto",
                "anthropic",
                "chosen automatically: ANTHROPIC_API_KEY is set; "
                "model 'gpt-4o-mini' is not Anthropic's",
                "claude-3-5-haiku-latest",
                "https://api.anthropic.com",
                True,
            ),
        ),
        (
            {"OLLAMA_HOST": "0.0.0.0:11434"},
            (
                "auto",
                "ollama",
                "chosen automatically: OLLAMA_HOST is set; model 'gpt-4o-mini' is not an "
                "Ollama model",
                "llama3.2",
                "http://127.0.0.1:11434",
                False,
            ),
        ),
        (
            {"ANTHROPIC_API_KEY": "ak-1", "OLLAMA_HOST": "localhost:11434"},
            (
                "auto",
                "anthropic",
                "chosen automatically: ANTHROPIC_API_KEY is set; "
                "model 'gpt-4o-mini' is not Anthropic's",
                "claude-3-5-haiku-latest",
                "https://api.anthropic.com",
                True,
            ),
        ),
        (
            {"MOCKMIND_LLM_PROVIDER": "offline", "OPENAI_API_KEY": "sk-1"},
            ("offline", "offline", "llm_provider is offline", None, None, False),
        ),
    ],
)
def test_the_shop_picks_its_provider_from_whichever_key_or_host_is_set(
    env: dict[str, str], expected: tuple[Any, ...]
) -> None:
    # The example's own file, as `make run` loads it: its comment says a key or host enables
    # an LLM, so each must, alone.
    behavior = load_config(SHOP, env).config.intelligent_behavior.behavior_model
    chat, _, _, _ = choose_models(behavior.model_dump(), env=env)
    assert _chat(chat) == expected


def test_content_metrics_go_to_the_template_s_namespace_and_service() -> None:
    def where(env: dict[str, str]) -> tuple[str, str]:
        choice = choose_llm(
            BehaviorModelConfig(),
            VectorStoreConfig(),
            Environment.from_mapping(env),
            lambda variable: None,
        )
        return choice.metrics_namespace, choice.metrics_service

    lambda_env = {
        "AWS_LAMBDA_FUNCTION_NAME": "f",
        "POWERTOOLS_METRICS_NAMESPACE": "MockMind",
        "POWERTOOLS_SERVICE_NAME": "shop",
    }
    assert where(lambda_env) == ("MockMind", "shop")
    assert where({}) == ("mockmind", "mockmind")
