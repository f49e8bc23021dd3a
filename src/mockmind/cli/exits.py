"""How a command ends: its exit code, and on an error its message on stderr.

The codes of errors come from ``domain/error_answers`` (one table for HTTP answers and exit
codes); ``EXIT_CODES`` reads them from there, and is what ``--help`` shows (the README's list
is checked against it).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from mockmind.domain.error_answers import answer_for, exit_code
from mockmind.domain.errors import (
    AdminAnswerUnexpected,
    AdminAuthRefused,
    AdminNotFound,
    AdminRefused,
    AdminUnreachable,
    ConfigError,
    MockmindError,
)

# Click's own code for a usage error (an unknown option, a bad value or file).
USAGE = 2
# `replay`: a step answered otherwise than recorded. The code of a refusal too: a script that
# only asks "did it pass?" reads both as no.
REPLAY_DIFFERS = 1

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (0, "done (replay: every step answered as recorded)"),
    (
        answer_for(AdminRefused).exit_code,
        "the server refused the request (4xx, 5xx), push found the config broken, or replay "
        "found a step that differs",
    ),
    (USAGE, "usage: an unknown option, a bad value, a file that is not JSON"),
    (
        answer_for(AdminNotFound).exit_code,
        "not found: no such session, no such step of it, no such tenant, or stats turned off",
    ),
    (answer_for(AdminAuthRefused).exit_code, "the admin token is missing or wrong (401, 403)"),
    (answer_for(AdminUnreachable).exit_code, "no server answered (connection, DNS, TLS, timeout)"),
    (
        answer_for(AdminAnswerUnexpected).exit_code,
        "the answer is not the admin API's (not JSON, another shape, no such route)",
    ),
)

# Click rewraps help paragraphs; \b keeps the lines of this one as they are.
EXIT_CODES_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {code}  {meaning}" for code, meaning in EXIT_CODES
)


@contextmanager
def exit_on_error() -> Iterator[None]:
    """A mockmind error ends the command: its message on stderr, the error table's exit code."""
    try:
        yield
    except MockmindError as exc:
        report(exc)
        sys.exit(exit_code(exc))


def report(error: MockmindError) -> None:
    if not isinstance(error, ConfigError):
        click.echo(f"error: {error}", err=True)
        return
    count = len(error.issues)
    click.echo(f"error: {count} problem{'s' if count != 1 else ''} in the configuration:", err=True)
    for issue in error.issues:
        click.echo(f"  {issue}", err=True)
