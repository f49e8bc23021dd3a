"""The ``mockmind`` command: one click group; its commands live in modules by what they work
from.

- ``server_commands``: serve, validate-config, init-aws. They load a config file and call
  bootstrap; they never build adapters.
- ``simulate``, ``proxy`` and ``learn`` live with what they run (``mockmind.simulation``,
  ``mockmind.proxy``, ``mockmind.learning``).
- ``admin_commands``: sessions, inspect-session, reset-session, fork-session, delete-session,
  export-session, import-session, replay, stats, prompts. They call a running server's admin
  routes through ``admin_client`` and print with ``output`` (tables) or as JSON.
- ``push_command``: push, which checks a tenant's config and stores it through a stack's
  operator route (or straight into a catalog).

A command's module is imported when that command runs (or help lists it): an admin command
then starts without importing the server (FastAPI, the engine, the config models).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import click

from mockmind import __version__
from mockmind.cli.exits import EXIT_CODES_HELP

# Each command's name and where it is defined ("module:attribute").
COMMANDS: Mapping[str, str] = {
    "serve": "mockmind.cli.server_commands:serve",
    "validate-config": "mockmind.cli.server_commands:validate_config",
    "init-aws": "mockmind.cli.server_commands:init_aws",
    "simulate": "mockmind.simulation.command:simulate",
    "proxy": "mockmind.proxy.command:proxy",
    "learn": "mockmind.learning.command:learn",
    "sessions": "mockmind.cli.admin_commands:sessions",
    "inspect-session": "mockmind.cli.admin_commands:inspect_session",
    "reset-session": "mockmind.cli.admin_commands:reset_session",
    "fork-session": "mockmind.cli.admin_commands:fork_session",
    "delete-session": "mockmind.cli.admin_commands:delete_session",
    "export-session": "mockmind.cli.admin_commands:export_session",
    "import-session": "mockmind.cli.admin_commands:import_session",
    "replay": "mockmind.cli.admin_commands:replay",
    "stats": "mockmind.cli.admin_commands:stats",
    "prompts": "mockmind.cli.admin_commands:prompts",
    "push": "mockmind.cli.push_command:push",
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when the command is wanted."""

    def __init__(self, *args: object, commands_at: Mapping[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.commands_at = dict(commands_at)

    def list_commands(self, ctx: click.Context) -> list[str]:
        # In the order above: the server's commands, then the admin ones.
        return [*self.commands_at, *super().list_commands(ctx)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = self.commands_at.get(cmd_name)
        if where is None:
            return super().get_command(ctx, cmd_name)
        module, attribute = where.split(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{where} is not a click command")
        return command


@click.group(cls=LazyGroup, commands_at=COMMANDS, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="mockmind")
def main() -> None:
    """An intelligent, stateful mock API server, and the commands that inspect, reset, fork,
    export, import and replay its sessions (locally or deployed: --url or $MOCKMIND_URL)."""
