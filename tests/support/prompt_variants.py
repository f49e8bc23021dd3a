"""A prompt experiment the tests run: one operation, two variants, and a scripted model
(tests/support/fake_provider) that answers the strict prompt with valid JSON at once and the
control prompt with prose first (the engine then asks again with the errors: the repair gets
valid JSON). The integration, e2e and UI tests of the variants share it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx

from tests.support.fake_provider import Reply, Seen, openai_chat
from tests.support.mockmind_server import start_server

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/convert": {
            "get": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["name"],
                                    "properties": {"name": {"type": "string"}},
                                }
                            }
                        },
                    }
                }
            }
        }
    },
}

CONFIG = """
openapi: {document}
storage: {{backend: memory}}
intelligent_behavior:
  behavior_model:
    llm_provider: openai_compatible
    model: gpt-4o-mini
    api_key: test-key
    api_endpoint: {url}/v1
    retries: {{max_attempts: 1}}
    circuit_breaker: {{failure_threshold: 1000}}
    negative_cache_ttl_seconds: 0
    rules:
      system_prompt: You are the control prompt.
    prompt_variants:
      - {{name: control, weight: 1}}
      - {{name: strict, weight: 1, system_prompt: "You are STRICT: JSON only."}}
"""

STRICT_PROMPT = "You are STRICT: JSON only."
CONTROL_PROMPT = "You are the control prompt."


def system_prompt(seen: Seen) -> str:
    return str(seen.body["messages"][0]["content"])


def answer(seen: Seen) -> Reply:
    """Valid JSON at once for the strict prompt; for the control prompt, prose, then valid
    JSON when asked again with the reasons it was rejected."""
    if "STRICT" in system_prompt(seen):
        return Reply(body=openai_chat('{"name": "Ada"}'))
    if "rejected for these reasons" in str(seen.body["messages"][-1]["content"]):
        return Reply(body=openai_chat('{"name": "Bo"}'))
    return Reply(body=openai_chat("Sure, here is a profile."))


def config_text(folder: Path, llm_url: str) -> str:
    """The experiment's config, its document written into ``folder``."""
    document = folder / "openapi.json"
    document.write_text(json.dumps(DOCUMENT))
    return CONFIG.format(document=document, url=llm_url)


def start_experiment_server(
    folder: Path, llm_url: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """``mockmind serve`` of the experiment's config (written into ``folder``)."""
    config = folder / "mockmind.yaml"
    config.write_text(config_text(folder, llm_url))
    return start_server(config, env)


def ask_as_sessions(base_url: str, sessions: list[str]) -> list[str]:
    """One GET /convert per session (each its own, by X-Session-ID): the names answered."""
    names = []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for session in sessions:
            client.cookies.clear()
            answered = client.get("/convert", headers={"X-Session-ID": session})
            assert answered.status_code == 200, answered.text
            names.append(str(answered.json()["name"]))
    return names
