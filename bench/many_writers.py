"""10. Many writers: server processes on one store, 8 client threads creating in one session.

The shop is served with its storage on one SQLite file, then on one DynamoDB table of a moto
server this benchmark starts (with each DynamoDB request atomic, as in DynamoDB:
tests/support/atomic_moto.py). 8 threads send `POST /cart/items`, all in one session, each
thread alternating between two servers; every create races the other threads' and the other
process's, for the cart's entities and for the session's save. A create answered 201 must be
in the cart: one that is not is a lost write.

Rows per store: one process (the baseline: both "servers" are the same one), two processes,
and one `serve --workers 2` (two workers behind one port). Retried conflicts are the servers'
own counts (`write_races` in /__mockmind/health, summed over the processes, counted before and
after the run).
"""

from __future__ import annotations

import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tests.integration.two_servers import Run, hammer, session_client, shop_config

from bench.report import (
    MOTO_ENV,
    WORK,
    Section,
    bench_env,
    fmt_ratio,
    free_port,
    moto_client,
    running,
    verdict,
    wait_http,
)
from mockmind.adapters.aws.provisioning import create_table

THREADS = 8
# Creates per thread: what the report ran (8 x 200 on SQLite, 8 x 40 on moto, whose
# every request is slower and one at a time).
CREATES = {"sqlite": 200, "aws": 40}
_TABLE = "bench-many-writers"
_RACES = ("entity", "session")
_COUNTS = ("retried", "given_up")


@dataclass(frozen=True)
class Store:
    """A backend: its name, the config's ``storage`` section, the servers' environment."""

    name: str
    storage: Mapping[str, Any]
    env: Mapping[str, str]


@dataclass(frozen=True)
class Outcome:
    """One run: its answers, what the cart kept, and the servers' lost races in it."""

    run: Run
    created: set[str]
    kept: set[str]
    # {"entity": {"retried": n, "given_up": n}, "session": {...}}; None: not separable.
    races: dict[str, dict[str, int]] | None


def run() -> Section:
    section = Section(
        "10. Many writers (server processes on one store, sqlite and moto)",
        f"""
`mockmind serve` of examples/shop with its storage on one SQLite file (WAL), then on one
DynamoDB table of a moto server on loopback (each DynamoDB request atomic, as in DynamoDB).
{THREADS} threads send `POST /cart/items` in one session ({CREATES["sqlite"]} each on SQLite,
{CREATES["aws"]} on moto), each thread alternating between two servers. Created: answered 201;
kept: in the cart afterwards; lost: created but not kept. Retried conflicts are the servers'
own counts (`write_races` in `/__mockmind/health`): turns a write took again after losing a
race to another writer, for the cart's entities and the session's save. Baseline: one process
(both "servers" the same one), same store, same requests.
""",
        [
            "store",
            "servers",
            "requests",
            "created (201)",
            "kept",
            "lost",
            "409 / 503",
            "retried conflicts (entity / session)",
            "given up",
            "req/s",
            "vs one process",
            "target",
        ],
    )
    WORK.mkdir(parents=True, exist_ok=True)
    for store in (_sqlite, _dynamodb):
        with store() as backend:
            _measure(section, backend)
    section.notes.append(
        "One process has no retried conflicts: its requests' store calls do not yield to one "
        "another, so its own writes never interleave. Races come from the other process."
    )
    section.notes.append(
        "`serve --workers 2`: each worker counts its own races, and the health route answers "
        "from whichever worker takes the request, so its retried conflicts are not shown. "
        f"The kernel spreads the {2 * THREADS} client connections over the workers, where two "
        "servers get each thread's requests in strict turns."
    )
    section.notes.append(
        "Any other answer (5xx) would be counted in requests but not in created, and named "
        "below the table."
    )
    return section


@contextmanager
def _sqlite() -> Iterator[Store]:
    directory = WORK / "many-writers-sqlite"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    storage = {"backend": "sqlite", "sqlite_path": str(directory / "shop.db")}
    yield Store("sqlite", storage, {"MOCKMIND_STORAGE": "sqlite"})


@contextmanager
def _dynamodb() -> Iterator[Store]:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "tests.support.atomic_moto", "-p", str(port)]
    log = WORK / "many-writers-moto.log"
    with running(command, env=bench_env(**MOTO_ENV), log=log) as proc:
        wait_http(endpoint + "/moto-api/", timeout=30, proc=proc)
        create_table(moto_client("dynamodb", endpoint), _TABLE)
        env = {"MOCKMIND_STORAGE": "aws", "AWS_ENDPOINT_URL": endpoint, **MOTO_ENV}
        yield Store("aws", {"backend": "aws", "table": _TABLE}, env)


def _measure(section: Section, store: Store) -> None:
    directory = WORK / f"many-writers-{store.name}-config"
    directory.mkdir(parents=True, exist_ok=True)
    config = shop_config(directory, store.storage)
    label = "SQLite (one file)" if store.name == "sqlite" else "DynamoDB (moto, one table)"
    with ExitStack() as servers:
        first = servers.enter_context(_server(config, store, "first"))
        second = servers.enter_context(_server(config, store, "second"))
        products = _product_ids(first)
        one = _hammer((first, first), store, products)
        two = _hammer((first, second), store, products)
    with _server(config, store, "workers", workers=2) as url:
        workers = _hammer((url, url), store, products, count_races=False)
    baseline = one.run.per_second
    for servers_label, outcome in (
        ("one process (baseline)", one),
        ("two processes", two),
        ("one `serve --workers 2`", workers),
    ):
        _row(section, label, servers_label, outcome, baseline)


def _row(section: Section, store: str, servers: str, outcome: Outcome, baseline: float) -> None:
    statuses = outcome.run.statuses
    lost = outcome.created - outcome.kept
    extra = outcome.kept - outcome.created
    races = outcome.races
    retried = given_up = "-"
    if races is not None:
        retried = " / ".join(f"{races[kind]['retried']:,}" for kind in _RACES)
        given_up = " / ".join(f"{races[kind]['given_up']:,}" for kind in _RACES)
    section.row(
        store,
        servers,
        f"{len(outcome.run.answers):,}",
        f"{statuses.get(201, 0):,}",
        f"{len(outcome.kept):,}",
        f"{len(lost):,}",
        f"{statuses.get(409, 0):,} / {statuses.get(503, 0):,}",
        retried,
        given_up,
        f"{outcome.run.per_second:,.0f}",
        fmt_ratio(outcome.run.per_second / baseline) if baseline else "-",
        verdict(not lost, "no lost write"),
    )
    others = {s: n for s, n in statuses.items() if s not in {201, 409, 503}}
    if others:
        section.notes.append(f"{store}, {servers}: other answers {others}")
    if extra:
        section.notes.append(f"{store}, {servers}: {len(extra)} kept without a 201 answer")


def _hammer(
    urls: tuple[str, str], store: Store, products: list[str], *, count_races: bool = True
) -> Outcome:
    session_id = f"bench-{uuid.uuid4().hex}"
    servers = sorted(set(urls))
    before = [_races(url) for url in servers] if count_races else []

    def add(client: httpx.Client, thread: int, number: int) -> httpx.Response:
        product = products[(thread * 7 + number) % len(products)]
        quantity = 1 + (thread + number) % 5
        return client.post("/cart/items", json={"product_id": product, "quantity": quantity})

    run = hammer(urls, session_id, THREADS, CREATES[store.name], add)
    created = {str(a.json()["id"]) for a in run.answers if a.status_code == 201}
    with session_client(urls[0], session_id) as client:
        cart = client.get("/cart")
    cart.raise_for_status()
    kept = {str(item["id"]) for item in cart.json()["items"]}
    races = None
    if count_races:
        after = [_races(url) for url in servers]
        races = {
            kind: {count: _difference(after, before, kind, count) for count in _COUNTS}
            for kind in _RACES
        }
    return Outcome(run, created, kept, races)


def _difference(
    after: list[dict[str, dict[str, int]]],
    before: list[dict[str, dict[str, int]]],
    kind: str,
    count: str,
) -> int:
    """How much one count grew over the run, summed over the servers."""
    return sum(a[kind][count] - b[kind][count] for a, b in zip(after, before, strict=True))


def _races(url: str) -> dict[str, dict[str, int]]:
    response = httpx.get(f"{url}/__mockmind/health", timeout=30)
    response.raise_for_status()
    races: dict[str, dict[str, int]] = response.json()["write_races"]
    return races


def _product_ids(url: str) -> list[str]:
    response = httpx.get(f"{url}/products", params={"limit": 12}, timeout=30)
    response.raise_for_status()
    return [str(product["id"]) for product in response.json()]


@contextmanager
def _server(config: Path, store: Store, name: str, *, workers: int = 1) -> Iterator[str]:
    """`mockmind serve` of ``config`` on ``store`` (offline, no keys), until the block ends."""
    port = free_port()
    argv = [sys.executable, "-m", "mockmind.cli", "serve", "--config", str(config)]
    # At info, uvicorn says when each worker is ready (and still logs no request).
    argv += ["--port", str(port), "--log-level", "info", "--workers", str(workers)]
    # uvicorn named, whatever the default: the readiness check below counts the line uvicorn
    # logs once per worker when its app is built, which granian does not log.
    argv += ["--server", "uvicorn"]
    log = WORK / f"many-writers-{store.name}-{name}.log"
    with running(argv, env=bench_env(**store.env), log=log) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/__mockmind/health", timeout=60, proc=proc)
        # The first worker answers the probe; the run starts once every one can.
        deadline = time.monotonic() + 60
        while log.read_text().count("Application startup complete.") < workers:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"`serve --workers {workers}` did not start: see {log}")
            time.sleep(0.1)
        yield url
