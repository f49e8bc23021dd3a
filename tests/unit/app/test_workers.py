"""`serve --workers N`: which stores allow several processes, and what each worker builds."""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockmind.adapters.sqlite import database as sqlite_database
from mockmind.app import workers
from mockmind.app.api import MockmindApp
from mockmind.app.bootstrap import Container, build
from mockmind.app.environment import WORKER_VARIABLE, Environment
from mockmind.app.workers import WorkerSettings, check_workers, serve_on_granian, worker_app
from mockmind.config import LoadedConfig, load_config, parse_config
from mockmind.domain.errors import ConfigError, StoreError
from tests.support.in_process import send
from tests.support.paths import FIXTURES

MEMORY_BY_DEFAULT = "server: {max_body_bytes: 65536}\n"
SQLITE = "storage:\n  backend: sqlite\n  sqlite_path: mock.db\n"
NO_ENV = Environment.from_mapping({})


def _loaded(text: str) -> LoadedConfig:
    return parse_config(text, source=Path("/srv/mockmind.yaml"), env={})


def _problem(workers: int, loaded: LoadedConfig, env: Environment) -> str:
    with pytest.raises(ConfigError) as refused:
        check_workers(workers, loaded, env)
    (issue,) = refused.value.issues
    return str(issue)


def test_one_worker_runs_on_any_backend() -> None:
    check_workers(1, _loaded(MEMORY_BY_DEFAULT), NO_ENV)
    check_workers(1, _loaded(SQLITE), Environment.from_mapping({"MOCKMIND_STORAGE": "memory"}))


@pytest.mark.parametrize(
    ("text", "env"),
    [
        (SQLITE, {}),
        ("storage: {backend: aws, table: t}\n", {}),
        (MEMORY_BY_DEFAULT, {"MOCKMIND_STORAGE": "sqlite"}),
    ],
)
def test_several_workers_run_on_a_shared_store(text: str, env: dict[str, str]) -> None:
    check_workers(4, _loaded(text), Environment.from_mapping(env))


def test_the_memory_backend_of_the_config_is_refused_with_its_line() -> None:
    loaded = _loaded("server: {max_body_bytes: 65536}\nstorage:\n  backend: memory\n")
    assert _problem(4, loaded, NO_ENV) == (
        "/srv/mockmind.yaml:3:12: storage.backend: --workers 4 needs a shared store: the memory "
        "backend keeps sessions in one process (use storage.backend: sqlite or aws)"
    )


def test_the_default_memory_backend_is_refused() -> None:
    assert _problem(2, _loaded(MEMORY_BY_DEFAULT), NO_ENV) == (
        "/srv/mockmind.yaml: storage.backend: --workers 2 needs a shared store: the memory "
        "backend keeps sessions in one process (use storage.backend: sqlite or aws)"
    )


def test_the_memory_backend_of_the_environment_is_refused_by_its_name() -> None:
    env = Environment.from_mapping({"MOCKMIND_STORAGE": "memory"})
    assert _problem(2, _loaded(SQLITE), env) == (
        "MOCKMIND_STORAGE: --workers 2 needs a shared store: the memory backend keeps sessions "
        "in one process (set MOCKMIND_STORAGE to sqlite or aws)"
    )


def test_worker_settings_name_the_files_the_parent_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "m.yaml").write_text(SQLITE)
    (tmp_path / "spec.yaml").write_text("openapi: 3.0.3\n")
    loaded = load_config(Path("conf/m.yaml"), env={})
    settings = WorkerSettings.of(loaded, "spec.yaml", "warning")
    assert settings == WorkerSettings(
        config_file=str(tmp_path / "conf" / "m.yaml"),
        openapi=str(tmp_path / "spec.yaml"),
        log_level="warning",
    )
    no_file = WorkerSettings.of(LoadedConfig(loaded.config), None, "info")
    assert (no_file.config_file, no_file.openapi) == (None, None)


def _health(settings: WorkerSettings, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The health of the app ``worker_app`` builds from ``settings``, at their log level."""
    monkeypatch.setenv(WORKER_VARIABLE, settings.model_dump_json())
    levels: list[str | None] = []
    # Recorded, not applied: the process's loggers are the test run's.
    monkeypatch.setattr("mockmind.app.workers.configure_logging", levels.append)
    app = worker_app()
    assert levels == [settings.log_level]

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            return await client.get("/__mockmind/health")

    response = asyncio.run(get())
    assert response.status_code == 200
    health: dict[str, object] = response.json()
    return health


def test_a_worker_builds_the_app_of_the_config_handed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "m.yaml"
    config.write_text(SQLITE)
    monkeypatch.delenv("MOCKMIND_STORAGE", raising=False)
    spec = FIXTURES / "openapi" / "petstore-3.0.yaml"
    settings = WorkerSettings(config_file=str(config), openapi=str(spec), log_level="warning")
    health = _health(settings, monkeypatch)
    assert health["storage"] == {"backend": "sqlite"}
    assert health["api"] == {"kind": "openapi"}
    assert health["write_races"] == {
        "entity": {"retried": 0, "given_up": 0},
        "session": {"retried": 0, "given_up": 0},
    }
    # The relative sqlite_path is the config file's neighbour, as with one process.
    assert (tmp_path / "mock.db").exists()


def test_a_worker_without_a_config_file_takes_every_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MOCKMIND_STORAGE", "sqlite")
    settings = WorkerSettings(config_file=None, openapi=None, log_level="warning")
    health = _health(settings, monkeypatch)
    assert (health["storage"], health["api"]) == ({"backend": "sqlite"}, {"kind": "schemas"})


def test_worker_app_outside_serve_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WORKER_VARIABLE, raising=False)
    with pytest.raises(ConfigError, match="MOCKMIND_WORKER: is unset: worker_app serves"):
        worker_app()
    monkeypatch.setenv(WORKER_VARIABLE, '{"config_file": null}')
    with pytest.raises(ConfigError, match="MOCKMIND_WORKER: is not what `serve` hands"):
        worker_app()


# ------------------------------------------------------------- granian's forked workers


def _granian_started(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What ``serve_on_granian`` starts granian with, recorded instead of serving."""
    started: list[dict[str, Any]] = []
    monkeypatch.setattr("mockmind.app.workers._granian", lambda **kw: started.append(kw))
    # gc.freeze would keep the test run's objects out of every later collection.
    monkeypatch.setattr("mockmind.app.workers.gc.freeze", lambda: None)
    return started


def _serve_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Container:
    monkeypatch.delenv(WORKER_VARIABLE, raising=False)
    # The process's registry of open databases holds only this test's: serving closes and a
    # forked worker reopens every one, and another test's database still alive (mutmut's
    # parent freezes the garbage collector) may sit in a folder pytest has since deleted.
    monkeypatch.setattr(sqlite_database, "_OPENED", weakref.WeakSet())
    spec = FIXTURES / "openapi" / "petstore-3.0.yaml"
    config = f"openapi: {spec}\nstorage: {{backend: sqlite, sqlite_path: {tmp_path / 'm.db'}}}\n"
    container = build(parse_config(config, env={}), env={})
    settings = WorkerSettings(config_file=None, openapi=str(spec), log_level="info")
    serve_on_granian(container, settings, host="127.0.0.1", port=0, workers=2, log_level="info")
    return container


def test_forked_granian_workers_serve_the_app_built_on_connections_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers.multiprocessing, "get_start_method", lambda: "fork")
    # As in `serve`, one thread: tests run before this one may have left theirs.
    monkeypatch.setattr(workers.threading, "active_count", lambda: 1)
    started = _granian_started(monkeypatch)
    container = _serve_sqlite(tmp_path, monkeypatch)
    (granian,) = started
    app = granian["app"]
    assert isinstance(app, MockmindApp)
    assert app.container is container
    # Nothing handed over to build from: the workers build nothing.
    assert WORKER_VARIABLE not in os.environ
    # The parent closed its database before forking: no connection crosses the fork.
    with pytest.raises(StoreError, match="closed database"):
        container.sessions.get("anyone", now=0.0)
    # What granian calls in each forked worker: the same app, its database opened again.
    loader = workers._ForkedApp(app)
    assert loader("mockmind.app.workers:worker_app") is app
    assert container.sessions.get("anyone", now=0.0) is None
    response = send(app, "GET", "/pets", headers={"x-session-id": "forked"})
    assert response.status_code == 200
    assert container.sessions.get("forked", now=0.0) is not None


def test_granian_workers_build_their_own_app_where_not_forked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers.multiprocessing, "get_start_method", lambda: "spawn")
    started = _granian_started(monkeypatch)
    container = _serve_sqlite(tmp_path, monkeypatch)
    assert started[0]["app"] is None
    handed = WorkerSettings.model_validate_json(os.environ[WORKER_VARIABLE])
    assert handed.openapi == str(FIXTURES / "openapi" / "petstore-3.0.yaml")
    # The parent's database stays as it was: nothing forks from it.
    assert container.sessions.get("anyone", now=0.0) is None


def test_a_fork_is_taken_only_from_a_single_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers.multiprocessing, "get_start_method", lambda: "fork")
    with monkeypatch.context() as alone:
        # Tests run before this one may have left threads of their own.
        alone.setattr(workers.threading, "active_count", lambda: 1)
        assert workers.forks_safely()
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not workers.forks_safely()
    finally:
        release.set()
        other.join()
    monkeypatch.setattr(workers.multiprocessing, "get_start_method", lambda: "forkserver")
    assert not workers.forks_safely()
