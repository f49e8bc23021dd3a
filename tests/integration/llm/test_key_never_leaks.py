"""An API key never appears in a log line, an error, a health answer, a repr or a config dump,
even when the provider echoes it back."""

from __future__ import annotations

import asyncio
import base64
import logging

import httpx
import pytest

from mockmind.app.api import create_app
from mockmind.app.bootstrap import build
from mockmind.config import parse_config
from mockmind.domain.prompts import Prompt
from mockmind.domain.sessions import Interaction
from tests.integration.llm.helpers import KEY
from tests.support.fake_provider import (
    FakeProvider,
    Reply,
    Seen,
    anthropic_message,
    ollama_chat,
    openai_chat,
)

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
    caplog.set_level(logging.DEBUG, logger="mockmind")
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


EMBEDDING = {
    "object": "list",
    "data": [{"object": "embedding", "index": 0, "embedding": [0.6, 0.8]}],
}
PASSWORD = "pw-Hq7RkT2mXv9LsN4c"

PROVIDER_CONFIG = """
intelligent_behavior:
  behavior_model:
    llm_provider: {provider}
    model: {model}
    api_key: ${{KEY}}
    api_endpoint: {endpoint}
    retries: {{max_attempts: 1}}
  vector_store:
    enabled: true
    embedding_provider: {embedder}
    embedding_model: {embedding_model}
"""


def _answer(seen: Seen) -> Reply:
    """Each wire format's answer, by the path asked."""
    if seen.path == "/v1/embeddings":
        return Reply(200, EMBEDDING)
    if seen.path == "/api/embed":
        return Reply(200, {"embeddings": [[0.6, 0.8]]})
    if seen.path == "/v1/messages":
        return Reply(200, anthropic_message('{"ok": true}'))
    if seen.path == "/api/chat":
        return Reply(200, ollama_chat('{"ok": true}'))
    return Reply(200, openai_chat('{"ok": true}'))


@pytest.mark.parametrize(
    ("provider", "model", "embedder", "embedding_model", "with_key"),
    [
        ("openai", "gpt-4o-mini", "openai", "text-embedding-3-small", True),
        ("anthropic", "claude-3-5-haiku-latest", "local", "hashed", True),
        ("ollama", "llama3.2", "ollama", "nomic-embed-text", False),
        ("openai_compatible", "qwen2.5", "openai_compatible", "bge-small", True),
    ],
)
def test_no_debug_line_of_any_provider_holds_a_key(
    fake: FakeProvider,
    caplog: pytest.LogCaptureFixture,
    provider: str,
    model: str,
    embedder: str,
    embedding_model: str,
    with_key: bool,
) -> None:
    caplog.set_level(logging.DEBUG)
    # An earlier test's CLI run may have set mockmind's own logger to a higher level (the
    # commands configure logging in-process): this test's lines must be made all the same.
    caplog.set_level(logging.DEBUG, logger="mockmind")
    fake.default = _answer
    # The key in the config, and a password in the endpoint's user-info (a gateway's).
    endpoint = fake.url.replace("http://", f"http://gateway:{PASSWORD}@") + (
        "/v1" if provider.startswith("openai") else ""
    )
    env = {"KEY": KEY} if with_key else {}
    text = PROVIDER_CONFIG.format(
        provider=provider,
        model=model,
        endpoint=endpoint,
        embedder=embedder,
        embedding_model=embedding_model,
    )
    loaded = parse_config(text, env=env)
    container = build(loaded, env=env)
    assert container.provider.in_use == provider
    assert container.memory is not None

    async def run() -> None:
        llm = container.llm
        try:
            result = await llm.content.generate(  # type: ignore[union-attr]
                Prompt("s", "u"), lambda v: [], "k"
            )
            assert (result.source, result.body) == ("llm", {"ok": True})
            await container.memory.remember(  # type: ignore[union-attr]
                "s", "i", Interaction(0.0, "GET", "/x", 200, None, {"id": 1})
            )
            logging.getLogger("mockmind.test").debug("key %s in %s", KEY, endpoint)
        finally:
            await llm.aclose()

    asyncio.run(run())
    paths = [seen.path for seen in fake.requests]
    expected_embeds = {"ollama": ["/api/embed"], "local": []}.get(embedder, ["/v1/embeddings"])
    assert paths[1:] == expected_embeds
    # The credentials went where they belong: the user-info as Basic auth on every call.
    basic = "Basic " + base64.b64encode(f"gateway:{PASSWORD}".encode()).decode()
    assert {seen.headers.get("authorization") for seen in fake.requests} == {basic}
    if provider == "anthropic":
        assert fake.requests[0].headers["x-api-key"] == KEY
    assert container.llm.costs.snapshot()["today"]["embedding_calls"] == 1
    assert "HTTP Request: POST" in caplog.text, "httpx logged its calls"
    assert caplog.records, "nothing was logged at DEBUG"
    for record in caplog.records:
        line = record.getMessage()
        assert KEY not in line, f"the key leaked: {line}"
        assert PASSWORD not in line, f"the endpoint's password leaked: {line}"
    assert f"key *** in http://gateway:***@{fake.url[len('http://') :]}" in caplog.text
