"""What a Lambda cold start does before the app's modules import: find and load the config,
and start loading the vector index from S3 in a thread.

Importing the app's modules is CPU work of a few hundred milliseconds; fetching the index is
mostly waiting on S3. Started first, the fetch overlaps the imports, so the cold start takes
about the longer of the two instead of their sum (bench/RESULTS.md, row 2). This module
imports only the config's own modules, so that the thread starts early.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from mockmind.config import LoadedConfig, find_config_file, load_config
from mockmind.config.models import MockmindConfig

if TYPE_CHECKING:
    from mockmind.ports.vector_memory import VectorMemory


def load(
    config_file: str | os.PathLike[str] | None = None,
    openapi: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> LoadedConfig:
    """Find and load the config (``--config``, ``MOCKMIND_CONFIG``, ``./mockmind.yaml``)."""
    env = os.environ if env is None else env
    path = find_config_file(config_file, env)
    loaded = load_config(path, env) if path else LoadedConfig(MockmindConfig())
    if openapi is not None:
        spec = Path(openapi).resolve()
        loaded = LoadedConfig(
            loaded.config.model_copy(update={"openapi": str(spec)}),
            loaded.source,
            loaded.unset_variables,
        )
    return loaded


def storage_backend(config: MockmindConfig, env: Mapping[str, str]) -> str:
    """``MOCKMIND_STORAGE``, else the config's backend; in Lambda, aws unless the config names one.

    In Lambda, memory would keep state per execution environment only.
    """
    chosen = env.get("MOCKMIND_STORAGE")
    if chosen:
        return chosen
    if "backend" not in config.storage.model_fields_set and env.get("AWS_LAMBDA_FUNCTION_NAME"):
        return "aws"
    return config.storage.backend


def start_vector_memory(
    config: MockmindConfig, env: Mapping[str, str]
) -> Future[VectorMemory] | None:
    """The S3 vector index, loading in a thread; None when it is not S3's to load.

    The future carries the loading's error (a missing bucket, an unreadable shard): whoever
    waits on it gets the same error a load in the foreground would raise.
    """
    if not config.intelligent_behavior.vector_store.enabled:
        return None
    if storage_backend(config, env) != "aws":
        return None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mockmind-vectors")
    future = pool.submit(_load_s3_vector_memory, config, dict(env))
    pool.shutdown(wait=False)
    return future


def _load_s3_vector_memory(config: MockmindConfig, env: Mapping[str, str]) -> VectorMemory:
    # boto3 and the adapter import here, in the thread.
    from mockmind.app.aws import s3_vector_memory  # noqa: PLC0415

    return s3_vector_memory(config, env)
