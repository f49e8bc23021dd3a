"""Tenant folders made of the examples' files, and a front over them served in-process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.paths import EXAMPLES


def tenant_folder(root: Path, name: str, example: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    for file in ("mockmind.yaml", "openapi.yaml"):
        shutil.copy(EXAMPLES / example / file, folder / file)
    return folder


@pytest.fixture
def tenants_root(tmp_path: Path) -> Path:
    """alpha and beta serve the social example, onboard the onboarding one."""
    root = tmp_path / "tenants"
    tenant_folder(root, "alpha", "social")
    tenant_folder(root, "beta", "social")
    tenant_folder(root, "onboard", "onboarding")
    return root
