"""What decides the generator's output beside a schema and a seed, as one comparable key.

``GENERATOR_VERSION`` and ``settings_key`` live together, and ``settings_key`` reads the
version from this module when called, so that a test may patch ``version.GENERATOR_VERSION``.
"""

from __future__ import annotations

import importlib.metadata
from functools import lru_cache
from typing import Final

# Bumped whenever what is generated for a schema and a seed changes: shared seed sets that an
# older generator wrote to a durable store are then written again (seed_shared's marker).
# tests/unit/domain/test_generator.py holds a digest of known output that fails until it is bumped.
GENERATOR_VERSION: Final = 3


def settings_key(locale: str, max_depth: int) -> str:
    """This generator's version, Faker's version (its word lists fill the pools), and the
    settings of one generator."""
    return f"{GENERATOR_VERSION}/{faker_version()}/{locale}/{max_depth}"


@lru_cache(maxsize=1)
def faker_version() -> str:
    # From its metadata: importing Faker to ask costs a tenth of a second.
    try:
        return importlib.metadata.version("faker")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
