"""The admin commands as the black-box tests run them: in-process (click's CliRunner) over
httpx's real transport, with the admin token a user's shell would hold (tests/support/admin)."""

from __future__ import annotations

import os
from typing import Any

import httpx
from click.testing import CliRunner, Result

from mockmind.cli import main
from tests.support.admin import admin_headers

SESSIONS = "/__mockmind/sessions"


def mockmind(
    url: str, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> Result:
    """``mockmind ARGS --url URL``; ``env`` over the token in the environment."""
    token = {"MOCKMIND_ADMIN_TOKEN": os.environ.get("MOCKMIND_ADMIN_TOKEN")}
    # Tables as wide as they need, as in a pipe: not the width of whatever terminal started
    # pytest (a shell's exported COLUMNS, or the 80 a pytest-xdist worker's environment holds).
    unsized = {"COLUMNS": None}
    return CliRunner().invoke(
        main, [*args, "--url", url], env={**unsized, **token, **(env or {})}, input=stdin
    )


def admin(client: httpx.Client, path: str) -> Any:
    """What the admin route under /__mockmind/sessions/ answers (asserted 200)."""
    answer = client.get(f"{SESSIONS}/{path}", headers=admin_headers())
    assert answer.status_code == 200, answer.text
    return answer.json()
