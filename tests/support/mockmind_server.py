"""``mockmind serve`` in a subprocess on a free loopback port, as a user starts it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.support.network import free_port


def start_server(
    config: Path, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, **(extra_env or {})}
    env.pop("MOCKMIND_CONFIG", None)
    # The server's log goes to a file, not a pipe: nobody reads a pipe while the server runs,
    # and a server that logged 64 KB (a long fuzz run's refusals) would block writing more.
    log_fd, log_path = tempfile.mkstemp(prefix="mockmind-server-", suffix=".log")
    try:
        process = _spawn(config, port, env, log_fd)
    finally:
        os.close(log_fd)
    try:
        return process, wait_until_up(process, port, Path(log_path))
    finally:
        # The server keeps writing to the file it has open; it goes when the server ends.
        os.unlink(log_path)


def _spawn(config: Path, port: int, env: dict[str, str], log_fd: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
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
        stderr=log_fd,
    )


def wait_until_up(
    process: subprocess.Popen[bytes],
    port: int,
    log: Path,
    *,
    health: str = "/__mockmind/health",
    name: str = "mockmind",
) -> str:
    """The server's base URL once ``health`` answers 200; its log in the error if it exits or
    does not answer within 30 s."""
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = log.read_text(errors="replace")
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{err}")
        try:
            if httpx.get(f"{base_url}{health}", timeout=1).status_code == 200:
                return base_url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{name} did not start within 30 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    # Servers started by hand with a pipe for their log (start_server's log to a file).
    if process.stderr:
        process.stderr.close()
