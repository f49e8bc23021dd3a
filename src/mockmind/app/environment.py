"""The process environment, read once into typed settings.

``read_environment`` is the only reader of ``os.environ`` in the package: the entry points (the
Lambda handler, the CLI) call it and hand the result down; everything below them takes an
``Environment``. Empty variables count as unset, as the template sets some to "" (a parameter
left at its default). boto3 still reads its own variables (credentials, profile): that is the
SDK's business, not the app's.

``hand_to_workers`` is the one writer: ``serve --workers`` passes what its worker processes
need (``MOCKMIND_WORKER``) in the environment they inherit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import field
from types import MappingProxyType
from typing import Literal

from mockmind.lean_dataclass import dataclass

AwsService = Literal["dynamodb", "s3", "secretsmanager"]

DEFAULT_VECTOR_PREFIX = "vectors/"
DEFAULT_SERVICE = "mockmind"
WORKER_VARIABLE = "MOCKMIND_WORKER"


@dataclass(frozen=True)
class Environment:
    """What the app reads from its environment. ``variables`` keeps them all, read-only: the
    config's ``${VAR}`` references and API keys look names up there.
    """

    variables: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    config_file: str | None = None  # MOCKMIND_CONFIG
    storage: str | None = None  # MOCKMIND_STORAGE
    table: str | None = None  # MOCKMIND_TABLE
    bucket: str | None = None  # MOCKMIND_BUCKET
    vector_prefix: str = DEFAULT_VECTOR_PREFIX  # MOCKMIND_VECTOR_PREFIX
    # Where the tenants are (a folder, or s3://bucket/prefix/): serve them, not one API.
    tenants: str | None = None  # MOCKMIND_TENANTS
    secret_id: str | None = None  # MOCKMIND_SECRET_ARN, else MOCKMIND_SECRET_ID
    emf: bool = False  # MOCKMIND_EMF=1
    # X-Ray tracing through Powertools' Tracer, in Lambda: the template's Tracing parameter.
    tracing: bool = False  # MOCKMIND_TRACING=1
    service_name: str = DEFAULT_SERVICE  # POWERTOOLS_SERVICE_NAME
    metrics_namespace: str = DEFAULT_SERVICE  # POWERTOOLS_METRICS_NAMESPACE
    in_lambda: bool = False  # AWS_LAMBDA_FUNCTION_NAME is set
    region: str | None = None  # AWS_REGION, else AWS_DEFAULT_REGION
    endpoint_url: str | None = None  # AWS_ENDPOINT_URL
    service_endpoints: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    ollama_host: str | None = None  # OLLAMA_HOST
    log_level: str | None = None  # POWERTOOLS_LOG_LEVEL
    # MOCKMIND_WORKER: what `serve --workers` hands each worker process (app/workers.py).
    worker: str | None = None

    @classmethod
    def from_mapping(cls, source: Mapping[str, str]) -> Environment:
        """The settings in ``source``: a test's dict, or ``os.environ`` (``read_environment``)."""
        variables = MappingProxyType(dict(source))

        def get(name: str) -> str | None:
            return variables.get(name) or None

        services = {
            service: url
            for service in ("dynamodb", "s3", "secretsmanager")
            if (url := get(f"AWS_ENDPOINT_URL_{service.upper()}"))
        }
        return cls(
            variables=variables,
            config_file=get("MOCKMIND_CONFIG"),
            storage=get("MOCKMIND_STORAGE"),
            table=get("MOCKMIND_TABLE"),
            bucket=get("MOCKMIND_BUCKET"),
            # Unlike the others, an empty prefix is a choice: the bucket's root.
            vector_prefix=variables.get("MOCKMIND_VECTOR_PREFIX", DEFAULT_VECTOR_PREFIX),
            tenants=get("MOCKMIND_TENANTS"),
            secret_id=get("MOCKMIND_SECRET_ARN") or get("MOCKMIND_SECRET_ID"),
            emf=variables.get("MOCKMIND_EMF") == "1",
            tracing=variables.get("MOCKMIND_TRACING") == "1",
            service_name=get("POWERTOOLS_SERVICE_NAME") or DEFAULT_SERVICE,
            metrics_namespace=get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_SERVICE,
            in_lambda=bool(get("AWS_LAMBDA_FUNCTION_NAME")),
            region=get("AWS_REGION") or get("AWS_DEFAULT_REGION"),
            endpoint_url=get("AWS_ENDPOINT_URL"),
            service_endpoints=MappingProxyType(services),
            ollama_host=get("OLLAMA_HOST"),
            log_level=get("POWERTOOLS_LOG_LEVEL"),
            worker=get(WORKER_VARIABLE),
        )

    def get(self, name: str) -> str | None:
        """Any variable by name (``${VAR}`` in the config, an API key); empty is unset."""
        return self.variables.get(name) or None

    def endpoint(self, service: AwsService) -> str | None:
        """boto3's own precedence: the service's ``AWS_ENDPOINT_URL_<SERVICE>``, then the
        global one; None for the service's public endpoint."""
        return self.service_endpoints.get(service) or self.endpoint_url


def read_environment() -> Environment:
    """The process's environment, now. Call it once, at an entry point."""
    return Environment.from_mapping(os.environ)


def hand_to_workers(value: str) -> None:
    """Set ``MOCKMIND_WORKER`` in this process's environment, which the worker processes it
    starts inherit: uvicorn spawns them afresh, so nothing else of this process reaches them."""
    os.environ[WORKER_VARIABLE] = value


def as_environment(env: Environment | Mapping[str, str]) -> Environment:
    """``env`` as settings: tests and the CLI's checks hand in a plain mapping of variables."""
    return env if isinstance(env, Environment) else Environment.from_mapping(env)
