"""The commands that work from a config file: serve it, check it, provision its AWS store.

They load config and call bootstrap; they never build adapters.
"""

from __future__ import annotations

import gc
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mockmind import __version__
from mockmind.app.api import create_app
from mockmind.app.bootstrap import build
from mockmind.app.cold_start import load, tenants_config
from mockmind.app.environment import hand_to_workers, read_environment
from mockmind.app.http_server import KEEP_ALIVE_SECONDS
from mockmind.app.logging import configure_logging
from mockmind.app.workers import (
    DEFAULT_SERVER,
    SERVERS,
    WORKER_APP,
    WorkerSettings,
    check_workers,
    serve_on_granian,
)
from mockmind.cli.exits import exit_on_error
from mockmind.config.models import TenantsConfig
from mockmind.domain.errors import ConfigError, ConfigIssue

if TYPE_CHECKING:
    from mockmind.app.environment import Environment
    from mockmind.app.tenant_front import TenantFront


@click.command()
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Config file (default: $MOCKMIND_CONFIG, then ./mockmind.yaml).",
)
@click.option(
    "--openapi",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Serve this OpenAPI document (overrides the config's openapi key).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=3000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker processes; more than one needs storage sqlite or aws (a store they share).",
)
@click.option(
    "--tenants",
    "tenants_dir",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Serve each sub-folder's mockmind.yaml under /t/{folder}/ (many APIs on one server).",
)
@click.option(
    "--server",
    default=None,
    type=click.Choice(SERVERS),
    help=f"The HTTP server: uvicorn (httptools, uvloop) or granian (Rust; not with --tenants). "
    f"[default: {DEFAULT_SERVER}]",
)
def serve(
    config_file: str | None,
    openapi: str | None,
    host: str,
    port: int,
    log_level: str,
    workers: int,
    tenants_dir: str | None,
    server: str | None,
) -> None:
    """Serve the mock API over HTTP."""
    configure_logging(log_level)
    # The start makes a million objects (a big document's nodes, its operations) and little
    # garbage: the cycle collector's passes over them were a fifth of building GitHub's API.
    # Off until the app is built; what the start made is then frozen, so that collections
    # while serving skip it too (as the Lambda handler does).
    gc.disable()
    try:
        env = read_environment()
        with exit_on_error():
            loaded = load(config_file, openapi, env)
            tenants = tenants_config(loaded, env)
            if tenants_dir is not None:
                # The config's tenants section, if any, says how; the folder is the catalog.
                section = loaded.config.tenants or TenantsConfig()
                tenants = section.model_copy(update={"catalog": str(Path(tenants_dir).resolve())})
            if tenants is not None:
                front = _tenant_front(tenants, workers, server, env, loaded.base_dir)
            else:
                check_workers(workers, loaded, env)
                # With workers too: a bad config ends the command here, and the seeds are
                # written once.
                container = build(loaded, env=env)
    except BaseException:
        gc.enable()  # a refused start (or a test invoking it) keeps its collections
        raise
    gc.freeze()
    # The young generation's threshold stays uvicorn's and Python's (700): a served request
    # frees by reference counting nearly all it makes, so collections are rare (5000 requests
    # of the throughput rows: cache 5, store 9, offline 40 young collections, 3.5 us a
    # request), and a threshold of 7000 saved no instructions a request (callgrind, s31).
    gc.enable()
    if tenants is not None:
        names = front.worlds.catalog.names()
        click.echo(
            f"mockmind {__version__} serving {len(names)} tenants from {tenants.catalog} "
            f"({', '.join(names[:10])}{', ...' if len(names) > 10 else ''}) under "
            f"http://{host}:{port}/t/{{tenant}}/",
            err=True,
        )
        _run_uvicorn(front, host=host, port=port, log_level=log_level)
        return
    processes = f" in {workers} worker processes" if workers > 1 else ""
    click.echo(
        f"mockmind {__version__} serving {container.api.summary()} on http://{host}:{port}"
        f"{processes}",
        err=True,
    )
    if (server or DEFAULT_SERVER) == "granian":
        # Granian runs the app in worker processes it starts, even one: forked, they serve
        # the app built here; spawned, each builds it from what was checked here.
        serve_on_granian(
            container,
            WorkerSettings.of(loaded, openapi, log_level),
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
        )
        return
    if workers == 1:
        _run_uvicorn(create_app(container), host=host, port=port, log_level=log_level)
        return
    del container  # each worker builds its own
    hand_to_workers(WorkerSettings.of(loaded, openapi, log_level).model_dump_json())
    _run_uvicorn(
        WORKER_APP, host=host, port=port, log_level=log_level, factory=True, workers=workers
    )


def _tenant_front(
    tenants: TenantsConfig, workers: int, server: str | None, env: Environment, base_dir: Path
) -> TenantFront:
    if workers > 1:
        raise ConfigError(
            [ConfigIssue("tenants", "--workers > 1 serves a single API, not tenants")]
        )
    if server == "granian":
        # granian builds its app in worker processes from handed-over settings; the
        # tenant front, with its catalog and built worlds, lives in this process.
        raise ConfigError(
            [
                ConfigIssue(
                    "tenants",
                    "--server granian serves a single API: tenants "
                    "are served on uvicorn (leave --server out)",
                )
            ]
        )
    # The tenant front's admin is a FastAPI app: its import (a second of CPU on a
    # loaded machine) is for tenants only, not a single API's start.
    from mockmind.app.tenant_front import tenant_front  # noqa: PLC0415

    return tenant_front(tenants, env, base_dir=base_dir)


def _run_uvicorn(app: Any, *, host: str, port: int, log_level: str, **more: Any) -> None:
    """Serve on uvicorn until stopped, with the keep-alive every served app gets."""
    # uvicorn ships with the `serve` extra, not in the Lambda layer.
    import uvicorn  # noqa: PLC0415

    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=log_level == "debug",
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        http=_http_protocol(),
        **more,
    )


def _http_protocol() -> Any:
    """uvicorn's httptools protocol sending each answer in one write (app/uvicorn_protocol.py),
    or uvicorn's own choice where httptools is not installed (the serve extra installs it)."""
    if importlib.util.find_spec("httptools") is None:
        return "auto"
    from mockmind.app.uvicorn_protocol import CoalescingHttpToolsProtocol  # noqa: PLC0415

    return CoalescingHttpToolsProtocol


@click.command("validate-config")
@click.argument("file", type=click.Path(dir_okay=False))
def validate_config(file: str) -> None:
    """Check a config file (and its OpenAPI document): a summary, or every error with its line."""
    configure_logging("error")
    with exit_on_error():
        loaded = load(Path(file), env=read_environment())
        # Checking a config must not write to its store (the shared seed set, a DynamoDB table).
        container = build(loaded, env={"MOCKMIND_STORAGE": "memory"})
    config = loaded.config
    rules = config.intelligent_behavior.behavior_model.rules
    unset = (
        f"; unset variables: {', '.join(loaded.unset_variables)}" if loaded.unset_variables else ""
    )
    click.echo(
        f"ok: {file}: {container.api.summary()}, "
        f"{len(rules.consistency_rules)} rules, {len(rules.schemas)} schemas, "
        f"storage {config.storage.backend}, provider {container.provider.configured or 'none'}"
        f"{unset}"
    )
    # Served repaired (or as they are, with examples: as_is), so not an error; but checking a
    # config is where a team wants to hear of them.
    problems = container.api.example_problems()
    if problems:
        mode = "as they are" if config.examples == "as_is" else "repaired"
        click.echo(f"{len(problems)} example(s) break their schema (served {mode}):")
        for problem in problems:
            click.echo(f"  {problem}")


@click.command("init-aws")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Config file whose storage.table and storage.bucket to use.",
)
def init_aws(config_file: str | None) -> None:
    """Create the DynamoDB table (TTL on expires_at) and the S3 bucket; safe to run again.

    Names come from MOCKMIND_TABLE and MOCKMIND_BUCKET (or storage.table and storage.bucket);
    AWS_ENDPOINT_URL points it at a local emulator.
    """
    # boto3 loads only for this command.
    from mockmind.app.aws import init_aws as provision  # noqa: PLC0415

    configure_logging("warning")
    env = read_environment()
    with exit_on_error():
        done = provision(load(config_file, env=env).config, env)
    table = f"table {done.table} (TTL on expires_at)"
    click.echo(f"created {table}" if done.table_created else f"{table} already exists")
    if done.bucket is None:
        click.echo("no bucket named (set MOCKMIND_BUCKET or storage.bucket); skipped")
    elif done.bucket_created:
        click.echo(f"created bucket {done.bucket}")
    else:
        click.echo(f"bucket {done.bucket} already exists")
