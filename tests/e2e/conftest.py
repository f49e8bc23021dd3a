"""Black-box flows over HTTP: against MOCKMIND_URL when set, else a local server started here."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator

import httpx
import pytest

from mockmind.domain.generation import OfflineGenerator
from tests.support.fake_provider import FakeProvider, Reply, Seen, openai_chat
from tests.support.mockmind_server import start_server, stop_server
from tests.support.paths import EXAMPLES


def _served(example: str, llm_url: str | None = None) -> Iterator[str]:
    """The example's base URL: MOCKMIND_URL (the shop, deployed) or a local server.

    With ``llm_url`` the local server writes its content with an OpenAI-compatible model there.
    """
    deployed = os.environ.get("MOCKMIND_URL")
    if deployed and example == "shop" and llm_url is None:
        yield deployed.rstrip("/")
        return
    if deployed:
        pytest.skip(f"MOCKMIND_URL serves the shop; the {example} example runs locally only")
    config = EXAMPLES / example / "mockmind.yaml"
    env: dict[str, str] = {}
    if llm_url is not None:
        env = {"MOCKMIND_LLM_PROVIDER": "openai_compatible", "MOCKMIND_LLM_ENDPOINT": llm_url}
    process, url = start_server(config, env)
    try:
        yield url
    finally:
        stop_server(process)


def schema_aware_model(seen: Seen) -> Reply:
    """An OpenAI-compatible model that answers every prompt with JSON valid for its schema.

    It reads the schema from the prompt as a real model would, and fills it with the offline
    generator, so the flows exercise the whole LLM path (prompt, HTTP, extraction, validation).
    """
    user = str(seen.body["messages"][-1]["content"])
    marker = "must match this JSON Schema:\n"
    schema_text = user.split(marker, 1)[1].split("\n", 1)[0] if marker in user else "{}"
    schema = json.loads(schema_text)
    value = OfflineGenerator().generate(schema, seed=hashlib.sha256(user.encode()).hexdigest())
    return Reply(200, openai_chat("Here you are:\n```json\n" + json.dumps(value) + "\n```"))


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[FakeProvider]:
    provider = FakeProvider()
    provider.default = schema_aware_model
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    yield from _served("shop")


@pytest.fixture(scope="session")
def social_url() -> Iterator[str]:
    yield from _served("social")


@pytest.fixture(scope="session")
def onboarding_url() -> Iterator[str]:
    yield from _served("onboarding")


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    """A fresh client: its own cookie jar, so its own session."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        yield http
