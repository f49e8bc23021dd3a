"""Pools of Faker output: names, cities, companies... sampled once per kind, then indexed.

Faker calls cost 40-120 µs each and a Faker instance is not thread-safe, so Faker is only used
under a lock to fill small pools once per kind; a call then only indexes those pools with its
own ``Random``, which keeps generation lock-free and fast.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping
from random import Random
from typing import Any, Final

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


class FakerPools:
    """Faker output sampled once per kind with a fixed seed, so every process sees the same."""

    def __init__(self, locale: str) -> None:
        self._locale = locale
        self._lock = threading.Lock()
        self._pools: dict[str, tuple[str, ...]] = {}
        self._faker: Any = None

    def pick(self, kind: str, rng: Random) -> str:
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
            pool = tuple(dict.fromkeys(values)) or _FALLBACK_WORDS
            self._pools[kind] = pool
            return pool

    def _fake(self) -> Any:
        if self._faker is None:
            # Imported here: Faker takes a while to load, and many processes never need it.
            from faker import Faker  # noqa: PLC0415

            self._faker = Faker(self._locale)
        return self._faker
