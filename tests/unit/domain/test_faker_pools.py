"""The Faker pools shipped with the package are exactly what the installed Faker fills."""

from __future__ import annotations

import json
from pathlib import Path
from random import Random

import pytest
from faker import Faker

from mockmind.domain.generation import faker_pools
from mockmind.domain.generation.faker_pools import (
    POOL_KINDS,
    SHIPPED_FILE,
    SHIPPED_LOCALES,
    FakerPools,
    pools_from_faker,
    shipped_pools,
)
from mockmind.domain.generation.version import faker_version

REGENERATE = "python -m mockmind.domain.generation.faker_pools --write"


def test_shipped_pools_equal_what_the_installed_faker_fills() -> None:
    shipped = json.loads(SHIPPED_FILE.read_text(encoding="utf-8"))
    assert shipped["faker"] == faker_version(), (
        f"{SHIPPED_FILE.name} holds the pools of Faker {shipped['faker']}, but Faker "
        f"{faker_version()} is installed: rewrite it with `{REGENERATE}`"
    )
    for locale in SHIPPED_LOCALES:
        assert shipped_pools(locale) == pools_from_faker(locale), (
            f"{SHIPPED_FILE.name} differs from what Faker fills for {locale}: "
            f"rewrite it with `{REGENERATE}`"
        )


def test_shipped_pools_cover_every_kind() -> None:
    assert set(shipped_pools("en_US")) == set(POOL_KINDS)


def test_a_shipped_locale_starts_without_importing_faker() -> None:
    pools = FakerPools("en_US")
    pools.pick("city", Random(1))
    assert pools._faker is None


def test_an_unshipped_locale_fills_from_faker() -> None:
    pools = FakerPools("fr_FR")
    assert pools.pick("city", Random(1)) in pools_from_faker("fr_FR")["city"]
    assert isinstance(pools._faker, Faker)
    assert pools._faker.locales == ["fr_FR"]


@pytest.mark.parametrize("content", [None, "not json", '{"faker": "0.0.0", "pools": {}}'])
def test_a_missing_unreadable_or_stale_file_falls_back_to_faker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None
) -> None:
    path = tmp_path / "faker_pools.json"
    if content is not None:
        path.write_text(content)
    monkeypatch.setattr(faker_pools, "SHIPPED_FILE", path)
    assert shipped_pools("en_US") == {}
    pools = FakerPools("en_US")
    assert pools.words() == pools_from_faker("en_US")["word"]
    assert isinstance(pools._faker, Faker)
    assert pools._faker.locales == ["en_US"]


def test_the_module_prints_the_document_it_would_write(capsys: pytest.CaptureFixture[str]) -> None:
    assert faker_pools.main([]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["faker"] == faker_version()
    assert printed["pools"] == {
        locale: {kind: list(pool) for kind, pool in pools_from_faker(locale).items()}
        for locale in SHIPPED_LOCALES
    }
