"""The Lambda entry point: ``mockmind.handler.handler``.

The app is built once, at import (the cold start), from ``MOCKMIND_CONFIG``; warm invocations
reuse it, its stores and its parsed OpenAPI document. The config loads first so that the S3
vector index can start loading in a thread while the rest of the app's modules import.
"""

from __future__ import annotations

from mockmind.app.adapter_choice import choose_adapters
from mockmind.app.cold_start import load, start_vector_memory
from mockmind.app.environment import read_environment
from mockmind.app.logging import configure_logging

_env = read_environment()
configure_logging(_env.log_level)
_loaded = load(env=_env)
_vectors = start_vector_memory(choose_adapters(_loaded.config, _env, base_dir=_loaded.base_dir))

# Imported after the index started loading, so the two overlap.
from mangum import Mangum  # noqa: E402

from mockmind.app.api import create_app  # noqa: E402
from mockmind.app.bootstrap import build  # noqa: E402

app = create_app(build(_loaded, env=_env, vector_memory=_vectors.result() if _vectors else None))
handler = Mangum(app, lifespan="off")
