"""13. LLM path latency: what the vector store's embeddings add to a request.

`mockmind serve` with examples/shop, `llm_provider: openai_compatible` and the vector store's
embeddings at bench/cost.py's counting server on loopback, in two set-ups:

- the embeddings endpoint answering in 50 ms: store reads (`GET /products?limit=2` and
  `GET /products/{id}`, one session each) of two servers, vector store off and on, alternated
  request by request; target: on within 1.1x of off at the median (remembering an
  interaction is written behind the answer);
- the embeddings endpoint starting to hang (accepting, never answering) after five warm-up
  requests, `embedding_timeout_seconds` 0.5: store reads and requests that call the LLM
  (`GET /admin/stats?n=<new>` logged in with `Prefer: dynamic=true`, so each needs the
  recall's query embedding first); target: no request above the timeout + 50 ms.

    .venv/bin/python bench/run.py --only llm_latency
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.cost import CountingLlm, _config
from bench.report import (
    ROOT,
    VENV_BIN,
    WORK,
    Section,
    bench_env,
    cpu_seconds,
    fmt_ratio,
    fmt_s,
    free_port,
    running,
    verdict,
    wait_http,
)

READS = 300
WARM_UP = 20
EMBED_DELAY = 0.05
EMBED_TIMEOUT = 0.5
CALLS_WHILE_HANGING = 20
# The chat's own timeout in the hanging set-up, so that a run of code without
# embedding_timeout_seconds (the "before" of the report) ends in minutes.
CHAT_TIMEOUT = "    timeout_seconds: 3\n"


def _knows_embedding_timeout() -> bool:
    models = ROOT / "src" / "mockmind" / "config" / "models.py"
    return "embedding_timeout_seconds" in models.read_text()


@dataclass
class Timings:
    seconds: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.seconds, n=20)[-1]

    @property
    def worst(self) -> float:
        return max(self.seconds)


def _timed(client: httpx.Client, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:200]}")
    return elapsed


def _serve(
    llm: CountingLlm, name: str, *, vectors: bool, settings: str = "", chat_timeout: bool = False
) -> Any:
    port = free_port()
    config, extra = _config(llm.url, vectors=vectors, vector_settings=settings, name=name)
    if chat_timeout:
        text = config.read_text().replace(
            "    max_tokens: 1024\n", "    max_tokens: 1024\n" + CHAT_TIMEOUT
        )
        config.write_text(text)
    argv = [str(VENV_BIN / "mockmind"), "serve", "--config", str(config), "--port", str(port)]
    return port, running(argv, env=bench_env(**extra), log=WORK / f"{name}.log")


def _store_reads() -> tuple[Timings, Timings, dict[str, Any]]:
    """The same reads against two servers at once, vector store off and on, alternated
    request by request so that the load of a shared machine falls on both alike."""
    with CountingLlm(embed_delay=EMBED_DELAY) as llm:
        port_off, plain = _serve(llm, "llm-latency-plain", vectors=False)
        port_on, with_vectors = _serve(llm, "llm-latency-vectors", vectors=True)
        bases = [f"http://127.0.0.1:{port}" for port in (port_off, port_on)]
        with plain as proc_off, with_vectors as proc_on:
            for base, proc in zip(bases, (proc_off, proc_on), strict=True):
                wait_http(base + "/__mockmind/health", timeout=60, proc=proc)
            with (
                httpx.Client(base_url=bases[0], timeout=30) as off,
                httpx.Client(base_url=bases[1], timeout=30) as on,
            ):
                ids = [p["id"] for p in off.get("/products?limit=5").json()]
                paths = ["/products?limit=2", *(f"/products/{i}" for i in ids)]
                for n in range(WARM_UP):
                    _timed(off, paths[n % len(paths)])
                    _timed(on, paths[n % len(paths)])
                seconds: tuple[list[float], list[float]] = ([], [])
                cpu_before = [cpu_seconds(proc_off.pid), cpu_seconds(proc_on.pid)]
                for n in range(READS):
                    path = paths[n % len(paths)]
                    seconds[0].append(_timed(off, path))
                    seconds[1].append(_timed(on, path))
                time.sleep(0.5)  # the last batch written behind
                cpu = [
                    cpu_seconds(proc_off.pid) - cpu_before[0],
                    cpu_seconds(proc_on.pid) - cpu_before[1],
                ]
            health = _health(bases[1])
            health["cpu_per_request"] = [c / READS for c in cpu]
    return Timings(seconds[0]), Timings(seconds[1]), health


def _admin(base: str) -> dict[str, str]:
    """Headers of a logged-in session of the shop asking for generated answers."""
    session = "llm-latency-admin"
    response = httpx.post(
        base + "/login",
        json={"username": "ada", "password": "lovelace"},
        headers={"x-session-id": session},
        timeout=30,
    )
    response.raise_for_status()
    token = response.json()["token"]
    return {"x-session-id": session, "authorization": f"Bearer {token}", "prefer": "dynamic=true"}


def _health(base: str) -> dict[str, Any]:
    data: dict[str, Any] = httpx.get(base + "/__mockmind/health", timeout=10).json()
    return data


def _while_hanging() -> tuple[Timings, Timings, dict[str, Any]]:
    known = _knows_embedding_timeout()
    settings = f"    embedding_timeout_seconds: {EMBED_TIMEOUT}\n" if known else ""
    with CountingLlm() as llm:
        port, server = _serve(
            llm, "llm-latency-hanging", vectors=True, settings=settings, chat_timeout=True
        )
        base = f"http://127.0.0.1:{port}"
        with server as proc:
            wait_http(base + "/__mockmind/health", timeout=60, proc=proc)
            with (
                httpx.Client(base_url=base, timeout=120) as client,
                httpx.Client(base_url=base, timeout=120, headers=_admin(base)) as admin,
            ):
                # Warm while the endpoint answers: the first LLM call of a process pays for
                # its client and first connection, which is not what this row measures.
                for n in range(5):
                    _timed(admin, f"/admin/stats?n={80_000 + n}")
                llm.hanging.set()
                reads = []
                calls = []
                for n in range(CALLS_WHILE_HANGING):
                    reads.append(_timed(client, "/products?limit=2"))
                    # Statistics never asked for, generated fresh (`Prefer: dynamic=true`):
                    # written by the model, which the recall's query embedding comes before.
                    # (An unknown product id is a 404 now that the shop documents one.)
                    calls.append(_timed(admin, f"/admin/stats?n={90_000 + n}"))
            health = _health(base)
    return Timings(reads), Timings(calls), health


def run() -> Section:
    section = Section(
        "13. LLM path latency (embeddings on the request path)",
        __doc__.split("\n\n", 1)[1].rsplit("\n\n", 1)[0] if __doc__ else "",
        ["set-up", "requests", "p50", "p95", "max", "vs baseline / target"],
    )
    off, on, health_on = _store_reads()
    ratio = on.p50 / off.p50
    section.row(
        "store reads, vector store off (baseline)",
        READS,
        fmt_s(off.p50),
        fmt_s(off.p95),
        fmt_s(off.worst),
        "",
    )
    section.row(
        f"store reads, vector store on, embeddings in {EMBED_DELAY * 1000:.0f} ms",
        READS,
        fmt_s(on.p50),
        fmt_s(on.p95),
        fmt_s(on.worst),
        f"p50 {fmt_ratio(ratio)}, p95 {fmt_ratio(on.p95 / off.p95)}; "
        + verdict(ratio <= 1.1, "p50 within 1.1x"),
    )
    reads, calls, health = _while_hanging()
    bound = EMBED_TIMEOUT + 0.05
    worst = max(reads.worst, calls.worst)
    section.row(
        "embeddings hanging: store reads",
        len(reads.seconds),
        fmt_s(reads.p50),
        fmt_s(reads.p95),
        fmt_s(reads.worst),
        "",
    )
    section.row(
        "embeddings hanging: generated statistics (LLM call, recall first)",
        len(calls.seconds),
        fmt_s(calls.p50),
        fmt_s(calls.p95),
        fmt_s(calls.worst),
        verdict(worst <= bound, f"every request under {fmt_s(bound)}"),
    )
    cpu_off, cpu_on = health_on["cpu_per_request"]
    section.notes.append(
        f"CPU time of the server process per store read (load-independent, /proc): off "
        f"{fmt_s(cpu_off)}, on {fmt_s(cpu_on)} ({fmt_ratio(cpu_on / cpu_off)}), the writer's "
        "embedding calls and indexing included."
    )
    memory = health_on.get("embeddings", {}).get("memory", {})
    section.notes.append(
        f"Vector store on: the writer embedded {memory.get('written', '?')} interactions in "
        f"{memory.get('batches', '?')} embedding calls behind the answers "
        f"({memory.get('pending', '?')} still queued when health was read)."
    )
    hanging = health.get("embeddings", {})
    section.notes.append(
        f"Embeddings hanging: the embeddings circuit ended as {hanging.get('circuit', {})}; "
        f"the writer lost {hanging.get('memory', {}).get('not_embedded', '?')} interactions "
        "(their recall falls back to recent history)."
    )
    return section
