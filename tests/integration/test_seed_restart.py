"""The shared seed set across restarts: written once, read back, rewritten when it changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockmind.adapters.sqlite.entity_store import SqliteEntityStore
from mockmind.app.bootstrap import build
from mockmind.app.cold_start import load
from mockmind.config import LoadedConfig
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.generation import version as generator
from tests.support.paths import EXAMPLES


def _shop_on(path: Path) -> LoadedConfig:
    loaded = load(EXAMPLES / "shop" / "mockmind.yaml", env={})
    storage = loaded.config.storage.model_copy(update={"sqlite_path": str(path)})
    config = loaded.config.model_copy(update={"storage": storage})
    return LoadedConfig(config, loaded.source, loaded.unset_variables)


def _count_puts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    collections: list[str] = []
    original = SqliteEntityStore.put

    def counting(self: SqliteEntityStore, scope: str, collection: str, *a: Any, **k: Any) -> None:
        collections.append(collection)
        original(self, scope, collection, *a, **k)

    monkeypatch.setattr(SqliteEntityStore, "put", counting)
    return collections


def test_a_restart_reads_the_seed_marker_instead_of_writing_the_seeds_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = _shop_on(tmp_path / "shop.db")
    env = {"MOCKMIND_STORAGE": "sqlite"}
    puts = _count_puts(monkeypatch)
    build(loaded, env=env)
    first = list(puts)
    assert first.count("products") == 12
    assert first[-1] == "__meta__"

    puts.clear()

    def no_generation(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a restart of the same config generated a seed")

    monkeypatch.setattr(OfflineGenerator, "generate", no_generation)
    restarted = build(loaded, env=env)
    assert puts == []
    assert len(restarted.entities.list("__shared__", "products", now=0.0)) == 12


def test_a_changed_schema_behind_a_ref_writes_the_seeds_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = (EXAMPLES / "shop" / "openapi.yaml").read_text()
    (tmp_path / "openapi.yaml").write_text(spec)
    config = (EXAMPLES / "shop" / "mockmind.yaml").read_text()
    (tmp_path / "mockmind.yaml").write_text(config)
    env = {"MOCKMIND_STORAGE": "sqlite"}

    def loaded() -> LoadedConfig:
        found = load(tmp_path / "mockmind.yaml", env={})
        storage = found.config.storage.model_copy(update={"sqlite_path": str(tmp_path / "db")})
        return LoadedConfig(found.config.model_copy(update={"storage": storage}), found.source)

    build(loaded(), env=env)
    # The products' schema is a component the resource reaches by $ref.
    assert "    Product:\n" in spec
    (tmp_path / "openapi.yaml").write_text(
        spec.replace("    Product:\n", "    Product:\n      description: changed\n", 1)
    )
    puts = _count_puts(monkeypatch)
    build(loaded(), env=env)
    assert puts.count("products") == 12


def _started(tmp_path: Path) -> LoadedConfig:
    """The shop on SQLite, started once: its seeds and marker are written."""
    loaded = _shop_on(tmp_path / "shop.db")
    build(loaded, env=SQLITE)
    return loaded


SQLITE = {"MOCKMIND_STORAGE": "sqlite"}


def test_a_changed_seed_set_is_written_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = _started(tmp_path)
    rules = loaded.config.intelligent_behavior.behavior_model.rules
    products = rules.resources["products"].model_copy(update={"seed": 3})
    resources = {**rules.resources, "products": products}
    changed_rules = rules.model_copy(update={"resources": resources})
    behavior = loaded.config.intelligent_behavior.behavior_model.model_copy(
        update={"rules": changed_rules}
    )
    intelligent = loaded.config.intelligent_behavior.model_copy(update={"behavior_model": behavior})
    changed = LoadedConfig(
        loaded.config.model_copy(update={"intelligent_behavior": intelligent}),
        loaded.source,
        loaded.unset_variables,
    )
    puts = _count_puts(monkeypatch)
    build(changed, env=SQLITE)
    assert puts.count("products") == 3


def test_a_new_generator_version_writes_the_seeds_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = _started(tmp_path)
    monkeypatch.setattr(generator, "GENERATOR_VERSION", generator.GENERATOR_VERSION + 1)
    puts = _count_puts(monkeypatch)
    build(loaded, env=SQLITE)
    assert puts.count("products") == 12
