"""7. Profile of the rows furthest from their targets, with pyinstrument, through the handler.

The store read (`GET /products?limit=10`, the throughput row furthest behind Prism) and the
cached GET (the request-overhead row) run in process through `mockmind.handler.handler`; the
time of the engine's main steps is read off the call tree.
"""

from __future__ import annotations

from typing import Any

from bench import overhead
from bench.report import Section, fmt_us

INTERVAL_S = 0.0002
# Steps whose inclusive time is reported: (label, function name, file suffix).
STEPS = [
    ("the handler (`LambdaEntry.__call__`)", "LambdaEntry.__call__", "app/lambda_entry.py"),
    ("the engine (`MockEngine.handle`)", "MockEngine.handle", "domain/engine/flow.py"),
    ("  request routing and validation (`route`)", "OpenAPIDescription.route", "description.py"),
    ("  consistency rules (`_run_rules`)", "MockEngine._run_rules", "domain/engine/flow.py"),
    ("  response plan (`RoutePlan.response`)", "RoutePlan.response", "engine/route_plan.py"),
    ("  cache key (`_cache_key`)", "ContentSource._cache_key", "engine/content_source.py"),
    (
        "  resource store read (`ResourceResponder.respond`)",
        "ResourceResponder.respond",
        "engine/resource_responder.py",
    ),
    (
        "    response validation (`response_errors`)",
        "OpenAPIDescription.response_errors",
        "description.py",
    ),
    (
        "  history write (`SessionKeeper.remember`)",
        "SessionKeeper.remember",
        "engine/session_keeping.py",
    ),
]


def _inclusive(root: Any, function: str, file_suffix: str) -> float:
    """Time in the outermost calls of ``function`` (recursion counted once)."""

    name = function.rsplit(".", 1)[-1]  # pyinstrument names the function without its class

    def walk(frame: Any) -> float:
        if frame.function == name and str(frame.file_path or "").endswith(file_suffix):
            return float(frame.time)
        return sum(walk(child) for child in frame.children)

    return walk(root)


def _profile(handler: Any, event: dict[str, Any], number: int) -> tuple[float, dict[str, float]]:
    from pyinstrument import Profiler  # noqa: PLC0415 (installed by run.py when missing)

    context = overhead.FakeContext()
    for _ in range(200):
        handler(event, context)
    profiler = Profiler(interval=INTERVAL_S)
    profiler.start()
    for _ in range(number):
        handler(event, context)
    profiler.stop()
    session = profiler.last_session
    assert session is not None
    root = session.root_frame()
    assert root is not None
    total = float(root.time)
    return total / number, {
        label: _inclusive(root, fn, suffix) / number for label, fn, suffix in STEPS
    }


def run(results: dict[str, Section] | None = None) -> Section:
    section = Section(
        "7. Profile (pyinstrument, in process through the Lambda handler)",
        f"""
pyinstrument (sampling every {INTERVAL_S * 1e6:.0f} µs) over the two requests furthest from
their targets: the store read of the throughput row (`GET /products?limit=10`, ten stored
products) and the cached GET of the request-overhead row (`GET /admin/stats`). Time per
request under the profiler (which slows Python code down) and the inclusive share of each step;
indented steps are inside the one above.
""",
        ["step", "store read: per request", "share", "cache hit: per request", "share"],
    )
    handler = overhead.mockmind_handler()
    cached = overhead.cached_event(handler)
    store = overhead.event("GET", "/products", {"x-session-id": overhead.SESSION})
    store["rawQueryString"] = "limit=10"
    first = handler(store, overhead.FakeContext())
    source = first["headers"].get("x-mockmind-source")
    if first["statusCode"] != 200 or source != "store":
        raise RuntimeError(f"GET /products: {first['statusCode']} from {source}, not the store")
    store_total, store_steps = _profile(handler, store, 600)
    cache_total, cache_steps = _profile(handler, cached, 2000)
    section.row("whole request", fmt_us(store_total), "100%", fmt_us(cache_total), "100%")
    engine = "the engine (`MockEngine.handle`)"
    handler_step = "the handler (`LambdaEntry.__call__`)"
    outside = {
        name: steps[handler_step] - steps[engine]
        for name, steps in (("store", store_steps), ("cache", cache_steps))
    }
    for label, _, _ in STEPS:
        s, c = store_steps[label], cache_steps[label]
        section.row(
            label.replace("  ", "&nbsp;&nbsp;"),
            fmt_us(s) if s else "-",
            f"{s / store_total:.0%}" if s else "",
            fmt_us(c) if c else "-",
            f"{c / cache_total:.0%}" if c else "",
        )
    section.row(
        "&nbsp;&nbsp;event check, Mangum, asyncio, FastAPI and `api.py` (handler minus engine)",
        fmt_us(outside["store"]),
        f"{outside['store'] / store_total:.0%}",
        fmt_us(outside["cache"]),
        f"{outside['cache'] / cache_total:.0%}",
    )
    validation = store_steps["    response validation (`response_errors`)"] / store_total
    share = {label.strip(): cache_steps[label] / cache_total for label, _, _ in STEPS}
    section.notes.append(
        f"Store read: validating the stored list against the response schema (jsonschema, "
        f"through the OpenAPI 3.0 keyword wrappers in `openapi/schemas.py`, `allOf` per item) "
        f"takes {validation:.0%} of the request. The store's entities were validated when they "
        "were generated or written; re-validating every read is what puts this row behind "
        "Prism. Skipping it for bodies served unchanged from the store (in `Answers.finish`, "
        "domain/engine/answers.py), or caching the per-schema work of `_all_of_in` (the `_lookup`/"
        "`_flagged_names`/`evolve` calls repeat for each item), would remove most of it."
    )
    section.notes.append(
        f"Cache hit: no single step dominates. Outside the engine (event check, Mangum, asyncio, "
        f"FastAPI, `api.py`) {outside['cache'] / cache_total:.0%}; inside it the consistency rules "
        f"{share['consistency rules (`_run_rules`)']:.0%} (three conditions parsed at load, "
        f"evaluated per request), the cache key "
        f"{share['cache key (`_cache_key`)']:.0%} (canonical JSON dumps and a digest), the "
        f"response plan {share['response plan (`RoutePlan.response`)']:.0%} (remembered per route "
        f"and Prefer/Accept in its route plan), the history write "
        f"{share['history write (`SessionKeeper.remember`)']:.0%} (a redacted copy of the "
        "response saved into the session). Reaching 3x the floor needs several of these cut, "
        "all in the engine or the "
        "OpenAPI package rather than one hot spot."
    )
    return section
