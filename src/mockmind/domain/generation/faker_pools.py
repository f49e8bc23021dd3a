"""Pools of Faker output: names, cities, companies... sampled once per kind, then indexed.

Faker calls cost 40-120 µs each and a Faker instance is not thread-safe, so Faker is only used
under a lock to fill small pools once per kind; a call then only indexes those pools with its
own ``Draws``, which keeps generation lock-free and fast.

The pools are a function of Faker's version, the locale and the per-kind seed alone, so the
pools of the shipped locales come precomputed in ``faker_pools.json`` next to this module: a
cold start then neither imports Faker nor calls it (a sixth of a mock-only start's work). When
the installed Faker or the locale differs, the pools are filled from Faker as before. After a
Faker upgrade, rewrite the file with ``python -m mockmind.domain.generation.faker_pools --write``
(tests/unit/domain/test_faker_pools.py fails until then).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from mockmind.domain.generation.draws import Rng
from mockmind.domain.generation.version import faker_version

_POOL_SIZE: Final = 64
# Pools are filled from these Faker providers, once per kind, with a fixed seed.
FAKER_METHODS: Final[Mapping[str, str]] = {
    "first_name": "first_name",
    "last_name": "last_name",
    "company": "company",
    "street": "street_address",
    "city": "city",
    "state": "state",
    "country": "country",
    "country_code": "country_code",
    "postcode": "postcode",
    "phone": "phone_number",
    "job_title": "job",
    "title": "catch_phrase",
    "domain": "domain_name",
    "email_domain": "free_email_domain",
}
_FALLBACK_WORDS: Final = ("alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "zeta")
# Every kind a pool is filled for: Faker's providers, and its word list.
POOL_KINDS: Final = (*FAKER_METHODS, "word")
SHIPPED_FILE: Final = Path(__file__).with_name("faker_pools.json")
# The locales whose pools are shipped: the generator's default, which every config uses today.
SHIPPED_LOCALES: Final = ("en_US",)


class FakerPools:
    """Faker output sampled once per kind with a fixed seed, so every process sees the same."""

    def __init__(self, locale: str, *, use_shipped: bool = True) -> None:
        self._locale = locale
        self._lock = threading.Lock()
        self._pools: dict[str, tuple[str, ...]] = {}
        self._faker: Any = None
        # Read on the first fill (under the lock): None until then, {} when none match.
        self._shipped: Mapping[str, tuple[str, ...]] | None = None if use_shipped else {}

    def pick(self, kind: str, rng: Rng) -> str:
        pool = self._pools.get(kind)
        if pool is None:
            pool = self._fill(kind)
        return pool[rng.randrange(len(pool))]

    def words(self) -> tuple[str, ...]:
        pool = self._pools.get("word")
        return pool if pool is not None else self._fill("word")

    def _fill(self, kind: str) -> tuple[str, ...]:
        with self._lock:
            pool = self._pools.get(kind)
            if pool is not None:
                return pool
            if self._shipped is None:
                self._shipped = shipped_pools(self._locale)
            pool = self._shipped.get(kind) or self._from_faker(kind)
            self._pools[kind] = pool
            return pool

    def _from_faker(self, kind: str) -> tuple[str, ...]:
        fake = self._fake()
        values: Iterable[str]
        if kind == "word":
            try:
                values = [w for w in fake.get_words_list() if w.isalpha()]
            except AttributeError:
                values = _FALLBACK_WORDS
        else:
            # A per-kind seed keeps each pool the same whatever order pools are filled in.
            fake.seed_instance(int.from_bytes(hashlib.blake2b(kind.encode()).digest()[:8]))
            try:
                method = getattr(fake, FAKER_METHODS[kind])
                values = [str(method()) for _ in range(_POOL_SIZE)]
            except AttributeError:
                values = _FALLBACK_WORDS
        return tuple(dict.fromkeys(values)) or _FALLBACK_WORDS

    def _fake(self) -> Any:
        if self._faker is None:
            # Imported here: Faker takes a while to load, and many processes never need it.
            from faker import Faker  # noqa: PLC0415

            self._faker = Faker(self._locale)
        return self._faker


def shipped_pools(locale: str) -> dict[str, tuple[str, ...]]:
    """The precomputed pools of ``locale`` for the installed Faker; empty when none match (or
    the file is missing or unreadable: the pools are then filled from Faker)."""
    try:
        shipped = json.loads(SHIPPED_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(shipped, dict) or shipped.get("faker") != faker_version():
        return {}
    pools = shipped.get("pools", {}).get(locale)
    if not isinstance(pools, dict):
        return {}
    return {kind: tuple(pool) for kind, pool in pools.items() if kind in POOL_KINDS and pool}


def pools_from_faker(locale: str) -> dict[str, tuple[str, ...]]:
    """Every pool of ``locale``, filled from the installed Faker (what is shipped)."""
    pools = FakerPools(locale, use_shipped=False)
    return {kind: pools._fill(kind) for kind in POOL_KINDS}


def shipped_document() -> dict[str, Any]:
    """What ``faker_pools.json`` holds for the installed Faker."""
    return {
        "faker": faker_version(),
        "pools": {locale: pools_from_faker(locale) for locale in SHIPPED_LOCALES},
    }


def write_shipped() -> Path:
    document = json.loads(json.dumps(shipped_document()))  # tuples as lists, as read back
    SHIPPED_FILE.write_text(
        json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return SHIPPED_FILE


def main(argv: list[str] | None = None) -> int:
    import argparse  # noqa: PLC0415 (the command line only: not at a cold start)

    parser = argparse.ArgumentParser(
        prog="python -m mockmind.domain.generation.faker_pools",
        description="Precompute the Faker pools shipped with the package.",
    )
    parser.add_argument("--write", action="store_true", help=f"rewrite {SHIPPED_FILE.name}")
    args = parser.parse_args(argv)
    if args.write:
        print(f"wrote {write_shipped()}")
    else:
        print(json.dumps(shipped_document(), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
