"""4. Throughput: requests/s of `mockmind serve` (one worker, on uvicorn and on granian) and
Prism under wrk.

All three serve examples/shop/openapi.yaml on loopback at once, then all three a public document
of the conformance corpus (train-travel-3.1, its bookings listed), and get the same requests:
the same paths, query strings and headers. Each row warms every server up with the same
uncounted burst, then measures them in interleaved rounds, each round every server in turn, the
order rotated between rounds: the machine (a shared VM) changes speed from minute to minute,
and servers measured a minute apart were compared at different speeds.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import statistics
import subprocess
import urllib.request
from collections.abc import Sequence
from contextlib import ExitStack
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
# Each row: a WARMUP_S burst per server (not counted), then ROUNDS rounds of ROUND_S per server.
# ROUNDS odd, so the median is one round's figure; three servers make a round 3 x ROUND_S long.
WARMUP_S = 1
ROUNDS = 3
ROUND_S = 2
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


# Numbered requests of successive wrk runs against one server start this far apart, so no run
# repeats a query value an earlier one sent (a repeat would be a cache hit, not a generation).
RUN_STRIDE = 10_000_000


def lua(case: Case, run: int = 0) -> str:
    """wrk's script for ``case``; ``run`` numbers the wrk runs against one server."""
    headers = "\n".join(
        f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in case.headers.items()
    )
    if case.numbered:
        body = (
            f"counter = {run * RUN_STRIDE}\n"
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


def wrk(binary: str, url: str, script: Path, duration_s: int) -> WrkResult:
    done = subprocess.run(
        [
            binary,
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{duration_s}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=duration_s + 60,
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


def measured(binary: str, url: str, script: Path, server_pid: int, duration_s: int) -> WrkResult:
    """``wrk``, with the CPU the server at ``server_pid`` (and its workers) spent per request."""
    before = cpu_seconds(server_pid)
    result = wrk(binary, url, script, duration_s)
    spent = cpu_seconds(server_pid) - before
    return replace(result, cpu_us=spent / result.requests * 1e6 if result.requests else None)


def round_orders(who: Sequence[str], rounds: int) -> list[list[str]]:
    """The order the servers run in, round by round: rotated by one each round, so with as
    many rounds as servers each is first, second and last once (none always gets the machine
    fresh, or right after a given other)."""
    if not who:
        return [[] for _ in range(rounds)]
    return [[*who[r % len(who) :], *who[: r % len(who)]] for r in range(rounds)]


def median_round(rounds: Sequence[WrkResult]) -> WrkResult:
    """The round whose requests a second are the (low) median of ``rounds``: a real round,
    so its latencies go with its throughput."""
    if not rounds:
        raise ValueError("no rounds")
    rps = statistics.median_low(r.rps for r in rounds)
    return next(r for r in rounds if r.rps == rps)


def combined(rounds: Sequence[WrkResult]) -> WrkResult:
    """One server's figure for a row: the median round's requests a second and latencies;
    requests and errors summed over the rounds, and the CPU per request over all of them
    (CPU summed over requests summed), None unless every round measured it."""
    middle = median_round(rounds)
    requests = sum(r.requests for r in rounds)
    cpu_us: float | None = None
    if requests and all(r.cpu_us is not None for r in rounds):
        cpu_us = sum((r.cpu_us or 0.0) * r.requests for r in rounds) / requests
    return replace(middle, requests=requests, errors=sum(r.errors for r in rounds), cpu_us=cpu_us)


def round_ratios(mine: Sequence[WrkResult], theirs: Sequence[WrkResult]) -> list[float]:
    """Requests a second of ``mine`` over ``theirs``, round by round (the same round's)."""
    if len(mine) != len(theirs):
        raise ValueError(f"{len(mine)} rounds against {len(theirs)}")
    return [m.rps / t.rps for m, t in zip(mine, theirs, strict=True)]


def spread_note(
    case: Case, rounds: dict[str, list[WrkResult]], orders: Sequence[Sequence[str]]
) -> str:
    """Each round in the order its servers ran, their requests a second, and the default
    server's ratio to Prism in it; then the spread of those ratios."""
    ratios = round_ratios(rounds[DEFAULT_SERVER], rounds["prism"])
    by_round = "; ".join(
        f"{' > '.join(f'{_label(w)} {rounds[w][n].rps:,.0f}' for w in order)}: "
        f"{fmt_ratio(ratios[n])}"
        for n, order in enumerate(orders)
    )
    return (
        f"{case.name}: req/s by round, in the order run, and {DEFAULT_SERVER} vs Prism: "
        f"{by_round}; spread {fmt_ratio(min(ratios))}-{fmt_ratio(max(ratios))}."
    )


def load_note(before: float, after: float, cpus: int) -> str:
    """The load the rows ran at, what it does to the figures, and a warning past the cores."""
    note = (
        f"Load average (1 min) when the rows started and ended: {before:.1f}, {after:.1f} on "
        f"{cpus} CPUs. Requests a second on a loaded machine measure the share of a core each "
        "server got as well as its cost; the server CPU per request (its process tree's user "
        "and system time over its measured rounds, over the requests answered in them) is the "
        "cost alone, though contention for caches and cores moves it too. Both depend on the "
        "CPU, which the header names. The servers of one round run seconds apart and meet "
        "nearly the same machine; the ratio of each round (above) shows how steady that was."
    )
    if max(before, after) > cpus:
        note += (
            " The load was above the core count: under such contention Prism's CPU per "
            "request has grown far more than mockmind's (this VM at load 12-14: Prism's up to "
            "5x its quiet figure, mockmind's up to 1.3x), so these ratios overstate mockmind's "
            "lead; take the verdict from a run on a machine not otherwise busy."
        )
    return note


def _label(who: str) -> str:
    return "Prism" if who == "prism" else who


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
    figures = ", ".join(f"{_label(who)} {us:,.0f} µs" for who, us in spent.items())
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


@dataclass(frozen=True)
class Server:
    """A server up for the rows of one document: a SERVERS name or "prism"."""

    who: str
    base: str
    pid: int


def run() -> Section:
    section = Section(
        "4. Throughput (one worker, uvicorn and granian, vs Prism)",
        f"""
`mockmind serve --config examples/shop/mockmind.yaml --server S` (one worker, memory stores,
offline generator) on uvicorn ({_uvicorn_stack()}) and on granian (its Rust HTTP stack, ASGI),
and Stoplight Prism {"5.14.2"} (`prism mock -v warn`, static mode; `Prefer: dynamic=true` makes
it generate) serve examples/shop/openapi.yaml on loopback, all three up at once, each its own
process and port; for the last row the three serve the corpus's {LIST_DOCUMENT} with no config
(`mockmind serve --openapi`). wrk: 1 thread, {CONNECTIONS} connections, the same Lua script
(paths and headers) for all. Every row checks mockmind's `X-Mockmind-Source` first, warms each
server up with a {WARMUP_S} s burst that is not counted, then runs {ROUNDS} rounds, each round
every server for {ROUND_S} s in turn, the order rotated between rounds (the machine's speed
moves from minute to minute; servers measured seconds apart meet closer to the same machine,
and a note per row gives every round). A cell is the server's median round: its requests a
second (p50 / p99 of that round). The last columns compare the default server's median
(`{DEFAULT_SERVER}`) with Prism's.
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
    list_error: str | None = None
    try:
        list_spec: Path | None = list_document()
    except ToolMissing as exc:
        list_spec, list_error = None, str(exc)
        section.status.append(f"skipped (list row): {exc}")
    who = [*SERVERS, *(["prism"] if prism_bin is not None else [])]
    orders = round_orders(who, ROUNDS)
    # rounds[case name][who]: that server's rounds of the row, in round order.
    rounds = _shop_rows(wrk_bin, prism_bin, orders)
    if list_spec is not None:
        rounds.update(_list_row(wrk_bin, prism_bin, list_spec, orders))
    results: dict[str, dict[str, WrkResult]] = {name: {} for name in (*SERVERS, "prism")}
    for name, by_who in rounds.items():
        for server, its_rounds in by_who.items():
            results[server][name] = combined(its_rounds)

    shown = [*cases(""), *([list_case()] if list_spec is not None else [])]
    for case in shown:
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
        for server in (*SERVERS, "prism"):
            result = results[server].get(case.name)
            if result is not None and result.errors:
                section.notes.append(
                    f"{server}, {case.name}: {result.errors:,} of {result.requests:,} answers "
                    f"over the {ROUNDS} rounds were errors (non-2xx/3xx or socket errors)."
                )
    if prism_bin is not None:
        for case in shown:
            section.notes.append(spread_note(case, rounds[case.name], orders))
    for case in shown:
        first, second = (results[server][case.name].rps for server in SERVERS)
        section.notes.append(f"{case.name}: granian/uvicorn {fmt_ratio(second / first)} (medians).")
    for case in shown:
        note = cpu_note(case, results)
        if note is not None:
            section.notes.append(note)
    section.notes.append(load_note(load_before, os.getloadavg()[0], os.cpu_count() or 1))
    section.notes.append(
        "The rows differ in work between mockmind and Prism: Prism answers `/products?limit=10` "
        "with one generated example list, mockmind with ten stored products of the session; on "
        "cache hits Prism returns its static example, mockmind the session's cached body. The "
        "offline generation row sends a new `n` in every request of every wrk run (warm-up "
        "included), so no request repeats one mockmind has cached."
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


def _shop_rows(
    wrk_bin: str, prism_bin: Path | None, orders: list[list[str]]
) -> dict[str, dict[str, list[WrkResult]]]:
    """Every shop row, with both mockmind servers and Prism (when there) up for all of them."""
    with ExitStack() as stack:
        servers = _started(
            stack, ["--config", str(CONFIG)], "throughput", prism_bin, SPEC, "/admin/stats"
        )
        row_cases = {
            s.who: cases("not-checked-by-prism" if s.who == "prism" else _login(s.base))
            for s in servers
        }
        rounds: dict[str, dict[str, list[WrkResult]]] = {}
        for n, name in enumerate(case.name for case in cases("")):
            row = {who: its_cases[n] for who, its_cases in row_cases.items()}
            for s in servers:
                _check(s, row[s.who])
            rounds[name] = _measure_row(wrk_bin, servers, row, orders, f"shop{n}")
        return rounds


def _list_row(
    wrk_bin: str, prism_bin: Path | None, spec: Path, orders: list[list[str]]
) -> dict[str, dict[str, list[WrkResult]]]:
    """The list row, with both mockmind servers (each seeded) and Prism up at once."""
    case = list_case()
    with ExitStack() as stack:
        servers = _started(
            stack, ["--openapi", str(spec)], "throughput-list", prism_bin, spec, LIST_PATH
        )
        for s in servers:
            if s.who != "prism":
                _seed_list(s.base, s.who)
            else:
                _check(s, case)
        row = {s.who: case for s in servers}
        return {case.name: _measure_row(wrk_bin, servers, row, orders, "list")}


def _started(
    stack: ExitStack,
    document: list[str],
    log: str,
    prism_bin: Path | None,
    spec: Path,
    prism_probe: str,
) -> list[Server]:
    """Both mockmind servers serving ``document`` (serve's arguments), and Prism ``spec`` when
    there, each answering, ended with ``stack``."""
    starting = [_start_mockmind(stack, server, document, f"{log}-{server}") for server in SERVERS]
    if prism_bin is not None:
        starting.append(_start_prism(stack, prism_bin, spec))
    return _ready(starting, prism_probe=prism_probe)


def _start_mockmind(
    stack: ExitStack, server: str, document: list[str], log: str
) -> tuple[Server, subprocess.Popen[bytes]]:
    port = free_port()
    argv = [
        str(VENV_BIN / "mockmind"),
        "serve",
        *document,
        "--port",
        str(port),
        "--server",
        server,
    ]
    proc = stack.enter_context(running(argv, env=bench_env(), log=WORK / f"{log}.log"))
    return Server(server, f"http://127.0.0.1:{port}", proc.pid), proc


def _start_prism(
    stack: ExitStack, prism_bin: Path, spec: Path
) -> tuple[Server, subprocess.Popen[bytes]]:
    port = free_port()
    argv = [str(prism_bin), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "warn", str(spec)]
    log = WORK / f"throughput-prism-{spec.stem}.log"
    proc = stack.enter_context(running(argv, env=bench_env(), log=log))
    return Server("prism", f"http://127.0.0.1:{port}", proc.pid), proc


def _ready(
    starting: list[tuple[Server, subprocess.Popen[bytes]]], prism_probe: str
) -> list[Server]:
    """The servers once each answers (they start side by side, so the waits overlap)."""
    if len({s.base for s, _ in starting}) != len(starting):
        raise RuntimeError("two servers were given the same port")
    for s, proc in starting:
        probe = prism_probe if s.who == "prism" else "/__mockmind/health"
        wait_http(s.base + probe, timeout=60, proc=proc)
    return [s for s, _ in starting]


def _check(server: Server, case: Case) -> None:
    """The row answers 200, from the source it claims on mockmind (the second answer of a
    repeated request is a cache hit; numbered ones never repeat)."""
    probe = case.path + ("probe" if case.numbered else "")
    expected = None if server.who == "prism" else case.source
    for _ in range(1 if case.numbered else 2):
        status, source = _get(server.base + probe, case.headers)
    if status != 200 or (expected is not None and source != expected):
        raise RuntimeError(
            f"{server.who}, {case.name}: got {status} from {source}, not {expected or 'a 200'}"
        )


def _measure_row(
    wrk_bin: str,
    servers: list[Server],
    row: dict[str, Case],
    orders: list[list[str]],
    tag: str,
) -> dict[str, list[WrkResult]]:
    """Each server's rounds of one row: a warm-up burst each (run 0, not counted), then the
    rounds in ``orders``; run r of every server sends the same requests."""
    by_who = {s.who: s for s in servers}

    def one(who: str, run: int, duration_s: int) -> WrkResult:
        script = WORK / f"wrk-{tag}-{who}-{run}.lua"
        script.write_text(lua(row[who], run))
        return measured(wrk_bin, by_who[who].base, script, by_who[who].pid, duration_s)

    for s in servers:
        one(s.who, 0, WARMUP_S)
    rounds: dict[str, list[WrkResult]] = {s.who: [] for s in servers}
    for run, order in enumerate(orders, start=1):
        for who in order:
            rounds[who].append(one(who, run, ROUND_S))
    return rounds
