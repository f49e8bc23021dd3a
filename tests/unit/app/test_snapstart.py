"""SnapStart: the hooks a restored instance runs, registered only where the runtime has them."""

from __future__ import annotations

import gc
import random
import sys
from collections.abc import Callable
from types import ModuleType

import pytest

from mockmind.app.bootstrap import Container, build
from mockmind.app.snapstart import after_restore, before_snapshot, register_restore_hooks
from mockmind.config import parse_config
from mockmind.domain.rules.actions import Delay

CONFIG = """
intelligent_behavior:
  behavior_model:
    llm_provider: openai
    rules:
      consistency_rules:
        - name: slow
          condition: "path starts_with '/slow'"
          action: {type: delay, distribution: uniform, min_ms: 5, max_ms: 20}
"""


@pytest.fixture
def container() -> Container:
    return build(parse_config(CONFIG, env={}), env={"OPENAI_API_KEY": "sk-snap-0123456789"})


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Callable[[], None]]]:
    """A stand-in for the Lambda runtime's ``snapshot_restore_py``."""
    hooks: dict[str, list[Callable[[], None]]] = {"before": [], "after": []}
    module = ModuleType("snapshot_restore_py")
    module.register_before_snapshot = hooks["before"].append  # type: ignore[attr-defined]
    module.register_after_restore = hooks["after"].append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", module)
    return hooks


def test_outside_lambda_nothing_is_registered(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails
    assert register_restore_hooks(container) is False


def test_the_runtime_gets_both_hooks(
    container: Container, runtime: dict[str, list[Callable[[], None]]]
) -> None:
    assert register_restore_hooks(container) is True
    assert runtime["before"] == [before_snapshot]
    [restore] = runtime["after"]
    random.seed(7)
    snapshot_draw = random.random()
    random.seed(7)
    restore()
    assert random.random() != snapshot_draw


def test_what_the_handler_builds_late_is_built_before_the_snapshot(
    container: Container, runtime: dict[str, list[Callable[[], None]]]
) -> None:
    built: list[int] = []

    def prepare() -> None:
        built.append(gc.get_freeze_count())

    assert register_restore_hooks(container, prepare=prepare) is True
    [hook] = runtime["before"]
    gc.unfreeze()
    try:
        hook()
        # Built first (nothing frozen yet), then frozen with the rest of the start.
        assert built == [0]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_restore_reseeds_the_delay_rules(container: Container) -> None:
    [delay] = [r.action for r in container.engine.world.rules.rules if isinstance(r.action, Delay)]
    delay.rng.seed(7)
    snapshot_draw = delay.sample_ms()
    delay.rng.seed(7)
    after_restore(container)
    assert delay.sample_ms() != snapshot_draw


def test_a_restore_rebuilds_the_llm_clients_and_their_jitter(container: Container) -> None:
    [http] = container.llm.https
    client = http._client
    http._rng.seed(7)
    snapshot_jitter = http._rng.random()
    http._rng.seed(7)
    after_restore(container)
    assert http._client is not client
    assert http._rng.random() != snapshot_jitter


def test_before_the_snapshot_the_heap_is_collected_and_frozen() -> None:
    try:
        before_snapshot()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_function_serving_tenants_reseeds_and_rebuilds_its_aws_clients(
    runtime: dict[str, list[Callable[[], None]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    rebuilt: list[bool] = []
    aws = ModuleType("mockmind.app.aws")
    aws.reconnect_clients = lambda: rebuilt.append(True) or 1  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mockmind.app.aws", aws)
    assert register_restore_hooks(None) is True
    [restore] = runtime["after"]
    random.seed(7)
    snapshot_draw = random.random()
    random.seed(7)
    restore()
    assert random.random() != snapshot_draw
    assert rebuilt == [True]
