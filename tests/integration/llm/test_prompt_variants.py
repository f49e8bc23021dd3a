"""Prompt variants against a provider on loopback: each session is asked with its variant's
system prompt, and GET /__mockmind/prompts tallies what each variant's answers were worth."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import httpx

from mockmind.app.api import MockmindApp, create_app
from mockmind.app.bootstrap import build
from mockmind.config import parse_config
from tests.support.fake_provider import FakeProvider
from tests.support.prompt_variants import (
    CONTROL_PROMPT,
    DOCUMENT,
    STRICT_PROMPT,
    answer,
    config_text,
    system_prompt,
)


def _app(fake: FakeProvider, tmp_path: Path) -> MockmindApp:
    return create_app(build(parse_config(config_text(tmp_path, fake.url), env={}), env={}))


def test_each_session_is_asked_with_its_variant_and_the_tallies_say_so(
    fake: FakeProvider, tmp_path: Path
) -> None:
    fake.default = answer
    app = _app(fake, tmp_path)
    sessions = [f"ab-{n}" for n in range(40)]

    async def run() -> tuple[list[httpx.Response], httpx.Response]:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            answers = []
            for session in sessions:
                # The session's cookie would win over the header: each request is its own.
                client.cookies.clear()
                answers.append(await client.get("/convert", headers={"X-Session-ID": session}))
            client.cookies.clear()
            # Asked again: the response cache answers, the model is not asked.
            await client.get("/convert", headers={"X-Session-ID": sessions[0]})
            return answers, await client.get("/__mockmind/prompts")

    answers, prompts = asyncio.run(run())
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["name"] for a in answers} == {"Ada", "Bo"}
    # The provider's own record says which session got which prompt.
    first_asks = [seen for seen in fake.requests if "rejected" not in json.dumps(seen.body)]
    by_prompt = Counter(system_prompt(seen).split("\n")[0] for seen in first_asks)
    strict = by_prompt[STRICT_PROMPT]
    control = by_prompt[CONTROL_PROMPT]
    assert strict + control == 40
    assert strict > 5
    assert control > 5
    # A session keeps its variant: each body says which prompt made it.
    assert Counter(a.json()["name"] for a in answers) == {"Ada": strict, "Bo": control}

    assert prompts.status_code == 200
    report = prompts.json()
    rows = {row["name"]: row for row in report["variants"]}
    assert (
        rows["strict"]["answers"],
        rows["strict"]["calls"],
        rows["strict"]["valid_first_try"],
        rows["strict"]["repaired"],
        rows["strict"]["fallbacks"],
        rows["strict"]["valid_first_try_rate"],
    ) == (strict, strict, strict, 0, 0, 1.0)
    assert (
        rows["control"]["answers"],
        rows["control"]["calls"],
        rows["control"]["valid_first_try"],
        rows["control"]["repaired"],
        rows["control"]["valid_first_try_rate"],
    ) == (control, 2 * control, 0, control, 0.0)
    assert report["verdict"].startswith("strict is better: valid at first try strict 100% (")
    assert rows["strict"]["latency_p50_ms"] > 0


def test_without_variants_the_route_says_so(tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(DOCUMENT))
    app = create_app(build(parse_config(f"openapi: {document}\n", env={}), env={}))

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            return await client.get("/__mockmind/prompts")

    answer = asyncio.run(get())
    assert answer.json() == {"variants": [], "verdict": "no prompt variants configured"}
