"""Two `mockmind serve` processes on one store, and many clients writing through both at once.

The shop example is served with its storage pointed at one SQLite file or one DynamoDB table;
each client thread takes turns between the two servers, all in one session, so every write
races writes of the other process as well as of the other threads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.network import free_port
from tests.support.paths import EXAMPLES

SHOP = EXAMPLES / "shop" / "mockmind.yaml"
COOKIE = "mockforge_session"


def shop_config(
    directory: Path,
    storage: Mapping[str, Any],
    *,
    max_history: int | None = None,
    rules: list[dict[str, Any]] | None = None,
) -> Path:
    """The shop's config written to ``directory`` with this ``storage`` section (and more
    history, or more rules, when asked).

    Edited as text: a YAML round trip would turn the state machines' ``on:`` keys into True.
    """
    text = SHOP.read_text()
    text = _replaced(text, "openapi: openapi.yaml\n", f"openapi: {SHOP.parent / 'openapi.yaml'}\n")
    text = _replaced(text, "storage:\n  backend: memory\n", f"storage: {json.dumps(storage)}\n")
    if max_history is not None:
        text = _replaced(text, "max_history_length: 50\n", f"max_history_length: {max_history}\n")
    if rules:
        added = "".join(f"        - {json.dumps(rule)}\n" for rule in rules)
        text = _replaced(text, "      consistency_rules:\n", "      consistency_rules:\n" + added)
    path = directory / "mockmind.yaml"
    path.write_text(text)
    return path


def _replaced(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the shop's config no longer has {old!r} once"
    return text.replace(old, new)


@contextmanager
def two_servers(config: Path, env: Mapping[str, str] | None = None) -> Iterator[tuple[str, str]]:
    """Two servers of ``config``, started one after the other (the second finds the seeds).

    Their logs go to files beside the config (a pipe nobody reads would fill and stall them),
    and are shown when a server fails to start.
    """
    with _server(config, env, "first") as first, _server(config, env, "second") as second:
        yield first, second


@contextmanager
def _server(config: Path, env: Mapping[str, str] | None, name: str) -> Iterator[str]:
    port = free_port()
    log_path = config.parent / f"{name}.log"
    command = [sys.executable, "-m", "mockmind.cli", "serve", "--config", str(config)]
    environment = {**os.environ, **(env or {})}
    environment.pop("MOCKMIND_CONFIG", None)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--log-level", "warning"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_for(process, url, log_path)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mockmind exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/__mockmind/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"mockmind did not start within 30 s:\n{log.read_text()}")


@dataclass
class Run:
    """What the clients were answered, and how long it took."""

    answers: list[httpx.Response] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def statuses(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for response in self.answers:
            counts[response.status_code] = counts.get(response.status_code, 0) + 1
        return counts

    @property
    def per_second(self) -> float:
        return len(self.answers) / self.seconds if self.seconds else 0.0


Send = Callable[[httpx.Client, int, int], httpx.Response]
"""One request: the client to send it with, the thread's number and the request's number."""


def hammer(
    urls: tuple[str, str], session_id: str, threads: int, per_thread: int, send: Send
) -> Run:
    """``threads`` threads of ``per_thread`` requests each, all in one session, each thread
    alternating between the two servers (thread t starts on server t mod 2)."""
    run = Run()
    lock = threading.Lock()
    start = threading.Barrier(threads + 1)

    def worker(thread: int) -> None:
        clients = [
            httpx.Client(base_url=url, timeout=60, cookies={COOKIE: session_id}) for url in urls
        ]
        answers: list[httpx.Response] = []
        try:
            start.wait()
            for number in range(per_thread):
                client = clients[(thread + number) % 2]
                answers.append(send(client, thread, number))
        finally:
            for client in clients:
                client.close()
            with lock:
                run.answers.extend(answers)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in workers:
        thread.join()
    run.seconds = time.perf_counter() - began
    return run


def session_client(url: str, session_id: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=60, cookies={COOKIE: session_id})
