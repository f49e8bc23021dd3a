"""``mockmind proxy``: the recording reverse proxy (``app``) served with uvicorn.

Its own module, registered on the ``mockmind`` group by ``cli``: the command's options and
wiring live beside the proxy they start.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mockmind import __version__
from mockmind.adapters.llm.secret import Secret
from mockmind.app.admin_access import ADMIN_TOKEN_VARIABLE, AdminAccess
from mockmind.app.environment import read_environment
from mockmind.app.http_server import KEEP_ALIVE_SECONDS
from mockmind.app.logging import configure_logging
from mockmind.domain.error_answers import exit_code
from mockmind.domain.errors import ConfigError, MockmindError
from mockmind.openapi.document import OpenAPIDocument
from mockmind.proxy.app import ProxyApp
from mockmind.proxy.drift import DriftCheck
from mockmind.proxy.forwarding import Upstream
from mockmind.proxy.masking import Masking
from mockmind.proxy.recording import open_recorder
from mockmind.proxy.state import PROXY_PREFIX, ProxySettings


@click.command("proxy")
@click.option("--upstream", required=True, help="The real API's base URL (http or https).")
@click.option(
    "--openapi",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Check each request and answer against this document and report every mismatch.",
)
@click.option(
    "--record",
    type=click.Path(dir_okay=False),
    default=None,
    help="Record every exchange here: a HAR 1.2 file for a name ending in .har, else journal "
    "events, one JSON line each (appended to when the file exists).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=3000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True, max=600),
    help="Seconds to connect, and to wait for each part of the upstream's answer.",
)
@click.option(
    "--mask",
    multiple=True,
    metavar="NAME",
    help="Also mask this header, query parameter or body field in recordings (repeatable).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
def proxy(
    upstream: str,
    openapi: str | None,
    record: str | None,
    host: str,
    port: int,
    timeout: float,
    mask: tuple[str, ...],
    log_level: str,
) -> None:
    """Forward every request to a real API, and check and record what goes through."""
    # uvicorn ships with the `serve` extra, not in the Lambda layer.
    import uvicorn  # noqa: PLC0415

    configure_logging(log_level)
    env = read_environment()
    try:
        forwarder = Upstream(upstream, timeout=timeout)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--upstream") from None
    drift = None
    if openapi is not None:
        try:
            drift = DriftCheck(OpenAPIDocument.load(openapi))
        except MockmindError as exc:
            _fail(exc)
    recorder = None
    if record is not None:
        try:
            recorder = open_recorder(Path(record), Masking(mask))
        except (OSError, ValueError) as exc:
            raise click.BadParameter(str(exc), param_hint="--record") from None
    token = env.get(ADMIN_TOKEN_VARIABLE)
    settings = ProxySettings(
        upstream=forwarder,
        drift=drift,
        recorder=recorder,
        admin=AdminAccess(Secret(token) if token else None, in_lambda=False),
        openapi=openapi,
    )
    checked = f", checked against {openapi}" if openapi else ""
    recorded = f", recorded to {record}" if record else ""
    click.echo(
        f"mockmind {__version__} proxying http://{host}:{port} to {forwarder.url}{checked}"
        f"{recorded} (its own routes under {PROXY_PREFIX}/)",
        err=True,
    )
    uvicorn.run(
        ProxyApp(settings),
        host=host,
        port=port,
        log_level=log_level,
        access_log=log_level == "debug",
        # The upstream's own Date and Server are passed on, not uvicorn's as well.
        date_header=False,
        server_header=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


def _fail(error: MockmindError) -> None:
    if isinstance(error, ConfigError):
        click.echo(f"error: {len(error.issues)} problem(s) in the OpenAPI document:", err=True)
        for issue in error.issues:
            click.echo(f"  {issue}", err=True)
    else:
        click.echo(f"error: {error}", err=True)
    sys.exit(exit_code(error))
