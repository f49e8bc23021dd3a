"""An API key never appears in a log line, an error, a health answer, a repr or a config dump,
even when the provider echoes it back."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from mockmind.app.api import create_app
from mockmind.app.bootstrap import build
from mockmind.config import parse_config
from mockmind.domain.prompts import Prompt
from tests.integration.llm.helpers import KEY
from tests.support.fake_provider import FakeProvider, Reply

CONFIG = """
intelligent_behavior:
  behavior_model:
    llm_provider: openai_compatible
    model: gpt-4o-mini
    api_key: ${{OPENAI_API_KEY}}
    api_endpoint: {url}/v1
    retries: {{max_attempts: 2, base_delay_seconds: 0.01}}
  vector_store:
    enabled: true
    embedding_provider: openai_compatible
"""


def test_key_is_never_shown(fake: FakeProvider, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore included, at their most talkative
    # What OpenAI answers to a wrong key, and a gateway echoing the header it got.
    fake.queue(
        Reply(503, {"error": {"message": f"upstream rejected Authorization: Bearer {KEY}"}}),
        Reply(401, {"error": {"message": f"Incorrect API key provided: {KEY}."}}),
        Reply(401, {"error": f"bad key {KEY[:-4]}****"}),
    )
    loaded = parse_config(CONFIG.format(url=fake.url), env={"OPENAI_API_KEY": KEY})
    container = build(loaded, env={"OPENAI_API_KEY": KEY})
    llm = container.llm
    assert llm.content is not None
    assert container.provider.in_use == "openai_compatible"

    async def run() -> tuple[list[str], str]:
        try:
            first = await llm.content.generate(  # type: ignore[union-attr]
                Prompt("s", "u"), lambda v: [], "k1"
            )
            second = await llm.content.generate(  # type: ignore[union-attr]
                Prompt("s", "u"), lambda v: [], "k2"
            )
            transport = httpx.ASGITransport(app=create_app(container))
            async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
                health = (await client.get("/__mockmind/health")).text
            return [first.reason or "", second.reason or ""], health
        finally:
            await llm.aclose()

    reasons, health = asyncio.run(run())
    assert "HTTP 401" in reasons[0]
    assert "HTTP 401" in reasons[1]
    # The key did go out, where it belongs: in the Authorization header.
    assert fake.requests[0].headers["authorization"] == f"Bearer {KEY}"

    assert '"in_use":"openai_compatible"' in health

    shown = {
        "reasons": "\n".join(reasons),
        "logs": caplog.text,
        "health": health,
        "reprs": repr(llm) + repr(llm.chat) + repr(llm.embedder) + repr(vars(llm.chat)),
        "config": loaded.config.model_dump_json() + repr(loaded.config),
    }
    for where, text in shown.items():
        assert KEY not in text, f"the key leaked into {where}"
        assert KEY[:-4] not in text, f"most of the key leaked into {where}"
    assert "***" in shown["reasons"]
