"""The environment, read once into typed settings."""

from __future__ import annotations

import pytest

from mockmind.app.environment import (
    WORKER_VARIABLE,
    Environment,
    as_environment,
    hand_to_workers,
    read_environment,
)


def test_variables_become_settings() -> None:
    env = Environment.from_mapping(
        {
            "MOCKMIND_CONFIG": "/c.yaml",
            "MOCKMIND_STORAGE": "aws",
            "MOCKMIND_TABLE": "t",
            "MOCKMIND_BUCKET": "b",
            "MOCKMIND_VECTOR_PREFIX": "v2/",
            "MOCKMIND_SECRET_ID": "by-id",
            "MOCKMIND_EMF": "1",
            "AWS_LAMBDA_FUNCTION_NAME": "mockmind",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "OLLAMA_HOST": "gpu:11434",
            "POWERTOOLS_LOG_LEVEL": "DEBUG",
        }
    )
    assert (env.config_file, env.storage, env.table, env.bucket) == ("/c.yaml", "aws", "t", "b")
    assert (env.vector_prefix, env.secret_id, env.emf, env.in_lambda) == (
        "v2/",
        "by-id",
        True,
        True,
    )
    assert (env.region, env.ollama_host, env.log_level) == ("eu-west-1", "gpu:11434", "DEBUG")


def test_empty_is_unset_except_the_vector_prefix() -> None:
    env = Environment.from_mapping(
        {"MOCKMIND_STORAGE": "", "MOCKMIND_CONFIG": "", "MOCKMIND_VECTOR_PREFIX": "", "K": ""}
    )
    assert (env.storage, env.config_file, env.get("K"), env.vector_prefix) == (None, None, None, "")
    assert Environment.from_mapping({}).vector_prefix == "vectors/"


def test_secret_arn_before_id_and_region_before_default_region() -> None:
    env = Environment.from_mapping(
        {
            "MOCKMIND_SECRET_ARN": "arn",
            "MOCKMIND_SECRET_ID": "id",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
        }
    )
    assert (env.secret_id, env.region) == ("arn", "us-east-1")


def test_endpoints_follow_boto3_precedence() -> None:
    env = Environment.from_mapping(
        {"AWS_ENDPOINT_URL": "http://all:4566", "AWS_ENDPOINT_URL_DYNAMODB": "http://ddb:8000"}
    )
    assert env.endpoint("dynamodb") == "http://ddb:8000"
    assert env.endpoint("s3") == env.endpoint("secretsmanager") == "http://all:4566"
    assert Environment.from_mapping({}).endpoint("s3") is None


def test_the_variables_are_a_read_only_copy() -> None:
    source = {"A": "1"}
    env = as_environment(source)
    source["A"] = "2"
    assert env.get("A") == "1"
    with pytest.raises(TypeError):
        env.variables["A"] = "3"  # type: ignore[index]
    assert as_environment(env) is env


def test_read_environment_reads_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKMIND_TABLE", "from-process")
    assert read_environment().table == "from-process"


def test_what_serve_hands_its_workers_is_in_their_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Set first, so that the test's end puts the variable back as it was.
    monkeypatch.setenv(WORKER_VARIABLE, "")
    assert read_environment().worker is None
    hand_to_workers('{"config_file": null}')
    assert read_environment().worker == '{"config_file": null}'


def test_telemetry_settings_and_their_defaults() -> None:
    env = Environment.from_mapping(
        {
            "MOCKMIND_TRACING": "1",
            "POWERTOOLS_SERVICE_NAME": "shop-mock",
            "POWERTOOLS_METRICS_NAMESPACE": "MockMind",
        }
    )
    assert (env.tracing, env.service_name, env.metrics_namespace) == (
        True,
        "shop-mock",
        "MockMind",
    )
    # As the template sets them when its Tracing parameter is PassThrough, or leaves them.
    for variables in ({"MOCKMIND_TRACING": "0"}, {}):
        env = Environment.from_mapping(variables)
        assert (env.tracing, env.service_name, env.metrics_namespace) == (
            False,
            "mockmind",
            "mockmind",
        )
