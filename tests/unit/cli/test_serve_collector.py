"""``serve`` builds its app with the cycle collector off; a refused start turns it back on."""

from __future__ import annotations

import gc
from pathlib import Path

from click.testing import CliRunner

from mockmind.cli import main
from tests.support.paths import EXAMPLES


def test_a_refused_start_leaves_the_collector_on_and_nothing_frozen(tmp_path: Path) -> None:
    document = tmp_path / "broken.json"
    document.write_text(
        '{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get":'
        ' {"responses": {"200": {"$ref": "#/components/responses/missing"}}}}}}'
    )
    frozen = gc.get_freeze_count()
    result = CliRunner().invoke(main, ["serve", "--openapi", str(document)])
    assert result.exit_code == 1  # a config error's code: the broken $ref, at start
    assert "#/components/responses/missing: nothing at 'components'" in result.output
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_a_refused_tenants_start_leaves_the_collector_on() -> None:
    result = CliRunner().invoke(
        main, ["serve", "--tenants", str(EXAMPLES / "tenants"), "--workers", "2"]
    )
    assert result.exit_code == 1
    assert gc.isenabled()
