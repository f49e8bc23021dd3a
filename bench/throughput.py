"""4. Throughput: requests/s of `mockmind serve` (one worker, on uvicorn and on granian) and
Prism under wrk.

All serve examples/shop/openapi.yaml on loopback, then a public document of the conformance
corpus (train-travel-3.1, its bookings listed), one after the other in the same run, and get
the same requests: the same paths, query strings and headers.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

from bench.report import (
    ROOT,
    VENV_BIN,
    WORK,
    Section,
    ToolMissing,
    bench_env,
    cpu_seconds,
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
# The list row: a collection of a real-world document of the conformance corpus
# (bench/conformance/corpus.toml), listed for one session holding LIST_ITEMS stored entities.
LIST_DOCUMENT = "train-travel-3.1"
LIST_PATH = "/bookings"
LIST_ITEMS = 10
LIST_SESSION = "bench-throughput-list"


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


def list_case() -> Case:
    # The document asks for OAuth2 on every operation: Prism answers 401 without a token.
    headers = {"x-session-id": LIST_SESSION, "authorization": "Bearer bench"}
    return Case(
        f"store list ({LIST_DOCUMENT}): GET {LIST_PATH}, {LIST_ITEMS} stored",
        LIST_PATH,
        headers,
        "store",
    )


def booking(n: int) -> dict[str, object]:
    """The n-th booking POSTed before the list row (the document's Booking, id left out)."""
    return {
        "trip_id": f"4f4e4e1c-c824-4d63-b37a-{n:012d}",
        "passenger_name": f"Passenger {n}",
        "has_bicycle": n % 2 == 0,
        "has_dog": n % 3 == 0,
    }


def list_document() -> Path:
    """The list row's document, fetched (npm, pinned, hashed) into .cache/conformance/ if
    missing; ToolMissing when it cannot be."""
    from bench.conformance.corpus import load  # noqa: PLC0415
    from bench.conformance.fetch import FetchError, extract  # noqa: PLC0415

    (document,) = load().named([LIST_DOCUMENT])
    if document.cached.exists():
        return document.cached
    try:
        return extract(document)
    except FetchError as exc:
        raise ToolMissing(f"{LIST_DOCUMENT} could not be fetched: {exc}") from exc


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
    # The server's CPU per request answered, in µs: its process tree's user and system time
    # over the run (``measured``); None when not measured.
    cpu_us: float | None = None


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


def measured(binary: str, url: str, script: Path, server_pid: int) -> WrkResult:
    """``wrk``, with the CPU the server at ``server_pid`` (and its workers) spent per request."""
    before = cpu_seconds(server_pid)
    result = wrk(binary, url, script)
    spent = cpu_seconds(server_pid) - before
    return replace(result, cpu_us=spent / result.requests * 1e6 if result.requests else None)


def cpu_note(case: Case, results: dict[str, dict[str, WrkResult]]) -> str | None:
    """The row's server CPU per request, each server's, and Prism's over the default server's:
    what each server spent, apart from the share of a core it got (requests a second on a
    loaded machine measure both)."""
    spent: dict[str, float] = {}
    for who in (*SERVERS, "prism"):
        found = results.get(who, {}).get(case.name)
        if found is not None and found.cpu_us:
            spent[who] = found.cpu_us
    if not spent:
        return None
    figures = ", ".join(
        f"{'Prism' if who == 'prism' else who} {us:,.0f} µs" for who, us in spent.items()
    )
    ratio = ""
    if "prism" in spent and DEFAULT_SERVER in spent:
        ratio = f"; Prism/{DEFAULT_SERVER} {fmt_ratio(spent['prism'] / spent[DEFAULT_SERVER])}"
    return f"{case.name}: server CPU per request {figures}{ratio}."


def _get(url: str, headers: dict[str, str]) -> tuple[int, str | None]:
    status, source, _ = _get_body(url, headers)
    return status, source


def _get_body(url: str, headers: dict[str, str]) -> tuple[int, str | None, bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        body: bytes = response.read()
        return response.status, response.headers.get("x-mockmind-source"), body


def _post(url: str, headers: dict[str, str], body: object) -> dict[str, object]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={**headers, "content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        made: dict[str, object] = json.loads(response.read())
        return made


def _seed_list(base: str, server: str) -> None:
    """LIST_ITEMS bookings POSTed in the list row's session, then checked to be what the list
    answers: the row measures a list of stored entities."""
    case = list_case()
    ids = {str(_post(base + LIST_PATH, case.headers, booking(n))["id"]) for n in range(LIST_ITEMS)}
    status, source, body = _get_body(base + LIST_PATH, case.headers)
    listed = json.loads(body).get("data") if status == 200 else None
    found = {str(item.get("id")) for item in listed} if isinstance(listed, list) else set()
    if source != case.source or found != ids:
        raise RuntimeError(
            f"{server}, {case.name}: got {status} from {source} listing {len(found)} of the "
            f"{LIST_ITEMS} bookings stored"
        )


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
it generate) serve examples/shop/openapi.yaml on loopback, one at a time; for the last row
both serve the corpus's {LIST_DOCUMENT} with no config (`mockmind serve --openapi`). wrk: 1
thread, {CONNECTIONS} connections, {DURATION_S} s per row, the same Lua script (paths and
headers) for all. Every row checks mockmind's `X-Mockmind-Source` first. The last columns
compare the default server (`{DEFAULT_SERVER}`) with Prism.
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
    load_before = os.getloadavg()[0]
    results: dict[str, dict[str, WrkResult]] = {name: {} for name in (*SERVERS, "prism")}
    list_error: str | None = None
    try:
        list_spec: Path | None = list_document()
    except ToolMissing as exc:
        list_spec, list_error = None, str(exc)
        section.status.append(f"skipped (list row): {exc}")
    for server in SERVERS:
        results[server] = _mockmind(wrk_bin, server)
        if list_spec is not None:
            results[server].update(_mockmind_list(wrk_bin, server, list_spec))
    if prism_bin is not None:
        results["prism"] = _prism(wrk_bin, prism_bin, SPEC, cases("not-checked-by-prism"))
        if list_spec is not None:
            results["prism"].update(_prism(wrk_bin, prism_bin, list_spec, [list_case()]))

    for case in [*cases(""), *([list_case()] if list_spec is not None else [])]:
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
    for case in [*cases(""), *([list_case()] if list_spec is not None else [])]:
        first, second = (results[server][case.name].rps for server in SERVERS)
        section.notes.append(f"{case.name}: granian/uvicorn {fmt_ratio(second / first)}.")
    for case in [*cases(""), *([list_case()] if list_spec is not None else [])]:
        note = cpu_note(case, results)
        if note is not None:
            section.notes.append(note)
    section.notes.append(
        f"Load average (1 min) when the rows started and ended: {load_before:.1f}, "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs. Requests a second on a loaded "
        "machine measure the share of a core each server got as well as its cost; the server "
        "CPU per request (its process tree's user and system time over the wrk run, over the "
        "requests answered) is the cost alone, though contention for caches and cores moves "
        "it too. Both depend on the CPU, which the header names."
    )
    section.notes.append(
        "The rows differ in work between mockmind and Prism: Prism answers `/products?limit=10` "
        "with one generated example list, mockmind with ten stored products of the session; on "
        "cache hits Prism returns its static example, mockmind the session's cached body."
    )
    if list_error is None:
        section.notes.append(
            f"The list row serves {LIST_DOCUMENT} (bench/conformance/corpus.toml) with "
            f"`mockmind serve --openapi` (no config) and `prism mock -v warn`: mockmind's session "
            f"first gets {LIST_ITEMS} bookings POSTed, and the row checks that `GET {LIST_PATH}` "
            f"lists exactly those, in the document's paging envelope; Prism answers the "
            f"document's example (two bookings). Both get `Authorization: Bearer` (the "
            f"document's OAuth2, which Prism checks)."
        )
    return section


def _prism(wrk_bin: str, prism_bin: Path, spec: Path, rows: list[Case]) -> dict[str, WrkResult]:
    """``rows`` against `prism mock -v warn spec`."""
    results: dict[str, WrkResult] = {}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [str(prism_bin), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "warn", str(spec)]
    with running(argv, env=bench_env(), log=WORK / f"throughput-prism-{spec.stem}.log") as proc:
        wait_http(base + rows[0].path, timeout=60, proc=proc)
        for n, case in enumerate(rows):
            script = WORK / f"wrk-prism-{spec.stem}-{n}.lua"
            script.write_text(lua(case))
            status, _ = _get(base + case.path + ("0" if case.numbered else ""), case.headers)
            if status != 200:
                raise RuntimeError(f"Prism, {case.name}: got {status}")
            results[case.name] = measured(wrk_bin, base, script, proc.pid)
    return results


def _mockmind_list(wrk_bin: str, server: str, spec: Path) -> dict[str, WrkResult]:
    """The list row against `mockmind serve --openapi spec --server <server>`."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [
        str(VENV_BIN / "mockmind"),
        "serve",
        "--openapi",
        str(spec),
        "--port",
        str(port),
        "--server",
        server,
    ]
    case = list_case()
    with running(argv, env=bench_env(), log=WORK / f"throughput-list-{server}.log") as proc:
        wait_http(base + "/__mockmind/health", timeout=60, proc=proc)
        _seed_list(base, server)
        script = WORK / "wrk-list.lua"
        script.write_text(lua(case))
        return {case.name: measured(wrk_bin, base, script, proc.pid)}


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
            results[case.name] = measured(wrk_bin, base, script, proc.pid)
    return results
