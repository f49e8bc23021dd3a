"""What decides the generator's output beside a schema and a seed, as one comparable key.

``GENERATOR_VERSION`` and ``settings_key`` live together, and ``settings_key`` reads the
version from this module when called, so that a test may patch ``version.GENERATOR_VERSION``.
"""

from __future__ import annotations

import os
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Final

# Bumped whenever what is generated for a schema and a seed changes: shared seed sets that an
# older generator wrote to a durable store are then written again (seed_shared's marker).
# tests/unit/domain/test_generator.py holds a digest of known output that fails until it is bumped.
GENERATOR_VERSION: Final = 4


def settings_key(locale: str, max_depth: int) -> str:
    """This generator's version, Faker's version (its word lists fill the pools), and the
    settings of one generator."""
    return f"{GENERATOR_VERSION}/{faker_version()}/{locale}/{max_depth}"


@lru_cache(maxsize=1)
def faker_version() -> str:
    # From its metadata: importing Faker to ask costs a tenth of a second. The metadata is read
    # as importlib.metadata finds it, without importing that (nor the email package and csv it
    # imports, which a mock-only start does without), in the layout pip installs; anything
    # else is left to importlib.metadata.
    found = installed_version("faker", sys.path)
    if found is not None:
        return found
    import importlib.metadata  # noqa: PLC0415 (see above)

    try:
        return importlib.metadata.version("faker")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _normalized(name: str) -> str:
    # importlib.metadata's Prepared.normalize (PEP 503, with _ for -).
    return re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


def installed_version(distribution: str, path: list[str]) -> str | None:
    """The version importlib.metadata.version gives, when the first entry of ``path`` that holds
    the distribution holds it once, as a ``*.dist-info`` directory whose METADATA names a
    version; None when that is not so (a zip on the path, an ``.egg-info``, two copies...)."""
    wanted = _normalized(distribution)
    for entry in path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            if os.path.isfile(entry):
                return None  # a zip archive: importlib.metadata reads those
            continue
        found = [
            name
            for name in names
            if name.lower().endswith((".dist-info", ".egg-info"))
            and _normalized(name.lower().rpartition(".")[0].partition("-")[0]) == wanted
        ]
        if not found:
            continue
        if len(found) > 1 or not found[0].lower().endswith(".dist-info"):
            return None
        return _metadata_version(Path(entry or ".") / found[0] / "METADATA")
    return None


def _metadata_version(metadata: Path) -> str | None:
    try:
        text = metadata.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        if not line:
            break  # the headers end at the first empty line
        name, colon, value = line.partition(":")
        if colon and name.strip().lower() == "version":
            return value.strip() or None
    return None
