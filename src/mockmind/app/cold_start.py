"""What a Lambda cold start does before the app's modules import: find and load the config,
and start loading the vector index from S3 in a thread.

Importing the app's modules is CPU work of a few hundred milliseconds; fetching the index is
mostly waiting on S3. Started first, the fetch overlaps the imports, so the cold start takes
about the longer of the two instead of their sum (bench/RESULTS.md, row 2). This module
imports only the config's own modules and the adapter choice, so that the thread starts early.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from mockmind.app.adapter_choice import AdapterChoice
from mockmind.app.environment import Environment, as_environment, read_environment
from mockmind.config import LoadedConfig, find_config_file, load_config
from mockmind.config.models import MockmindConfig, TenantsConfig

if TYPE_CHECKING:
    from mockmind.ports.vector_memory import VectorMemory


def load(
    config_file: str | os.PathLike[str] | None = None,
    openapi: str | os.PathLike[str] | None = None,
    env: Environment | Mapping[str, str] | None = None,
) -> LoadedConfig:
    """Find and load the config (``--config``, ``MOCKMIND_CONFIG``, ``./mockmind.yaml``).

    ``env`` defaults to the process's environment, read now.
    """
    environment = read_environment() if env is None else as_environment(env)
    return load_file(find_config_file(config_file, environment.variables), openapi, environment)


def load_file(
    path: Path | None, openapi: str | os.PathLike[str] | None, env: Environment
) -> LoadedConfig:
    """The config in ``path`` (None: no file, every default), ``openapi`` over its document."""
    loaded = load_config(path, env.variables) if path else LoadedConfig(MockmindConfig())
    if openapi is not None:
        spec = Path(openapi).resolve()
        loaded = LoadedConfig(
            loaded.config.model_copy(update={"openapi": str(spec)}),
            loaded.source,
            loaded.unset_variables,
        )
    return loaded


def tenants_config(loaded: LoadedConfig, env: Environment) -> TenantsConfig | None:
    """The stack's tenants: the config's section, its catalog replaced by ``MOCKMIND_TENANTS``
    when set; None when neither names a catalog (the single API)."""
    section = loaded.config.tenants
    if env.tenants:
        section = (section or TenantsConfig()).model_copy(update={"catalog": env.tenants})
    if section is None or not section.catalog:
        return None
    return section


def start_vector_memory(choice: AdapterChoice) -> Future[VectorMemory] | None:
    """The S3 vector index, loading in a thread; None when the choice has no S3 index.

    The future carries the loading's error (an unreadable shard, no such bucket): whoever
    waits on it gets the same error a load in the foreground would raise.
    """
    if choice.vectors != "s3":
        return None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mockmind-vectors")
    future = pool.submit(_load_s3_vector_memory, choice)
    pool.shutdown(wait=False)
    return future


def _load_s3_vector_memory(choice: AdapterChoice) -> VectorMemory:
    # boto3 and the adapter import here, in the thread.
    from mockmind.app.adapter_builder import build_vector_memory  # noqa: PLC0415

    memory = build_vector_memory(choice)
    assert memory is not None  # the choice has an S3 index
    return memory
