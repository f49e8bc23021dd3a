"""``mockmind simulate``: the command around a Simulation (progress, report files, exit code)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mockmind.app.bootstrap import api_description, build_chat
from mockmind.app.cold_start import load
from mockmind.app.environment import read_environment
from mockmind.app.providers import LlmServices
from mockmind.domain.errors import ConfigError
from mockmind.simulation.flow import load_flow
from mockmind.simulation.html_report import html_report
from mockmind.simulation.next_step import StepChooser
from mockmind.simulation.results import Results
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
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="choose: llm flows: the config whose document and behavior_model (provider, model, "
    "key) are used (default: $MOCKMIND_CONFIG, then ./mockmind.yaml).",
)
@click.option(
    "--spec",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="choose: llm flows: the OpenAPI document whose operations the LLM picks from "
    "(overrides the config's openapi key).",
)
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
    config_file: str | None,
    spec: str | None,
) -> None:
    """Run a flow as USERS virtual users at once, each in its own session.

    A flow with ``choose: llm`` has the LLM of the config's behavior_model pick each user's
    next request from the document's operations, as its persona would.

    Exit status: 0 every check held; 1 a check failed or a request could not be sent; 2 the
    command line or the flow file is wrong (nothing was sent).
    """
    try:
        flow = load_flow(Path(flow_file))
    except ConfigError as exc:
        _refuse(f"{len(exc.issues)} problem(s) in the flow:", [str(i) for i in exc.issues])
    llm: LlmServices | None = None
    chooser: StepChooser | None = None
    if flow.choose == "llm":
        llm, chooser = _chooser(flow.persona or "", config_file, spec)
    elif config_file or spec:
        _refuse("--config and --spec are read by a flow with choose: llm only", [])
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
            flow,
            base_url,
            settings,
            progress=lambda n: progress.advance(task, n),
            chooser=chooser,
        )
        results = asyncio.run(_run(simulation, llm))
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


def _refuse(message: str, lines: list[str]) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    for line in lines:
        click.echo(f"  {line}", err=True)
    sys.exit(UNUSABLE_FLOW)


def _chooser(
    persona: str, config_file: str | None, spec: str | None
) -> tuple[LlmServices, StepChooser]:
    """The LLM and the document a choose: llm flow needs, found as ``serve`` finds them;
    refused (exit 2, nothing sent) when either is missing."""
    env = read_environment()
    try:
        loaded = load(config_file, spec, env)
        api = api_description(loaded)
    except ConfigError as exc:
        _refuse(f"{len(exc.issues)} problem(s) in the configuration:", [str(i) for i in exc.issues])
    if not api.operations():
        _refuse(
            "choose: llm picks from the API description's operations, and none was found: "
            "give --spec FILE, or --config FILE with an openapi document",
            [],
        )
    try:
        llm = build_chat(loaded, env=env)
    except ConfigError as exc:
        _refuse(f"{len(exc.issues)} problem(s) in the configuration:", [str(i) for i in exc.issues])
    if llm.chat is None:
        _refuse(f"choose: llm needs an LLM provider, and none is in use: {llm.status.reason}", [])
    temperature = loaded.config.intelligent_behavior.behavior_model.temperature
    return llm, StepChooser(llm.chat, api, persona, temperature=temperature)


async def _run(simulation: Simulation, llm: LlmServices | None) -> Results:
    # The provider's clients belong to this loop: closed in it, whatever happens.
    try:
        return await simulation.run()
    finally:
        if llm is not None:
            await llm.aclose()


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
    if report["transport_errors"]:
        console.print(
            f"{report['transport_errors']} of the failures are requests that got no answer "
            "(refused, timed out or cut off)"
        )
    llm = report.get("llm")
    if isinstance(llm, dict):
        console.print(
            f"LLM: {llm['calls']} calls, {llm['refused_answers']} answers refused, "
            f"{llm['prompt_tokens']} + {llm['completion_tokens']} tokens"
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
