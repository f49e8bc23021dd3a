"""``serve --tenants``: what it refuses before it starts a server."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from mockmind.cli import main
from tests.support.paths import EXAMPLES


def test_tenants_with_several_workers_is_refused() -> None:
    result = CliRunner().invoke(
        main, ["serve", "--tenants", str(EXAMPLES / "tenants"), "--workers", "2"]
    )
    assert result.exit_code == 1  # a config error's code
    assert "--workers > 1 serves a single API, not tenants" in result.output


def test_tenants_on_granian_is_refused() -> None:
    # granian builds its app in worker processes; the tenant front lives in this one.
    result = CliRunner().invoke(
        main, ["serve", "--tenants", str(EXAMPLES / "tenants"), "--server", "granian"]
    )
    assert result.exit_code == 1
    assert "--server granian serves a single API" in result.output


def test_a_missing_tenants_folder_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--tenants", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
