"""The Lambda entry point: ``mockmind.handler.handler``.

The app is built once, at import (the cold start), from ``MOCKMIND_CONFIG``; warm invocations
reuse it, its stores and its parsed OpenAPI document. The config loads first so that the S3
vector index can start loading in a thread while the rest of the app's modules import.

With tenants (``MOCKMIND_TENANTS``, the template's ``Tenants`` parameter, or the config's
``tenants`` section) the function serves the tenant front instead (``app/tenant_front.py``):
each tenant's world is built on its first request in this environment and kept while warm.
"""

from __future__ import annotations

import gc

# The cold start makes a hundred thousand objects and little garbage: the cycle collector's
# passes over them are wasted work (a hundred and sixty passes over a growing heap). It is off
# until the app is built; in Lambda, what the start made is then frozen, so that later
# collections (between requests) skip it too. The few thousand cyclic objects the start leaves
# are kept rather than paid for with a full collection (SnapStart collects them before its
# snapshot: snapstart.py).
gc.disable()
try:
    from mockmind.app.pydantic_plugins import skip_plugin_discovery
    from mockmind.lean_dataclass import lean_everywhere

    # Before pydantic is imported: its dataclasses and annotated_types' (fifty) compile their
    # __init__ when first used, as the package's own do (lean_dataclass.py).
    lean_everywhere()

    # Before the config's models are built (app/pydantic_plugins.py).
    skip_plugin_discovery()

    from mockmind.app.adapter_choice import choose_adapters
    from mockmind.app.cold_start import load, start_vector_memory, tenants_config
    from mockmind.app.environment import read_environment
    from mockmind.app.logging import configure_logging

    _env = read_environment()
    configure_logging(_env.log_level)
    _tracer = None
    if _env.in_lambda and _env.tracing:
        # Before any client is made: the X-Ray SDK traces only those made after it patched.
        from mockmind.app.lambda_telemetry import start_tracer

        _tracer = start_tracer(_env.service_name)
    _loaded = load(env=_env)
    _tenants = tenants_config(_loaded, _env)
    # The stack's own config serves no API of its own in tenant mode: no index to load.
    _vectors = None
    if _tenants is None:
        _vectors = start_vector_memory(
            choose_adapters(_loaded.config, _env, base_dir=_loaded.base_dir)
        )

    # Imported after the index started loading, so the two overlap.
    from mockmind.app.api import create_app
    from mockmind.app.bootstrap import build
    from mockmind.app.lambda_entry import LambdaEntry
    from mockmind.app.lambda_telemetry import TelemetrySettings
    from mockmind.app.snapstart import register_restore_hooks

    _telemetry = TelemetrySettings.from_environment(_env) if _env.in_lambda else None
    if _tenants is None:
        app = create_app(
            build(_loaded, env=_env, vector_memory=_vectors.result() if _vectors else None)
        )
        # Mangum behind a check of the event: a malformed one is answered 400, never raised.
        # In Lambda, each request is one JSON log line and one EMF metrics document
        # (Powertools).
        handler = LambdaEntry(
            app, deliveries=app.container.deliveries, telemetry=_telemetry, tracer=_tracer
        )
        # With SnapStart, the logger and metrics are built into the snapshot.
        register_restore_hooks(app.container, prepare=handler.telemetry)
    else:
        from mockmind.app.tenant_front import tenant_front

        front = tenant_front(_tenants, _env, base_dir=_loaded.base_dir)
        handler = LambdaEntry(
            front, telemetry=_telemetry, tracer=_tracer, tenant_deliveries=front.deliveries
        )
        # The catalog's S3 client is in the snapshot; the worlds are built after it.
        register_restore_hooks(None, prepare=handler.telemetry)
    if _env.in_lambda:
        gc.freeze()
finally:
    gc.enable()
