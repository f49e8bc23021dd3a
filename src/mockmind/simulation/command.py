"""``mockmind simulate``: the command around a Simulation (progress, report files, exit code)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mockmind.domain.errors import ConfigError
from mockmind.simulation.flow import load_flow
from mockmind.simulation.html_report import html_report
from mockmind.simulation.runner import Settings, Simulation

DEFAULT_URL = "http://127.0.0.1:3000"
# Exit codes: 0 every check held; 1 a check failed or a request could not be sent; 2 the
# command line (click's own code) or the flow file is wrong: nothing was sent.
CHECKS_FAILED = 1
UNUSABLE_FLOW = 2


@click.command()
@click.option("--users", default=1, show_default=True, type=click.IntRange(1, 100_000))
@click.option(
    "--flow",
    "flow_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="The flow every user runs (YAML).",
)
@click.option(
    "--url",
    default=None,
    help=f"The server (default: $MOCKMIND_URL, then {DEFAULT_URL}).",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds: users repeat the flow until then (default: run it once each).",
)
@click.option(
    "--iterations",
    type=click.IntRange(min=1),
    default=None,
    help="Times each user runs the flow (with --duration: at most this many).",
)
@click.option(
    "--think-scale",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Multiplies every think time (0: no pauses).",
)
@click.option("--seed", default="mockmind", show_default=True, help="Seeds weighted choices.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0)
@click.option("--report", "report_file", type=click.Path(dir_okay=False), default=None)
@click.option("--html", "html_file", type=click.Path(dir_okay=False), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def simulate(
    users: int,
    flow_file: str,
    url: str | None,
    duration: float | None,
    iterations: int | None,
    think_scale: float,
    seed: str,
    timeout: float,
    report_file: str | None,
    html_file: str | None,
    as_json: bool,
) -> None:
    """Run a flow as USERS virtual users at once, each in its own session.

    Exit status: 0 every check held; 1 a check failed or a request could not be sent; 2 the
    command line or the flow file is wrong (nothing was sent).
    """
    try:
        flow = load_flow(Path(flow_file))
    except ConfigError as exc:
        click.echo(f"error: {len(exc.issues)} problem(s) in the flow:", err=True)
        for issue in exc.issues:
            click.echo(f"  {issue}", err=True)
        sys.exit(UNUSABLE_FLOW)
    base_url = url or os.environ.get("MOCKMIND_URL") or DEFAULT_URL
    settings = Settings(
        users=users,
        duration_seconds=duration,
        iterations=iterations,
        think_scale=think_scale,
        timeout_seconds=timeout,
        seed=seed,
    )
    console = Console(stderr=True)
    show = console.is_terminal and not as_json
    with Progress(
        TextColumn(f"{flow.name}: {users} users"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("requests"),
        TimeElapsedColumn(),
        console=console,
        disable=not show,
    ) as progress:
        task = progress.add_task("requests", total=None)
        simulation = Simulation(
            flow, base_url, settings, progress=lambda n: progress.advance(task, n)
        )
        results = asyncio.run(simulation.run())
    report = results.to_dict()
    report["url"] = base_url
    if report_file:
        Path(report_file).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if html_file:
        Path(html_file).write_text(html_report(report), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _print(report)
    sys.exit(0 if results.ok else CHECKS_FAILED)


def _print(report: dict[str, object]) -> None:
    console = Console()
    table = Table(title=f"{report['flow']} against {report['url']}")
    for column in ("step", "requests", "statuses", "p50 ms", "p95 ms", "p99 ms", "failed"):
        table.add_column(column)
    steps = report["steps"]
    assert isinstance(steps, list)
    for step in steps:
        latency = step["latency_ms"]
        statuses = ", ".join(f"{k}: {v}" for k, v in step["statuses"].items())
        table.add_row(
            step["step"],
            str(step["requests"]),
            statuses,
            str(latency["p50"]),
            str(latency["p95"]),
            str(latency["p99"]),
            str(step["failures"]),
        )
    console.print(table)
    checks = report["checks"]
    assert isinstance(checks, dict)
    console.print(
        f"{report['requests']} requests, {report['requests_per_second']}/s; "
        f"checks passed {checks['passed']}, failed {checks['failed']}"
    )
    failures = report["failures"]
    assert isinstance(failures, list)
    for failure in failures[:20]:
        console.print(
            f"  [red]failed[/red] {failure['step']} ({failure['check']}): {failure['message']} "
            f"— session {failure['session_id']}",
            highlight=False,
        )
    if len(failures) > 20:
        console.print(f"  … {len(failures) - 20} more in the report (--report, --html)")
