"""`mockmind simulate` against the server under test (the local shop, or MOCKMIND_URL): the
example buyer flow holds for many users at once, and the exit code tells a script the result.
Every run warns of nothing it left open (ResourceWarning is an error in the command's
interpreter). `choose: llm` flows ask a model on a loopback OpenAI-compatible server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_provider import FakeProvider, Reply, Seen, openai_chat, serve

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
BUYER = SHOP / "flows" / "buyer.yaml"
LLM_FLOW = "choose: llm\npersona: Someone who looks at one product and leaves.\nmax_steps: 3\n"


def _simulate(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-W", "error::ResourceWarning", "-m", "mockmind.cli", "simulate", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )
    # A warning raised while collecting an object is printed, not raised: read it here.
    assert "ResourceWarning" not in done.stderr, done.stderr
    return done


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    yield from serve()


def _llm_config(tmp_path: Path, fake: FakeProvider) -> Path:
    config = tmp_path / "mockmind.yaml"
    config.write_text(
        f"openapi: {SHOP / 'openapi.yaml'}\n"
        "intelligent_behavior:\n"
        "  behavior_model:\n"
        "    llm_provider: openai_compatible\n"
        f"    api_endpoint: {fake.url}/v1\n"
        "    retries: {max_attempts: 1}\n"
    )
    return config


def one_look_then_done(seen: Seen) -> Reply:
    prompt = str(seen.body["messages"][-1]["content"])
    if "no request yet" in prompt:
        return Reply(
            200, openai_chat('{"method": "GET", "path": "/products", "query": {"limit": 1}}')
        )
    return Reply(200, openai_chat('{"done": true}'))


def test_buyers_at_once_keep_every_check(base_url: str, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    done = _simulate(
        "--users", "8", "--flow", str(BUYER), "--url", base_url, "--think-scale", "0",
        "--json", "--html", str(html),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert (report["users"], report["iterations"], report["failures"]) == (8, 8, [])
    assert report["url"] == base_url
    statuses = {step["step"]: step["statuses"] for step in report["steps"]}
    assert statuses["POST /orders"] == {"201": 8}
    assert "cart total equals the sum of its items" not in html.read_text()  # no failure listed
    assert "<svg" in html.read_text()


def test_a_failed_check_exits_1_and_names_the_session(base_url: str, tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text(
        "steps:\n"
        "  - get: /cart\n"
        "    checks: [{name: never, that: 'count(body.items)', equals: '9'}]\n"
    )
    report_file = tmp_path / "report.json"
    done = _simulate(
        "--users", "2", "--flow", str(flow), "--url", base_url, "--report", str(report_file)
    )
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(report_file.read_text())
    assert sorted(f["check"] for f in report["failures"]) == ["never", "never"]
    assert all(f["session_id"] in done.stdout for f in report["failures"])


def test_a_broken_flow_is_refused_before_any_request(base_url: str, tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text("steps:\n  - get: /cart\n    stauts: 200\n")
    done = _simulate("--flow", str(flow), "--url", base_url)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        "error: 1 problem(s) in the flow:",
        f"  {flow}:3:5: steps[0].stauts: unknown key 'stauts'; did you mean 'status'?",
    ]


def test_an_llm_flow_follows_the_model_s_picks(
    base_url: str, tmp_path: Path, fake: FakeProvider
) -> None:
    fake.default = one_look_then_done
    flow = tmp_path / "persona.yaml"
    flow.write_text(LLM_FLOW)
    done = _simulate(
        "--users", "2", "--flow", str(flow), "--url", base_url,
        "--config", str(_llm_config(tmp_path, fake)), "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert [(s["step"], s["statuses"]) for s in report["steps"]] == [("GET /products", {"200": 2})]
    assert report["llm"]["calls"] == 4
    assert report["llm"]["refused_answers"] == 0


def test_an_llm_that_answers_garbage_fails_the_step_not_the_run(
    base_url: str, tmp_path: Path, fake: FakeProvider
) -> None:
    fake.default = lambda seen: Reply(200, openai_chat("Let me think about what a shopper does."))
    flow = tmp_path / "persona.yaml"
    flow.write_text(LLM_FLOW)
    done = _simulate(
        "--flow", str(flow), "--url", base_url, "--config", str(_llm_config(tmp_path, fake))
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "failed next step (LLM) (llm): the LLM's next step was refused twice: no JSON" in (
        " ".join(done.stdout.split())
    )
    assert len(fake.requests) == 2


def test_an_llm_flow_without_a_provider_or_a_document_is_refused(
    base_url: str, tmp_path: Path
) -> None:
    flow = tmp_path / "persona.yaml"
    flow.write_text(LLM_FLOW)
    offline = {"MOCKMIND_LLM_PROVIDER": "offline", "MOCKMIND_CONFIG": ""}
    done = _simulate(
        "--flow", str(flow), "--url", base_url, "--spec", str(SHOP / "openapi.yaml"), env=offline
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("error: choose: llm needs an LLM provider, and none is in use:")
    no_document = subprocess.run(
        [sys.executable, "-m", "mockmind.cli", "simulate", "--flow", str(flow)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "MOCKMIND_CONFIG": ""},
    )
    assert no_document.returncode == 2
    assert "choose: llm picks from the API description's operations, and none was found" in (
        no_document.stderr
    )
    scripted = _simulate(
        "--flow", str(BUYER), "--url", base_url, "--spec", str(SHOP / "openapi.yaml")
    )
    assert scripted.returncode == 2
    assert (
        scripted.stderr == "error: --config and --spec are read by a flow with choose: llm only\n"
    )
