"""The mockmind command as a user runs it: a real process, real files, exit codes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockmind.adapters.aws.provisioning import create_table
from tests.integration.two_servers import hammer, session_client, shop_config
from tests.support.aws import aws_client, unique_name
from tests.support.mockmind_server import stop_server
from tests.support.network import free_port
from tests.support.paths import EXAMPLES, FIXTURES


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH is kept, so that a checkout's tests run that checkout's code.
    kept = {name: os.environ[name] for name in ("PYTHONPATH",) if name in os.environ}
    return subprocess.run(
        [sys.executable, "-m", "mockmind.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", **kept},
        check=False,
    )


def test_validate_accepts_the_seed_config() -> None:
    result = _run("validate-config", str(FIXTURES / "config-example.yaml"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")
    assert "1 rules" in result.stdout
    assert "OPENAI_API_KEY" in result.stdout  # named as unset, never required
    assert len(result.stdout.strip().splitlines()) == 1


@pytest.mark.slow
def test_validate_accepts_every_example() -> None:
    for config in sorted(EXAMPLES.glob("*/mockmind.yaml")):
        result = _run("validate-config", str(config))
        assert result.returncode == 0, f"{config}: {result.stderr}"


def test_validate_rejects_a_misspelt_key_with_its_line(tmp_path: Path) -> None:
    text = (FIXTURES / "config-example.yaml").read_text()
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("cache_ttl_seconds", "cahce_ttl_seconds"))
    line = next(i for i, text in enumerate(broken.read_text().splitlines(), 1) if "cahce" in text)
    result = _run("validate-config", str(broken))
    assert result.returncode == 1
    assert f"broken.yaml:{line}:" in result.stderr
    assert "cahce_ttl_seconds" in result.stderr
    assert "did you mean 'cache_ttl_seconds'" in result.stderr


def test_validate_names_a_malformed_rule_and_its_column(tmp_path: Path) -> None:
    config = tmp_path / "rules.yaml"
    config.write_text(
        "intelligent_behavior:\n"
        "  behavior_model:\n"
        "    rules:\n"
        "      consistency_rules:\n"
        "        - name: broken_rule\n"
        '          condition: "path starts_with"\n'
        "          action: {type: require_auth}\n"
        "        - name: also_broken\n"
        "          condition: \"method === 'GET'\"\n"
        "          action: {type: require_auth}\n"
    )
    result = _run("validate-config", str(config))
    assert result.returncode == 1
    assert "rule 'broken_rule'" in result.stderr
    assert "column 17" in result.stderr
    assert "rules.yaml:6:" in result.stderr
    assert "rule 'also_broken'" in result.stderr
    assert "column 10" in result.stderr


def test_validate_reports_bad_state_machines_and_expressions(tmp_path: Path) -> None:
    config = tmp_path / "machines.yaml"
    config.write_text(
        "intelligent_behavior:\n"
        "  behavior_model:\n"
        "    rules:\n"
        "      schemas:\n"
        "        Order: {type: object, properties: {id: {type: string}}}\n"
        "      resources:\n"
        "        orders:\n"
        '          computed: {total: "sum(items[].price *"}\n'
        "      state_machines:\n"
        "        m:\n"
        "          resource: invoices\n"
        "          initial: new\n"
        "          transitions:\n"
        '            - {from: new, to: paid, on: "POST /orders/{id}/pay"}\n'
    )
    result = _run("validate-config", str(config))
    assert result.returncode == 1
    assert "unknown resource 'invoices'" in result.stderr
    assert "sum(items[].price *" in result.stderr


def test_validate_reports_a_missing_openapi_document(tmp_path: Path) -> None:
    config = tmp_path / "m.yaml"
    config.write_text("openapi: nowhere.yaml\n")
    result = _run("validate-config", str(config))
    assert result.returncode == 1
    assert "nowhere.yaml" in result.stderr


def test_validate_reports_broken_yaml(tmp_path: Path) -> None:
    config = tmp_path / "m.yaml"
    config.write_text("intelligent_behavior:\n  enabled: [true\n")
    result = _run("validate-config", str(config))
    assert result.returncode == 1
    assert "invalid YAML" in result.stderr


def test_serve_fails_fast_on_a_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "m.yaml"
    config.write_text("storage: {backend: floppy}\n")
    result = _run("serve", "--config", str(config), "--port", "0")
    assert result.returncode == 1
    assert "storage.backend" in result.stderr


@pytest.mark.slow
def test_serve_an_openapi_document_alone(tmp_path: Path) -> None:
    port = free_port()
    spec = FIXTURES / "openapi" / "petstore-3.0.yaml"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockmind.cli",
            "serve",
            "--openapi",
            str(spec),
            "--port",
            str(port),
        ],
        cwd=tmp_path,  # no mockmind.yaml here: every default
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                health = httpx.get(f"{base}/__mockmind/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health.json()["api"]["kind"] == "openapi"
        pets = httpx.get(f"{base}/pets", timeout=5)
        assert pets.status_code == 200, pets.text
        assert isinstance(pets.json(), list)
        # A circular schema (a tree of nodes) is generated finitely and accepted back.
        tree = httpx.post(f"{base}/trees", json={"name": "root", "children": []}, timeout=5)
        assert tree.status_code == 201, tree.text
        assert httpx.get(f"{base}/trees", timeout=5).status_code == 405
        assert httpx.get(f"{base}/nowhere", timeout=5).status_code == 404
    finally:
        stop_server(process)


@pytest.mark.slow
@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_serve_on_either_http_server_keeps_a_session(server: str) -> None:
    port = free_port()
    config = EXAMPLES / "shop" / "mockmind.yaml"
    command = [sys.executable, "-m", "mockmind.cli", "serve", "--config", str(config)]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--server", server],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                health = httpx.get(f"{base}/__mockmind/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health.status_code == 200
        headers = {"x-session-id": f"serve-{server}"}
        products = httpx.get(f"{base}/products?limit=1", headers=headers, timeout=5)
        assert products.status_code == 200, products.text
        assert products.headers["server"] == server
        added = httpx.post(
            f"{base}/cart/items",
            json={"product_id": products.json()[0]["id"], "quantity": 2},
            headers=headers,
            timeout=5,
        )
        assert added.status_code == 201, added.text
        cart = httpx.get(f"{base}/cart", headers=headers, timeout=5)
        assert [i["id"] for i in cart.json()["items"]] == [added.json()["id"]]
    finally:
        stop_server(process)


def test_serve_refuses_an_unknown_http_server() -> None:
    config = str(EXAMPLES / "shop" / "mockmind.yaml")
    result = _run("serve", "--config", config, "--server", "gunicorn")
    assert result.returncode == 2
    assert "Invalid value for '--server': 'gunicorn' is not one of 'uvicorn', 'granian'" in (
        result.stderr
    )


# --------------------------------------------------------------------------- serve --workers


def test_serve_refuses_several_workers_on_the_memory_backend() -> None:
    result = _run("serve", "--config", str(EXAMPLES / "shop" / "mockmind.yaml"), "--workers", "4")
    assert result.returncode == 1
    assert (
        "storage.backend: --workers 4 needs a shared store: the memory backend keeps sessions "
        "in one process (use storage.backend: sqlite or aws)"
    ) in result.stderr
    assert "serving" not in result.stderr  # refused before anything started


def test_serve_refuses_zero_workers() -> None:
    result = _run("serve", "--config", str(EXAMPLES / "shop" / "mockmind.yaml"), "--workers", "0")
    assert result.returncode == 2
    assert "Invalid value for '--workers': 0 is not in the range x>=1" in result.stderr


def _worker_pids(parent: int) -> list[int]:
    """The parent's children that run a worker: spawned by multiprocessing (uvicorn) or
    forked by granian (not helpers such as multiprocessing's resource tracker)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    # granian titles its forked workers `granian asgi <address> <target> worker-<n>`.
    worker = re.compile(rb"spawn_main|^granian .* worker-\d+")
    return [
        int(child)
        for child in children
        if worker.search(Path(f"/proc/{child}/cmdline").read_bytes())
    ]


def _connections(pid: int, port: int) -> int:
    """The established TCP connections to ``port`` that process ``pid`` holds.

    Counted by the sockets' inodes in /proc/net/tcp, not by all of the process's sockets: a
    worker also makes sockets of its own (its event loop's self-pipe is a socket pair) at
    moments a test cannot see, which counted as connections under load.
    """
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01":  # 01: ESTABLISHED
                established.add(fields[9])
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed since listed
        count += target.startswith("socket:[") and target[8:-1] in established
    return count


# What each server logs when a worker is ready to serve, and with which pid it started.
_WORKER_LOG = {
    "uvicorn": ("Application startup complete.", r"Started server process \[(\d+)\]"),
    "granian": ("Started worker-", r"Spawning worker-\d+ with PID: (\d+)"),
}


@contextmanager
def _workers_server(
    config: Path, workers: int, extra_env: dict[str, str], server: str = "uvicorn"
) -> Iterator[tuple[str, list[int]]]:
    """`serve --workers N` of ``config`` on ``server`` (whose log lines say when each worker
    has started, and its pid): its URL and its workers' pids, once all started."""
    port = free_port()
    log_path = config.parent / "serve.log"
    env = {k: v for k, v in os.environ.items() if k not in {"MOCKMIND_CONFIG", "MOCKMIND_STORAGE"}}
    env.update(extra_env)
    command = [sys.executable, "-m", "mockmind.cli", "serve", "--config", str(config)]
    with ExitStack() as stack:
        log = stack.enter_context(log_path.open("wb"))
        process = subprocess.Popen(
            [*command, "--port", str(port), "--workers", str(workers), "--server", server],
            env=env,
            # granian logs to stdout, uvicorn to stderr.
            stdout=log,
            stderr=log,
        )
        stack.callback(stop_server, process)
        deadline = time.monotonic() + 60
        ready, started_pid = _WORKER_LOG[server]
        while log_path.read_text().count(ready) < workers:
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        started = re.findall(started_pid, log_path.read_text())
        pids = _worker_pids(process.pid)
        assert sorted(pids) == sorted(int(pid) for pid in started)
        yield f"http://127.0.0.1:{port}", pids


# Creates per client thread: moto answers one DynamoDB request at a time, and slowly.
_WORKER_CREATES = {"sqlite": 50, "aws": 10}


@pytest.fixture(params=["sqlite", "aws"])
def shared_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, dict[str, Any], dict[str, str]]]:
    """A store workers share: its name, the config's ``storage`` and the server's environment."""
    backend = str(request.param)
    if backend == "sqlite":
        yield backend, {"backend": "sqlite", "sqlite_path": str(tmp_path / "s.db")}, {}
        return
    endpoint = request.getfixturevalue("moto_endpoint")
    client = aws_client("dynamodb", endpoint)
    table = unique_name("workers")
    create_table(client, table)
    yield backend, {"backend": "aws", "table": table}, {"AWS_ENDPOINT_URL": endpoint}
    client.delete_table(TableName=table)


@pytest.mark.slow
@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_serve_with_two_workers_on_a_shared_store_loses_no_write(
    shared_store: tuple[str, dict[str, Any], dict[str, str]], tmp_path: Path, server: str
) -> None:
    """granian's workers are forked from the process that built the app: each must open its
    own SQLite connection and boto3 client, or their writes would interleave on one."""
    backend, storage, env = shared_store
    config = shop_config(tmp_path, storage)
    with _workers_server(config, 2, env, server) as (url, pids):
        assert len(pids) == 2
        # Both workers take connections: each holds sockets of its own for them.
        port = int(url.rsplit(":", 1)[1])
        assert {pid: _connections(pid, port) for pid in pids} == dict.fromkeys(pids, 0)
        with ExitStack() as clients:
            for _ in range(16):
                client = clients.enter_context(httpx.Client(base_url=url, timeout=30))
                assert client.get("/__mockmind/health").status_code == 200
            taken = {pid: _connections(pid, port) for pid in pids}
        assert sum(taken.values()) == 16
        assert all(count >= 1 for count in taken.values()), taken

        with httpx.Client(base_url=url, timeout=30) as client:
            products: list[dict[str, Any]] = client.get("/products?limit=12").json()
        session_id = f"workers-{uuid.uuid4().hex}"

        def add(client: httpx.Client, thread: int, number: int) -> httpx.Response:
            product = products[(thread * 7 + number) % len(products)]
            quantity = 1 + (thread + number) % 5
            body = {"product_id": product["id"], "quantity": quantity}
            return client.post("/cart/items", json=body)

        run = hammer((url, url), session_id, 4, _WORKER_CREATES[backend], add)
        with session_client(url, session_id) as client:
            cart = client.get("/cart").json()

    assert run.statuses == {201: 4 * _WORKER_CREATES[backend]}
    created = [answer.json() for answer in run.answers]
    assert sorted(item["id"] for item in cart["items"]) == sorted(item["id"] for item in created)
    expected = round(sum(item["price"] * item["quantity"] for item in created), 2)
    assert cart["total"] == pytest.approx(expected, abs=0.005)
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists(), "a worker outlived `serve`"
