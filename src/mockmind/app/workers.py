"""``mockmind serve --workers N``: N uvicorn worker processes, each building its own app
(``--server granian``: granian's worker processes, one or more, built the same way).

The parent checks the config by building the app (a bad config ends the command with its
message and exit code, as with one process, and the shared seed set is written before any
worker starts). granian starts its workers by fork where multiprocessing does (Linux): each
worker then serves the app the parent built (``serve_on_granian``), so nothing is built twice
and the built document's pages stay shared between the processes until written. uvicorn's
workers, and granian's where it spawns, start as new processes that find the app by a string:
the parent hands them what to load in ``MOCKMIND_WORKER``, and ``worker_app``, the factory the
server calls in each worker, builds the app from it.

Workers share nothing in memory, so their sessions and entities must live in a store they all
reach: the sqlite or aws backend. The memory backend is refused before any worker starts.
What stays per worker: the LLM cost tracker and circuit breaker, the write-race tally in
health, and (on sqlite) the vector store's in-memory index.
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
import threading
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from mockmind.adapters.sqlite.database import close_databases, reopen_databases
from mockmind.app.adapter_choice import choose_storage
from mockmind.app.api import MockmindApp, create_app
from mockmind.app.bootstrap import Container, build
from mockmind.app.cold_start import load_file
from mockmind.app.environment import (
    WORKER_VARIABLE,
    Environment,
    hand_to_workers,
    read_environment,
)
from mockmind.app.logging import configure_logging
from mockmind.config import LoadedConfig
from mockmind.domain.errors import ConfigError, ConfigIssue

# What uvicorn or granian imports in each worker (a factory: they call it for the app).
WORKER_APP = "mockmind.app.workers:worker_app"
# ``serve --server``: the HTTP servers mockmind runs on, and the one it takes by default.
# On a quiet machine (2 cores, load 0.4-1.0) uvicorn (httptools, uvloop) spent less than half
# of granian's CPU a request on every row of bench/RESULTS.md row 4: 182/257/645/393 µs
# against 420/637/1,535/1,030 (cache hit, store read, offline generation, store list), and
# answered 2.5-2.9 times its requests a second (5,498/3,744/1,522/2,246 against
# 2,153/1,464/548/781). Not for the instructions it runs (callgrind, cache hit: granian
# 472k a request, uvicorn 533k): granian hands each request between its Rust threads and the
# Python one (about two thread wake-ups a request), which costs most where the other core is
# idle.
# On a loaded machine (load 6-7) the two cost about the same (least of three alternating
# runs: uvicorn 184/316/605/317 µs, granian 196/365/597/424), and granian's threads take a
# larger share of the cores, which is how it once answered more requests a second there.
# Two later quiet runs (bench/RESULTS.md row 4, 2026-12-04, after this round's cuts): uvicorn
# 129/193/329/129 µs against granian's 139/197/340/163, granian answering 1.09-1.22x the
# requests a second on three rows; and 134/238/366/154 against 182/226/529/233, uvicorn
# answering more on three. uvicorn spent the least CPU a request on three rows in all three.
SERVERS = ("uvicorn", "granian")
DEFAULT_SERVER = "uvicorn"


class WorkerSettings(BaseModel):
    """What a worker needs to build the app the parent checked, as JSON in the environment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The config file the parent loaded, absolute; None: it had none (every default).
    config_file: str | None
    # ``--openapi``, absolute: it overrides the config's document.
    openapi: str | None
    log_level: str

    @classmethod
    def of(cls, loaded: LoadedConfig, openapi: str | None, log_level: str) -> WorkerSettings:
        return cls(
            config_file=str(loaded.source.resolve()) if loaded.source else None,
            openapi=str(Path(openapi).resolve()) if openapi else None,
            log_level=log_level,
        )


def check_workers(workers: int, loaded: LoadedConfig, env: Environment) -> None:
    """A ConfigError when ``workers`` processes would each keep their own sessions.

    The backend is chosen as the app chooses it (``MOCKMIND_STORAGE``, else the config).
    An upstream's recording is one file each exchange is added to: one process writes it.
    """
    upstream = loaded.config.upstream
    if workers > 1 and upstream is not None and upstream.record:
        raise ConfigError(
            [
                loaded.issue(
                    ("upstream", "record"),
                    f"--workers {workers} would write the recording from {workers} processes "
                    "at once; record with one worker",
                )
            ]
        )
    if workers == 1 or choose_storage(loaded.config, env) != "memory":
        return
    reason = (
        f"--workers {workers} needs a shared store: the memory backend keeps sessions in one "
        "process"
    )
    if env.storage is not None:
        raise ConfigError(
            [
                ConfigIssue(
                    "",
                    f"{reason} (set MOCKMIND_STORAGE to sqlite or aws)",
                    source="MOCKMIND_STORAGE",
                )
            ]
        )
    message = f"{reason} (use storage.backend: sqlite or aws)"
    if "backend" in loaded.config.storage.model_fields_set:
        raise ConfigError([loaded.issue(("storage", "backend"), message)])
    source = str(loaded.source) if loaded.source else None
    raise ConfigError([ConfigIssue("storage.backend", message, source=source)])


def worker_app() -> MockmindApp:
    """The app of one worker process: the config ``serve --workers`` handed over, built here."""
    env = read_environment()
    settings = _settings(env)
    configure_logging(settings.log_level)
    config_file = Path(settings.config_file) if settings.config_file else None
    return create_app(build(load_file(config_file, settings.openapi, env), env=env))


def _settings(env: Environment) -> WorkerSettings:
    if env.worker is None:
        raise ConfigError(
            [
                ConfigIssue(
                    "",
                    "is unset: worker_app serves the workers of `mockmind serve --workers N`",
                    source=WORKER_VARIABLE,
                )
            ]
        )
    try:
        return WorkerSettings.model_validate_json(env.worker)
    except ValidationError as exc:
        message = f"is not what `serve` hands its workers: {exc}"
        issue = ConfigIssue("", message, source=WORKER_VARIABLE)
        raise ConfigError([issue]) from exc


def serve_on_granian(
    container: Container,
    settings: WorkerSettings,
    *,
    host: str,
    port: int,
    workers: int,
    log_level: str,
) -> None:
    """Serve the built app on granian until stopped: its forked workers serve ``container``'s
    app; where they cannot be forked from it, each builds its own from ``settings``."""
    if forks_safely():
        app = create_app(container)
        # Collections in a worker would write to every object the parent built (their GC
        # headers), copying the pages the processes share: what is built stays out of them.
        gc.freeze()
        before_fork()
        _granian(host=host, port=port, workers=workers, log_level=log_level, app=app)
        return
    del container  # each worker builds its own
    hand_to_workers(settings.model_dump_json())
    _granian(host=host, port=port, workers=workers, log_level=log_level, app=None)


def forks_safely() -> bool:
    """Whether granian's workers can start from the app built in this process: they are
    forked (granian takes multiprocessing's start method, ``fork`` on Linux up to Python
    3.13), and no other thread runs here, whose locks a fork would copy held."""
    return multiprocessing.get_start_method() == "fork" and threading.active_count() == 1


class _ForkedApp:
    """granian's loader of a forked worker's app: the one the parent built, its connections
    made the worker's own first."""

    def __init__(self, app: MockmindApp) -> None:
        self.app = app

    def __call__(self, _target: str) -> MockmindApp:
        after_fork()
        return self.app


def before_fork() -> None:
    """In the parent, its app built: the SQLite databases closed, for each worker to open its
    own (SQLite's rule: no connection, nor the locks it records, may cross a fork). The
    parent serves nothing itself; it only starts and stops the workers."""
    close_databases()


def after_fork() -> None:
    """In a forked worker: connections of its own. Its SQLite databases opened again; its
    boto3 clients rebuilt (their pooled sockets would be shared with the other workers). The
    httpx clients of callbacks and LLM providers have made no connection before the fork, and
    ``random`` reseeds itself at one."""
    reopen_databases()
    # Only if this process loaded it: importing boto3 here would cost every worker's start.
    aws = sys.modules.get("mockmind.app.aws")
    if aws is not None:
        aws.reconnect_clients()


def _granian(
    *, host: str, port: int, workers: int, log_level: str, app: MockmindApp | None
) -> None:
    """Serve on granian until stopped: ``app`` in forked workers, else ``WORKER_APP``."""
    # granian ships with the `serve` extra, not in the Lambda layer.
    from granian.constants import Interfaces  # noqa: PLC0415
    from granian.log import LogLevels  # noqa: PLC0415
    from granian.server import Server  # noqa: PLC0415

    server = Server(
        WORKER_APP,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        log_level=LogLevels(log_level),
        log_access=log_level == "debug",
    )
    if app is None:
        server.serve()
    else:
        # The loader is handed to each worker as it is forked, not pickled; granian calls it
        # there with the target (unused).
        server.serve(target_loader=_ForkedApp(app))
