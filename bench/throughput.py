"""4. Throughput: requests/s of `mockmind serve` (one worker, on uvicorn and on granian) and
Prism under wrk.

All serve examples/shop/openapi.yaml on loopback, one after the other in the same run, and get
the same requests: the same paths, query strings and headers.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.report import (
    ROOT,
    VENV_BIN,
    WORK,
    Section,
    ToolMissing,
    bench_env,
    ensure_prism,
    ensure_wrk,
    fmt_ratio,
    free_port,
    running,
    verdict,
    wait_http,
)
from mockmind.app.workers import DEFAULT_SERVER

SPEC = ROOT / "examples" / "shop" / "openapi.yaml"
CONFIG = ROOT / "examples" / "shop" / "mockmind.yaml"
DURATION_S = 5
CONNECTIONS = 16
SESSION = "bench-throughput"
# mockmind's HTTP servers (`serve --server`), each measured on every row.
SERVERS = ("uvicorn", "granian")
TARGET_VS_PRISM = 3.0


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    headers: dict[str, str]
    # What X-Mockmind-Source must say, so the row measures what it claims.
    source: str
    numbered: bool = False  # a new query value per request: never cached


def cases(token: str) -> list[Case]:
    auth = {"x-session-id": SESSION, "authorization": f"Bearer {token}"}
    return [
        Case("cache hit: GET /admin/stats (logged in)", "/admin/stats", auth, "cache"),
        Case("store read: GET /products?limit=10", "/products?limit=10", auth, "store"),
        Case(
            "offline generation: GET /admin/stats?n=<new>, Prefer: dynamic=true",
            "/admin/stats?n=",
            {**auth, "prefer": "dynamic=true"},
            "offline",
            numbered=True,
        ),
    ]


def lua(case: Case) -> str:
    headers = "\n".join(
        f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in case.headers.items()
    )
    if case.numbered:
        body = (
            "counter = 0\n"
            "request = function()\n"
            "  counter = counter + 1\n"
            f"  return wrk.format(nil, {json.dumps(case.path)} .. counter)\n"
            "end\n"
        )
    else:
        body = f"wrk.path = {json.dumps(case.path)}\n"
    return f"{headers}\n{body}"


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx/3xx plus socket errors


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def wrk(binary: str, url: str, script: Path) -> WrkResult:
    done = subprocess.run(
        [
            binary,
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{DURATION_S}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=DURATION_S + 60,
        check=True,
    )
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    # Anchored: the thread-stats table has "+/- Stdev" percentages like "87.50%" too.
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        errors += int(non2xx.group(1))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket:
        errors += sum(int(g) for g in socket.groups())
    return WrkResult(rps, p50, p99, requests, errors)


def _get(url: str, headers: dict[str, str]) -> tuple[int, str | None]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
        return response.status, response.headers.get("x-mockmind-source")


def _login(base: str) -> str:
    body = json.dumps({"username": "ada", "password": "lovelace"}).encode()
    request = urllib.request.Request(
        base + "/login",
        data=body,
        headers={"content-type": "application/json", "x-session-id": SESSION},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        token: str = json.loads(response.read())["token"]
        return token


def _uvicorn_stack() -> str:
    """What uvicorn picks in this virtualenv (the `serve` extra installs the fast pair)."""
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return f"{parser} parser, {loop} event loop"


def run() -> Section:
    section = Section(
        "4. Throughput (one worker, uvicorn and granian, vs Prism)",
        f"""
`mockmind serve --config examples/shop/mockmind.yaml --server S` (one worker, memory stores,
offline generator) on uvicorn ({_uvicorn_stack()}) and on granian (its Rust HTTP stack, ASGI),
and Stoplight Prism {"5.14.2"} (`prism mock -v warn`, static mode; `Prefer: dynamic=true` makes
it generate) serve examples/shop/openapi.yaml on loopback, one at a time. wrk: 1 thread,
{CONNECTIONS} connections, {DURATION_S} s per row, the same Lua script (paths and headers) for
all. Every row checks mockmind's `X-Mockmind-Source` first. The last columns compare the
default server (`{DEFAULT_SERVER}`) with Prism.
""",
        [
            "row",
            *(f"{server} req/s (p50 / p99)" for server in SERVERS),
            "Prism req/s (p50 / p99)",
            f"{DEFAULT_SERVER} vs Prism",
            "target",
        ],
    )
    try:
        wrk_bin = ensure_wrk()
    except ToolMissing as exc:
        section.status.append(f"skipped: {exc}")
        return section
    assert wrk_bin is not None
    prism_error: str | None = None
    try:
        prism_bin: Path | None = ensure_prism()
    except ToolMissing as exc:
        prism_bin, prism_error = None, str(exc)
        section.status.append(f"skipped (Prism column): {exc}")

    WORK.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, WrkResult]] = {name: {} for name in (*SERVERS, "prism")}
    for server in SERVERS:
        results[server] = _mockmind(wrk_bin, server)
    if prism_bin is not None:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        argv = [str(prism_bin), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "warn", str(SPEC)]
        with running(argv, env=bench_env(), log=WORK / "throughput-prism.log") as proc:
            wait_http(base + "/products?limit=1", timeout=60, proc=proc)
            for n, case in enumerate(cases("not-checked-by-prism")):
                script = WORK / f"wrk-{n}.lua"
                script.write_text(lua(case))
                status, _ = _get(base + case.path + ("0" if case.numbered else ""), case.headers)
                if status != 200:
                    raise RuntimeError(f"Prism, {case.name}: got {status}")
                results["prism"][case.name] = wrk(wrk_bin, base, script)

    for case in cases(""):
        row = [case.name]
        for server in SERVERS:
            mine = results[server][case.name]
            row.append(f"{mine.rps:,.0f} ({mine.p50_ms:.2f} / {mine.p99_ms:.2f} ms)")
        theirs = results["prism"].get(case.name)
        if theirs is None:
            row += ["skipped", "", f"skipped: {prism_error}"]
        else:
            ratio = results[DEFAULT_SERVER][case.name].rps / theirs.rps
            row += [
                f"{theirs.rps:,.0f} ({theirs.p50_ms:.2f} / {theirs.p99_ms:.2f} ms)",
                fmt_ratio(ratio),
                verdict(ratio >= TARGET_VS_PRISM, f">= {TARGET_VS_PRISM:.0f}x Prism"),
            ]
        section.row(*row)
        for who in (*SERVERS, "prism"):
            result = results[who].get(case.name)
            if result is not None and result.errors:
                section.notes.append(
                    f"{who}, {case.name}: {result.errors:,} of {result.requests:,} answers were "
                    "errors (non-2xx/3xx or socket errors)."
                )
    for case in cases(""):
        first, second = (results[server][case.name].rps for server in SERVERS)
        section.notes.append(f"{case.name}: granian/uvicorn {fmt_ratio(second / first)}.")
    section.notes.append(
        "The rows differ in work between mockmind and Prism: Prism answers `/products?limit=10` "
        "with one generated example list, mockmind with ten stored products of the session; on "
        "cache hits Prism returns its static example, mockmind the session's cached body."
    )
    return section


def _mockmind(wrk_bin: str, server: str) -> dict[str, WrkResult]:
    """Every row against `mockmind serve --server <server>`."""
    results: dict[str, WrkResult] = {}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [
        str(VENV_BIN / "mockmind"),
        "serve",
        "--config",
        str(CONFIG),
        "--port",
        str(port),
        "--server",
        server,
    ]
    with running(argv, env=bench_env(), log=WORK / f"throughput-{server}.log") as proc:
        wait_http(base + "/__mockmind/health", timeout=60, proc=proc)
        token = _login(base)
        for n, case in enumerate(cases(token)):
            script = WORK / f"wrk-{n}.lua"
            script.write_text(lua(case))
            probe = case.path + ("probe" if case.numbered else "")
            # The second answer of a repeated request is a cache hit; numbered ones never repeat.
            for _ in range(1 if case.numbered else 2):
                status, source = _get(base + probe, case.headers)
            if status != 200 or source != case.source:
                raise RuntimeError(
                    f"{server}, {case.name}: got {status} from {source}, not {case.source}"
                )
            results[case.name] = wrk(wrk_bin, base, script)
    return results
