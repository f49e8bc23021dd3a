"""The ``mockmind`` group: every command is where the group says, an admin command starts
without the server's modules, and the exit codes in the help are the error table's."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import tomllib

import click
import pytest
from click.testing import CliRunner

from mockmind.cli import COMMANDS, main
from mockmind.cli.exits import EXIT_CODES
from mockmind.domain.error_answers import exit_code
from mockmind.domain.errors import (
    AdminAnswerUnexpected,
    AdminAuthRefused,
    AdminNotFound,
    AdminRefused,
    AdminUnreachable,
)
from tests.support.paths import ROOT

ADMIN_COMMANDS = [
    "sessions",
    "inspect-session",
    "reset-session",
    "fork-session",
    "delete-session",
    "export-session",
    "import-session",
    "replay",
    "stats",
    "prompts",
    "push",
]


def test_the_entry_point_is_the_group() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, attribute = scripts["mockmind"].split(":")
    assert getattr(importlib.import_module(module), attribute) is main


def test_every_command_is_found_under_its_name() -> None:
    assert list(COMMANDS) == [
        "serve",
        "validate-config",
        "init-aws",
        "simulate",
        "proxy",
        "learn",
        *ADMIN_COMMANDS,
    ]
    context = click.Context(main)
    for name in COMMANDS:
        command = main.get_command(context, name)
        assert isinstance(command, click.Command)
        assert command.name == name
    assert main.get_command(context, "nope") is None


def test_help_lists_every_command_and_the_exit_codes() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    commands = result.output.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    listed = re.findall(r"^  ([a-z-]+)  ", commands, flags=re.MULTILINE)
    assert listed == list(COMMANDS)
    assert "Exit codes:\n    0  done" in result.output


@pytest.mark.parametrize("name", ADMIN_COMMANDS)
def test_each_admin_command_has_url_json_and_the_exit_codes(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert "--url URL" in result.output
    assert "[env var: MOCKMIND_URL;" in result.output
    assert "--json" in result.output
    for code, meaning in EXIT_CODES:
        assert f"    {code}  {meaning}\n" in result.output


def test_the_listed_codes_are_the_error_tables() -> None:
    codes = dict(EXIT_CODES)
    assert list(codes) == [0, 1, 2, 3, 4, 5, 6]
    assert exit_code(AdminRefused(500, "Internal Server Error")) == 1
    assert exit_code(AdminNotFound(404, "Not Found")) == 3
    assert exit_code(AdminAuthRefused(401, "Unauthorized")) == 4
    assert exit_code(AdminUnreachable("down")) == 5
    assert exit_code(AdminAnswerUnexpected("html")) == 6


def test_the_readme_lists_the_same_exit_codes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("Exit codes of the admin commands", 1)[1].split("```", 2)[1]
    listed = [line.strip() for line in section.strip().splitlines()]
    assert listed == [f"{code}  {meaning}" for code, meaning in EXIT_CODES]


def test_an_admin_command_starts_without_the_servers_modules() -> None:
    # A port nothing listens on: the command fails fast, with its exit code, having imported
    # only what it needs.
    code = (
        "import sys\n"
        "from mockmind.cli import main\n"
        "try:\n"
        "    main(['stats', '--url', 'http://127.0.0.1:9'], standalone_mode=False)\n"
        "except SystemExit as exc:\n"
        "    print(exc.code)\n"
        "print(sorted(m for m in ('fastapi', 'starlette', 'mockmind.app.api', "
        "'mockmind.app.bootstrap', 'mockmind.cli.server_commands') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["5", "[]"]
