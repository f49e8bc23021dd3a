"""``mockmind proxy`` in a subprocess on a free loopback port, as a user starts it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from mockmind.proxy.state import PROXY_PREFIX
from tests.support.network import free_port
from tests.support.paths import ROOT


def start_proxy(upstream: str, *options: str) -> tuple[subprocess.Popen[bytes], str]:
    """The proxy in front of ``upstream`` with the command's ``options`` (``--record``...);
    it is up when its own health route answers (that route is not forwarded, nor recorded)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    log_fd, log_path = tempfile.mkstemp(prefix="mockmind-proxy-", suffix=".log")
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mockmind.cli",
                "proxy",
                "--upstream",
                upstream,
                "--port",
                str(port),
                *options,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_fd,
        )
    finally:
        os.close(log_fd)
    try:
        return process, _wait_until_up(process, port, Path(log_path))
    finally:
        os.unlink(log_path)


def _wait_until_up(process: subprocess.Popen[bytes], port: int, log: Path) -> str:
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = log.read_text(errors="replace")
            raise RuntimeError(f"mockmind proxy exited with {process.returncode}:\n{err}")
        try:
            if httpx.get(f"{base_url}{PROXY_PREFIX}/health", timeout=1).status_code == 200:
                return base_url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("mockmind proxy did not start within 30 s")
