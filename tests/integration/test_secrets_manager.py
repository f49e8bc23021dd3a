"""API keys from Secrets Manager (moto on loopback), and that a key never leaks."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from typing import Any

import pytest

from mockmind.adapters.aws.secrets_manager import SecretsManagerSecretProvider
from mockmind.app.bootstrap import build
from mockmind.app.logging import configure_logging
from mockmind.config import LoadedConfig
from mockmind.config.models import MockmindConfig
from mockmind.domain.errors import StoreError
from tests.support.aws import AWS_REGION, aws_client, unique_name

KEY = "sk-test-7f3c9a1e5b2d4c6f8a0b"


class _CountingClient:
    """The Secrets Manager client, counting GetSecretValue calls."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls = 0

    def get_secret_value(self, **kwargs: Any) -> Any:
        self.calls += 1
        return self._client.get_secret_value(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def client(moto_endpoint: str) -> Any:
    return aws_client("secretsmanager", moto_endpoint)


@pytest.fixture
def secret(client: Any) -> Iterator[str]:
    name = unique_name("llm-keys")
    arn: str = client.create_secret(
        Name=name, SecretString=json.dumps({"OPENAI_API_KEY": KEY, "ANTHROPIC_API_KEY": ""})
    )["ARN"]
    yield arn
    client.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


def test_reads_a_key_from_the_json_secret(client: Any, secret: str) -> None:
    provider = SecretsManagerSecretProvider(client, secret)
    assert provider.get("OPENAI_API_KEY") == KEY
    # An empty value is no key.
    assert provider.get("ANTHROPIC_API_KEY") is None


def test_a_found_value_is_cached_for_max_age(client: Any, secret: str) -> None:
    counting = _CountingClient(client)
    provider = SecretsManagerSecretProvider(counting, secret, max_age=300)  # type: ignore[arg-type]
    for _ in range(5):
        assert provider.get("OPENAI_API_KEY") == KEY
    assert counting.calls == 1


def test_a_missing_value_is_never_cached(client: Any, secret: str) -> None:
    counting = _CountingClient(client)
    provider = SecretsManagerSecretProvider(counting, secret, max_age=300)  # type: ignore[arg-type]
    assert provider.get("ANTHROPIC_API_KEY") is None
    client.put_secret_value(
        SecretId=secret,
        SecretString=json.dumps({"OPENAI_API_KEY": KEY, "ANTHROPIC_API_KEY": "sk-ant-filled"}),
    )
    # Filled in after the first read: found at once, not after max_age.
    assert provider.get("ANTHROPIC_API_KEY") == "sk-ant-filled"


def test_a_missing_secret_is_no_key(client: Any) -> None:
    provider = SecretsManagerSecretProvider(client, "no-such-secret")
    assert provider.get("OPENAI_API_KEY") is None


def test_bootstrap_reads_keys_from_the_named_secret(moto_endpoint: str, secret: str) -> None:
    env = {
        "MOCKMIND_SECRET_ARN": secret,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_REGION": AWS_REGION,
    }
    container = build(LoadedConfig(MockmindConfig()), env=env)
    assert isinstance(container.secrets, SecretsManagerSecretProvider)
    assert container.secrets.get("OPENAI_API_KEY") == KEY


def _everything_said(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))


@pytest.fixture
def debug_logging() -> Iterator[None]:
    """The app's logging at DEBUG, as LogLevel=DEBUG deploys it; the levels restored after."""
    names = ("mockmind", "botocore", "boto3", "urllib3")
    levels = {name: logging.getLogger(name).level for name in names}
    configure_logging("debug")
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("debug_logging")
def test_a_key_never_appears_in_logs_or_errors(
    client: Any, secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = SecretsManagerSecretProvider(client, secret)
    assert provider.get("OPENAI_API_KEY") == KEY
    assert KEY not in repr(provider)

    # A secret that is not JSON: its text holds the key, the error must not.
    client.put_secret_value(SecretId=secret, SecretString=f"OPENAI_API_KEY={KEY}")
    with pytest.raises(StoreError) as not_json:
        SecretsManagerSecretProvider(client, secret).get("OPENAI_API_KEY")
    assert "JSON object" in str(not_json.value)
    assert KEY not in _everything_said(not_json.value)

    # An AWS failure: the message names the code, and no chained exception carries more.
    broken = aws_client("secretsmanager", "http://127.0.0.1:9", config=_no_retries())
    with pytest.raises(StoreError) as outage:
        SecretsManagerSecretProvider(broken, secret).get("OPENAI_API_KEY")
    assert "EndpointConnectionError" in str(outage.value)
    assert outage.value.__cause__ is None

    # Debug logging is on for the app, so the check below is not vacuous.
    assert logging.getLogger("mockmind").isEnabledFor(logging.DEBUG)
    assert KEY not in caplog.text


def _no_retries() -> Any:
    from botocore.config import Config

    return Config(retries={"total_max_attempts": 1}, connect_timeout=1)
