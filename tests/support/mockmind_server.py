"""``mockmind serve`` in a subprocess on a free loopback port, as a user starts it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

import httpx

from tests.support.network import free_port


def start_server(
    config: Path, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, **(extra_env or {})}
    env.pop("MOCKMIND_CONFIG", None)
    # The server's log goes to a file, not a pipe: nobody reads a pipe while the tests run,
    # and a server whose log fills the pipe's 64 KB blocks on its next line (a schemathesis
    # run logs every refused request).
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop_server)
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
        stderr=log,
    )
    _logs[process.pid] = log
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mockmind exited with {process.returncode}:\n{_log_of(process)}")
        try:
            if httpx.get(f"{base_url}/__mockmind/health", timeout=1).status_code == 200:
                return process, base_url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    process.wait()
    raise RuntimeError(f"mockmind did not start within 30 s:\n{_log_of(process)}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    _logs.pop(process.pid).close()


_logs: dict[int, IO[bytes]] = {}


def _log_of(process: subprocess.Popen[bytes]) -> str:
    log = _logs.pop(process.pid)
    log.seek(0)
    text = log.read().decode(errors="replace")
    log.close()
    return text
