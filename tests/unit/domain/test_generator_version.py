"""Faker's version as importlib.metadata gives it, read without importing importlib.metadata."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest

from mockmind.domain.generation.version import faker_version, installed_version


def _dist_info(directory: Path, folder: str, metadata: str | None) -> None:
    info = directory / folder
    info.mkdir(parents=True)
    if metadata is not None:
        (info / "METADATA").write_text(metadata, encoding="utf-8")


@pytest.mark.parametrize(
    "distribution", ["faker", "Faker", "pydantic", "PyYAML", "ruamel.yaml", "typing_extensions"]
)
def test_it_gives_what_importlib_metadata_gives_for_installed_distributions(
    distribution: str,
) -> None:
    assert installed_version(distribution, sys.path) == importlib.metadata.version(distribution)


def test_faker_version_is_the_installed_fakers() -> None:
    assert faker_version() == importlib.metadata.version("faker")


def test_the_first_path_entry_holding_it_wins(tmp_path: Path) -> None:
    _dist_info(
        tmp_path / "a",
        "Faker-1.2.3.dist-info",
        "Metadata-Version: 2.1\nName: Faker\nVersion: 1.2.3\n\nVersion: 9\n",
    )
    _dist_info(tmp_path / "b", "faker-4.5.6.dist-info", "Name: faker\nVersion: 4.5.6\n")
    entries = [str(tmp_path / "missing"), str(tmp_path / "a"), str(tmp_path / "b")]
    assert installed_version("faker", entries) == "1.2.3"
    assert installed_version("faker", entries[2:]) == "4.5.6"
    # As importlib.metadata reads the same entries:
    first = next(iter(importlib.metadata.distributions(path=entries, name="faker")))
    assert first.version == "1.2.3"


def test_names_are_matched_as_importlib_metadata_normalizes_them(tmp_path: Path) -> None:
    _dist_info(tmp_path, "ruamel_yaml-0.19.1.dist-info", "Name: ruamel.yaml\nVersion: 0.19.1\n")
    assert installed_version("ruamel.yaml", [str(tmp_path)]) == "0.19.1"
    assert installed_version("Ruamel-YAML", [str(tmp_path)]) == "0.19.1"
    assert installed_version("ruamel", [str(tmp_path)]) is None


@pytest.mark.parametrize(
    ("folders", "metadata"),
    [
        (["faker-1.0.egg-info"], "Version: 1.0\n"),  # PKG-INFO, not METADATA: left to it
        (["faker-1.0.dist-info", "Faker-2.0.dist-info"], "Version: 1.0\n"),  # two copies
        (["faker-1.0.dist-info"], None),  # no METADATA
        (["faker-1.0.dist-info"], "Name: faker\n"),  # no version
        (["faker-1.0.dist-info"], "Name: faker\n\nVersion: 1.0\n"),  # in the body only
    ],
)
def test_anything_else_is_left_to_importlib_metadata(
    tmp_path: Path, folders: list[str], metadata: str | None
) -> None:
    for folder in folders:
        _dist_info(tmp_path, folder, metadata)
    assert installed_version("faker", [str(tmp_path)]) is None


def test_a_zip_archive_on_the_path_is_left_to_importlib_metadata(tmp_path: Path) -> None:
    archive = tmp_path / "packages.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))
    _dist_info(tmp_path / "after", "faker-1.0.dist-info", "Version: 1.0\n")
    assert installed_version("faker", [str(archive), str(tmp_path / "after")]) is None
