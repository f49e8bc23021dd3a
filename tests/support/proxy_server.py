"""``mockmind proxy`` in a subprocess on a free loopback port, as a user starts it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from mockmind.proxy.state import PROXY_PREFIX
from tests.support.mockmind_server import wait_until_up
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
        return process, wait_until_up(
            process,
            port,
            Path(log_path),
            health=f"{PROXY_PREFIX}/health",
            name="mockmind proxy",
        )
    finally:
        os.unlink(log_path)
