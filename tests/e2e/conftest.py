"""Black-box flows over HTTP: against MOCKMIND_URL when set, else a local server started here."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import EXAMPLES, free_port


def start_server(
    config: Path, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, **(extra_env or {})}
    env.pop("MOCKMIND_CONFIG", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockmind.cli",
            "serve",
            "--config",
            str(config),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"mockmind exited with {process.returncode}:\n{err}")
        try:
            if httpx.get(f"{base_url}/__mockmind/health", timeout=1).status_code == 200:
                return process, base_url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("mockmind did not start within 30 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stderr:
        process.stderr.close()


def _served(example: str) -> Iterator[str]:
    """The example's base URL: MOCKMIND_URL (the shop, deployed) or a local server."""
    deployed = os.environ.get("MOCKMIND_URL")
    if deployed and example == "shop":
        yield deployed.rstrip("/")
        return
    if deployed:
        pytest.skip(f"MOCKMIND_URL serves the shop; the {example} example runs locally only")
    process, url = start_server(EXAMPLES / example / "mockmind.yaml")
    try:
        yield url
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    yield from _served("shop")


@pytest.fixture(scope="session")
def social_url() -> Iterator[str]:
    yield from _served("social")


@pytest.fixture(scope="session")
def onboarding_url() -> Iterator[str]:
    yield from _served("onboarding")


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    """A fresh client: its own cookie jar, so its own session."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        yield http
