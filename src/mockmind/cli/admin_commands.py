"""The commands that talk to a running server's admin routes (issue 16: see, reset, rewind
and replay what the mock did), locally or deployed.

Each command makes an ``AdminClient`` for ``--url`` (or ``MOCKMIND_URL``) with the token in
``MOCKMIND_ADMIN_TOKEN``, calls one route (``sessions --all`` follows the cursor), and prints
the answer as a table (``output``) or, with ``--json``, as the JSON the server sent. Failures
end the command with the error table's exit code (``exits.EXIT_CODES``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import click
import httpx
from rich.console import RenderableType

from mockmind.cli import output
from mockmind.cli.admin_answers import Answer, SessionPage, SessionSummary
from mockmind.cli.admin_client import AdminClient
from mockmind.cli.exits import EXIT_CODES_HELP, REPLAY_DIFFERS, exit_on_error
from mockmind.cli.progress import TransferBar
from mockmind.domain.errors import AdminAnswerUnexpected
from mockmind.lean_dataclass import dataclass

DEFAULT_URL = "http://127.0.0.1:3000"
URL_VARIABLE = "MOCKMIND_URL"
TOKEN_VARIABLE = "MOCKMIND_ADMIN_TOKEN"


@dataclass(frozen=True)
class Connection:
    """How the admin commands reach a server. The CLI uses httpx's own transport; tests pass
    an ``httpx.MockTransport`` (``CliRunner().invoke(main, args, obj=Connection(...))``)."""

    transport: httpx.BaseTransport | None = None
    timeout: float = 60.0


def _http_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        parsed = httpx.URL(value)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise click.BadParameter(f"{value!r} is not an http:// or https:// URL", ctx, param)
    return value


def admin_command[**P, R](name: str) -> Callable[[Callable[P, R]], click.Command]:
    """A command with the options every admin command has, after its own: --url and --json."""

    def decorate(function: Callable[P, R]) -> click.Command:
        command = click.command(name, epilog=EXIT_CODES_HELP)(function)
        command.params += [
            click.Option(
                ["--url"],
                metavar="URL",
                envvar=URL_VARIABLE,
                default=DEFAULT_URL,
                show_default=True,
                show_envvar=True,
                callback=_http_url,
                help=f"The server (its mock URL); the admin token is read from ${TOKEN_VARIABLE}.",
            ),
            click.Option(
                ["--json", "as_json"],
                is_flag=True,
                help="Print the server's answer as JSON, for scripts.",
            ),
        ]
        return command

    return decorate


def _client(url: str) -> AdminClient:
    connection = click.get_current_context().find_object(Connection) or Connection()
    return AdminClient(
        url,
        os.environ.get(TOKEN_VARIABLE) or None,
        transport=connection.transport,
        timeout=connection.timeout,
    )


def _instant(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """A moment given as epoch seconds, or in ISO 8601 (UTC unless it names a zone)."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is neither epoch seconds nor an ISO 8601 time", ctx, param
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


SESSION_ID = click.argument("session_id", metavar="ID")


@admin_command("sessions")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="At most this many a page.")
@click.option("--cursor", help="The page after the one that printed this cursor.")
@click.option("--prefix", help="Only sessions whose id starts with this.")
@click.option(
    "--since", metavar="TIME", callback=_instant, help="Only sessions last active since then."
)
@click.option(
    "--until", metavar="TIME", callback=_instant, help="Only sessions last active until then."
)
@click.option("--all", "every_page", is_flag=True, help="Follow the cursor to the last page.")
def sessions(
    url: str,
    as_json: bool,
    limit: int | None,
    cursor: str | None,
    prefix: str | None,
    since: float | None,
    until: float | None,
    every_page: bool,
) -> None:
    """List the live sessions, the most recently active first.

    Times are epoch seconds or ISO 8601 (UTC unless a zone is given).
    """
    with exit_on_error(), _client(url) as client:

        def page(after: str | None) -> SessionPage:
            return client.sessions(
                limit=limit, cursor=after, prefix=prefix, since=since, until=until
            )

        found = page(cursor)
        if every_page:
            found = _every_page(found, page)
    _print(found, output.session_page, as_json)


def _print[A: Answer](answer: A, table: Callable[[A], RenderableType], as_json: bool) -> None:
    if as_json:
        output.print_json(answer.as_json())
    else:
        output.show(table(answer))


def _every_page(first: SessionPage, page: Callable[[str | None], SessionPage]) -> SessionPage:
    """One page holding the sessions of this one and of every page after it."""
    found: list[SessionSummary] = list(first.sessions)
    seen: set[str] = set()
    cursor = first.next_cursor
    while cursor is not None:
        if cursor in seen:
            raise AdminAnswerUnexpected(f"the server gave the cursor {cursor!r} twice")
        seen.add(cursor)
        following = page(cursor)
        found += following.sessions
        cursor = following.next_cursor
    return SessionPage(sessions=found, next_cursor=None)


@admin_command("inspect-session")
@SESSION_ID
@click.option(
    "--at",
    type=click.IntRange(min=0),
    metavar="N",
    help="Show the world after the session's Nth request (steps count from 1; 0 is before "
    "the first), rebuilt from its journal.",
)
def inspect_session(url: str, as_json: bool, session_id: str, at: int | None) -> None:
    """Show a session: its state, login and history; with --at, its entities and state as
    they were after step N."""
    with exit_on_error(), _client(url) as client:
        if at is None:
            _print(client.session(session_id), output.session_detail, as_json)
        else:
            _print(client.world_at(session_id, at), output.world, as_json)


@admin_command("reset-session")
@SESSION_ID
@click.option(
    "--to",
    type=click.IntRange(min=0),
    metavar="N",
    help="Back to the world after the session's Nth request (steps count from 1); "
    "without it the session is emptied.",
)
def reset_session(url: str, as_json: bool, session_id: str, to: int | None) -> None:
    """Empty a session, or take it back to step N."""
    with exit_on_error(), _client(url) as client:
        session = client.reset(session_id, to)
    if as_json:
        output.print_json(session.as_json())
        return
    done = "emptied" if to is None else f"reset to step {to}"
    requests = f"{session.requests} request{'' if session.requests == 1 else 's'}"
    click.echo(f"session {session.id} {done} ({requests})")


@admin_command("fork-session")
@SESSION_ID
@click.option(
    "--at",
    type=click.IntRange(min=0),
    metavar="N",
    help="Fork the world after the session's Nth request (steps count from 1); the latest "
    "by default.",
)
@click.option("--new-id", help="The new session's id (a new random one by default).")
def fork_session(
    url: str, as_json: bool, session_id: str, at: int | None, new_id: str | None
) -> None:
    """Make a new session holding a session's world; print the new session's id."""
    with exit_on_error(), _client(url) as client:
        forked = client.fork(session_id, at, new_id)
    if as_json:
        output.print_json(forked.as_json())
    else:
        click.echo(forked.id)


@admin_command("delete-session")
@SESSION_ID
def delete_session(url: str, as_json: bool, session_id: str) -> None:
    """Delete a session with its journal, entities and cached answers."""
    with exit_on_error(), _client(url) as client:
        client.delete(session_id)
    if as_json:
        output.print_json({"id": session_id, "deleted": True})
    else:
        click.echo(f"deleted session {session_id}")


@admin_command("export-session")
@SESSION_ID
@click.option(
    "-o",
    "--output",
    "target",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the fixture to this file instead of stdout.",
)
def export_session(url: str, as_json: bool, session_id: str, target: Path | None) -> None:
    """Export a session (its world and journal) as a JSON fixture, to stdout or -o FILE.

    The fixture is written as the server sent it: its digest covers it, and import-session
    reads it back.
    """
    if target is not None and not target.resolve().parent.is_dir():
        raise click.BadParameter(f"{target.parent} is not a folder", param_hint="'-o' / '--output'")
    with exit_on_error(), _client(url) as client:
        fixture = client.export(session_id)
    if target is None:
        # Bytes: echo writes them to stdout as they are, whatever its text encoding.
        click.echo(fixture.raw, nl=False)
        return
    # Written once the whole fixture is here: a failed export leaves no half file.
    try:
        target.write_bytes(fixture.raw)
    except OSError as exc:
        raise click.BadParameter(
            f"cannot write {target}: {exc.strerror}", param_hint="'-o' / '--output'"
        ) from exc
    steps = len(fixture.head.journal)
    if as_json:
        output.print_json(
            {
                "session_id": session_id,
                "file": str(target),
                "digest": fixture.head.digest,
                "bytes": len(fixture.raw),
                "steps": steps,
            }
        )
    else:
        click.echo(
            f"wrote session {session_id} ({steps} step{'' if steps == 1 else 's'}, "
            f"{fixture.head.digest}) to {target}"
        )


@admin_command("import-session")
@click.argument("file", type=click.File("rb"))
def import_session(url: str, as_json: bool, file: BinaryIO) -> None:
    """Import a fixture (from export-session; - reads stdin) as a new session; print its id.

    Importing the same fixture again makes no second session: its id is printed again.
    """
    fixture = file.read()
    try:
        parsed = json.loads(fixture)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"{file.name} is not JSON: {exc}", param_hint="FILE") from exc
    if not isinstance(parsed, dict):
        raise click.BadParameter(
            f"{file.name} is not a fixture: a JSON object is", param_hint="FILE"
        )
    with (
        exit_on_error(),
        _client(url) as client,
        TransferBar(output.console(stderr=True), "importing") as bar,
    ):
        imported = client.import_fixture(fixture, bar)
    if as_json:
        output.print_json(imported.as_json())
        return
    if not imported.imported:
        click.echo(f"already imported (same digest): session {imported.id}", err=True)
    click.echo(imported.id)


@admin_command("replay")
@SESSION_ID
@click.option(
    "--ignore",
    "ignored",
    multiple=True,
    metavar="PATH",
    help="A JSON path whose value may differ, such as $.id or $..created_at (repeatable; "
    "replaces the server's default, the fields its config fills with the clock).",
)
@click.option(
    "--keep",
    is_flag=True,
    help="Keep the scratch session afterwards, to inspect it (its id is in the report).",
)
def replay(url: str, as_json: bool, session_id: str, ignored: tuple[str, ...], keep: bool) -> None:
    """Run a session's recorded requests again, in a scratch session, against the server's
    config now, and show step by step where the status or body differs.

    Exits 1 when a step differs, 0 when every step answers as recorded.
    """
    with (
        exit_on_error(),
        _client(url) as client,
        TransferBar(output.console(stderr=True), f"replaying {session_id}") as bar,
    ):
        report = client.replay(session_id, ignored, bar, keep=keep)
    _print(report, output.replay_report, as_json)
    if report.summary.differ:
        click.get_current_context().exit(REPLAY_DIFFERS)


@admin_command("stats")
@click.option(
    "--hours",
    type=click.IntRange(min=1),
    metavar="N",
    help="This many hours back (the server's default: 24).",
)
def stats(url: str, as_json: bool, hours: int | None) -> None:
    """Requests, cache hits, LLM calls, tokens, cost and errors, hour by hour."""
    with exit_on_error(), _client(url) as client:
        answer = client.stats(hours)
    _print(answer, output.stats, as_json)


@admin_command("prompts")
def prompts(url: str, as_json: bool) -> None:
    """The prompt variants under experiment: per variant its answers, calls, valid at first
    try (with the rate's 95% interval), repairs, fallbacks, latency p50/p95, tokens and cost,
    and the plain verdict when one variant is better.

    Counted by the instance that answers since it started (on Lambda, one instance's share).
    """
    with exit_on_error(), _client(url) as client:
        answer = client.prompts()
    _print(answer, output.prompts, as_json)
