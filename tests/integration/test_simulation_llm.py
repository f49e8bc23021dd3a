"""A `choose: llm` flow against the example shop (in process), its steps picked by a model on a
loopback OpenAI-compatible server: the model sees the persona, the operations and what each user
saw; a garbage answer is asked again once, then counted as a failed step, and the run goes on."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockmind.app.api import MockmindApp, create_app
from mockmind.app.bootstrap import api_description, build, build_chat
from mockmind.config import load_config, parse_config
from mockmind.simulation import Settings, Simulation
from mockmind.simulation.flow import Flow
from mockmind.simulation.html_report import html_report
from mockmind.simulation.next_step import StepChooser
from tests.support.fake_provider import FakeProvider, Reply, Seen, openai_chat, serve

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SHOP = EXAMPLES / "shop" / "mockmind.yaml"
ENV = {"MOCKMIND_LLM_PROVIDER": "offline"}
PERSONA = "A shopper who puts the first product they see in the cart, looks at it, and leaves."
CONFIG = """
openapi: {document}
intelligent_behavior:
  behavior_model:
    llm_provider: openai_compatible
    model: gpt-4o-mini
    api_key: test-key
    api_endpoint: {url}/v1
    retries: {{max_attempts: 1}}
"""


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    yield from serve()


@pytest.fixture
def shop() -> MockmindApp:
    return create_app(build(load_config(SHOP, ENV), env=ENV))


def shopper(seen: Seen) -> Reply:
    """A model that plays the persona from what the prompt shows it, as a real one would."""
    prompt = str(seen.body["messages"][-1]["content"])
    last = prompt.splitlines()[-2] if "last requests" in prompt else ""
    if not last:
        answer: dict[str, object] = {"method": "GET", "path": "/products", "query": {"limit": 2}}
    elif last.startswith("1. GET /products?limit=2 -> 200"):
        found = re.search(r'"id":"(product_[0-9a-f]+)"', last)
        assert found is not None, last
        answer = {
            "method": "POST",
            "path": "/cart/items",
            "json": {"product_id": found[1], "quantity": 1},
        }
    elif "POST /cart/items -> 201" in last:
        answer = {"method": "GET", "path": "/cart"}
    else:
        answer = {"done": True}
    return Reply(200, openai_chat(json.dumps(answer)))


def _run(
    shop: MockmindApp, fake: FakeProvider, users: int, max_steps: int = 6
) -> tuple[Simulation, StepChooser]:
    loaded = parse_config(
        CONFIG.format(document=EXAMPLES / "shop" / "openapi.yaml", url=fake.url), env={}
    )
    flow = Flow(choose="llm", persona=PERSONA, max_steps=max_steps, name="persona")

    async def main() -> tuple[Simulation, StepChooser]:
        llm = build_chat(loaded, env={})
        assert llm.chat is not None
        chooser = StepChooser(llm.chat, api_description(loaded), PERSONA)
        simulation = Simulation(
            flow,
            "http://shop",
            Settings(users=users, think_scale=0, run_id="llm"),
            transport=httpx.ASGITransport(app=shop),
            chooser=chooser,
        )
        try:
            await simulation.run()
        finally:
            await llm.aclose()
        return simulation, chooser

    return asyncio.run(main())


def test_each_user_follows_the_persona_through_the_shop(
    shop: MockmindApp, fake: FakeProvider
) -> None:
    fake.default = shopper
    simulation, chooser = _run(shop, fake, users=3)
    report = simulation.results.to_dict()
    assert report["failures"] == []
    statuses = {step["step"]: step["statuses"] for step in report["steps"]}
    assert statuses == {
        "GET /products": {"200": 3},
        "POST /cart/items": {"201": 3},
        "GET /cart": {"200": 3},
    }
    # Four calls a user: three requests, then done.
    assert report["llm"] == {
        "calls": 12,
        "refused_answers": 0,
        "prompt_tokens": 12 * 120,
        "completion_tokens": 12 * 30,
    }
    assert (
        "<p>LLM choosing the next steps: 12 calls, 0 answers refused (each asked again once), "
        "1440 prompt + 360 completion tokens.</p>"
    ) in html_report(report)
    first = fake.requests[0].body
    system = first["messages"][0]["content"]
    assert f"Persona: {PERSONA}" in system
    assert "- GET /products/{productId} (getProduct)" in system
    assert first["model"] == "gpt-4o-mini"
    # The model saw each user's own cart answer before saying it was done.
    done_prompts = [r for r in fake.requests if "GET /cart -> 200" in str(r.body)]
    assert len(done_prompts) == 3
    assert chooser.usage.calls == 12


def test_a_garbage_answer_is_asked_again_once(shop: MockmindApp, fake: FakeProvider) -> None:
    answers: Counter[str] = Counter()

    def garbage_first(seen: Seen) -> Reply:
        prompt = str(seen.body["messages"][-1]["content"])
        answers["all"] += 1
        if answers["all"] == 1:
            return Reply(200, openai_chat("Sure! The user would probably look at the shop."))
        if "Your answer was refused" in prompt:
            answers["retries"] += 1
            assert "no JSON object or array found in the answer" in prompt
        return shopper(seen)

    fake.default = garbage_first
    simulation, _ = _run(shop, fake, users=1)
    report = simulation.results.to_dict()
    assert report["failures"] == []
    assert answers["retries"] == 1
    assert report["llm"]["calls"] == 5
    assert report["llm"]["refused_answers"] == 1
    assert [s["step"] for s in report["steps"]] == [
        "GET /products",
        "POST /cart/items",
        "GET /cart",
    ]


def test_garbage_twice_is_a_failed_step_and_the_run_goes_on(
    shop: MockmindApp, fake: FakeProvider
) -> None:
    fake.default = lambda seen: Reply(200, openai_chat('{"method": "GET", "path": "/nowhere"}'))
    simulation, _ = _run(shop, fake, users=2)
    report = simulation.results.to_dict()
    assert [
        (f["session_id"], f["step"], f["check"])
        for f in sorted(report["failures"], key=lambda f: f["session_id"])
    ] == [
        ("sim-llm-0000", "next step (LLM)", "llm"),
        ("sim-llm-0001", "next step (LLM)", "llm"),
    ]
    assert report["failures"][0]["message"] == (
        "the LLM's next step was refused twice: 404 Not Found: no operation matches GET "
        '/nowhere (its answer: {"method": "GET", "path": "/nowhere"})'
    )
    assert report["requests"] == 0
    assert report["llm"]["refused_answers"] == 4
    assert not simulation.results.ok


def test_a_provider_that_fails_is_a_failed_step(shop: MockmindApp, fake: FakeProvider) -> None:
    fake.default = lambda seen: Reply(500, {"error": {"message": "overloaded"}})
    simulation, _ = _run(shop, fake, users=1)
    failures = simulation.results.to_dict()["failures"]
    assert len(failures) == 1
    assert failures[0]["check"] == "llm"
    assert failures[0]["message"].startswith("the LLM did not answer: openai_compatible: ")


def test_max_steps_bounds_what_the_model_picks(shop: MockmindApp, fake: FakeProvider) -> None:
    def always_products(seen: Seen) -> Reply:
        return Reply(200, openai_chat('{"method": "GET", "path": "/products?limit=1"}'))

    fake.default = always_products
    simulation, _ = _run(shop, fake, users=2, max_steps=3)
    report = simulation.results.to_dict()
    assert report["steps"] == [
        {**report["steps"][0], "step": "GET /products", "requests": 6, "statuses": {"200": 6}}
    ]
    assert report["llm"]["calls"] == 6
