"""``mockmind prompts`` against a real server (a subprocess) whose two prompt variants are
answered by the scripted model on loopback (tests/support/prompt_variants): what the
command prints is what GET /__mockmind/prompts counted, and the verdict names the better one."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockmind.cli.output import fixed
from tests.support.admin_cli import mockmind
from tests.support.fake_provider import FakeProvider
from tests.support.mockmind_server import stop_server
from tests.support.prompt_variants import answer, ask_as_sessions, start_experiment_server

TOKEN = "e2e-prompts-admin-token"
SESSIONS = [f"ab-{n}" for n in range(40)]
HEADER = [
    "Variant", "Weight", "Answers", "Calls", "Valid", "1st", "try", "Rate", "95%", "interval",
    "Repairs", "Fallbacks", "p50", "ms", "p95", "ms", "Tokens", "in", "Tokens", "out", "Cost",
    "(USD)",
]  # fmt: skip


@pytest.fixture(scope="module")
def experiment_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("MOCKMIND_URL"):
        pytest.skip("MOCKMIND_URL serves the shop; the prompt experiment runs locally only")
    model = FakeProvider()
    model.default = answer
    model.start()
    folder: Path = tmp_path_factory.mktemp("prompts")
    try:
        process, url = start_experiment_server(folder, model.url, {"MOCKMIND_ADMIN_TOKEN": TOKEN})
        try:
            yield url
        finally:
            stop_server(process)
    finally:
        model.stop()


def _prompts(url: str, *args: str) -> Any:
    result = mockmind(url, "prompts", *args, env={"MOCKMIND_ADMIN_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result


def _share(value: float) -> str:
    return fixed(value * 100, 1) + "%"


def test_before_any_answer_each_variant_is_listed_without_rates(experiment_url: str) -> None:
    report = json.loads(_prompts(experiment_url, "--json").stdout)
    assert [(v["name"], v["answers"], v["valid_first_try_rate"]) for v in report["variants"]] == [
        ("control", 0, None),
        ("strict", 0, None),
    ]
    assert report["verdict"] == "not enough answers yet: each variant needs some"
    lines = _prompts(experiment_url).stdout.splitlines()
    assert lines[0].split() == HEADER
    rows = [line.split() for line in lines[2:4]]
    assert rows == [
        [name, "1", "0", "0", "0", "-", "-", "0", "0", "-", "-", "0", "0", "0.000000"]
        for name in ("control", "strict")
    ]
    assert lines[4:] == ["verdict: not enough answers yet: each variant needs some"]


def test_the_table_and_json_are_what_the_server_counted(experiment_url: str) -> None:
    names = ask_as_sessions(experiment_url, SESSIONS)
    # A session's variant is a digest of its id spread over the weights, the same on every
    # start: of these 40 ids, 23 are strict's (its answer names Ada) and 17 control's (Bo).
    strict, control = 23, 17
    assert (names.count("Ada"), names.count("Bo")) == (strict, control)

    report = json.loads(_prompts(experiment_url, "--json").stdout)
    with httpx.Client(timeout=30) as http:
        served = http.get(
            experiment_url + "/__mockmind/prompts", headers={"X-Mockmind-Admin-Token": TOKEN}
        ).json()
        in_stats = http.get(
            experiment_url + "/__mockmind/stats", headers={"X-Mockmind-Admin-Token": TOKEN}
        ).json()["prompt_variants"]
    assert report == served
    # The admin stats carry the same experiment (issue 18: "in the admin stats").
    assert in_stats == served
    rows = {row["name"]: row for row in report["variants"]}
    # Strict answers valid at once: one call each. Control's first answer is prose: a repair,
    # two calls each. The scripted model counts 120 prompt and 30 completion tokens a call.
    # The intervals are Wilson's at 95% of 23 in 23 and 0 in 17.
    expected = {
        "strict": (strict, strict, strict, 0, 0, 1.0, [0.8569, 1.0]),
        "control": (control, 2 * control, 0, control, 0, 0.0, [0.0, 0.1843]),
    }
    for name, (answers, calls, valid, repaired, fallbacks, rate, interval) in expected.items():
        row = rows[name]
        assert (
            row["answers"],
            row["calls"],
            row["valid_first_try"],
            row["repaired"],
            row["fallbacks"],
            row["valid_first_try_rate"],
            row["valid_first_try_interval"],
            row["prompt_tokens"],
            row["completion_tokens"],
        ) == (
            answers,
            calls,
            valid,
            repaired,
            fallbacks,
            rate,
            interval,
            120 * calls,
            30 * calls,
        )
        assert 0 < row["latency_p50_ms"] <= row["latency_p95_ms"]
        assert row["cost_usd"] > 0
    assert report["verdict"] == (
        "strict is better: valid at first try strict 100% (86%-100%) vs control 0% (0%-18%) "
        "(p = 2.54e-10, 23 and 17 answers)"
    )

    lines = _prompts(experiment_url).stdout.splitlines()
    assert lines[0].split() == HEADER
    shown = [line.split() for line in lines[2:4]]
    assert shown == [
        [
            row["name"],
            "1",
            str(row["answers"]),
            str(row["calls"]),
            str(row["valid_first_try"]),
            _share(row["valid_first_try_rate"]),
            "-".join(_share(end) for end in row["valid_first_try_interval"]),
            str(row["repaired"]),
            str(row["fallbacks"]),
            fixed(row["latency_p50_ms"], 1),
            fixed(row["latency_p95_ms"], 1),
            str(row["prompt_tokens"]),
            str(row["completion_tokens"]),
            fixed(row["cost_usd"], 6),
        ]
        for row in (rows["control"], rows["strict"])
    ]
    assert lines[4:] == [f"verdict: {report['verdict']}"]


def test_without_the_admin_token_the_command_exits_4(experiment_url: str) -> None:
    refused = mockmind(experiment_url, "prompts", env={"MOCKMIND_ADMIN_TOKEN": ""})
    assert (refused.exit_code, refused.stdout) == (4, "")
    assert refused.stderr.startswith("error: 401 Unauthorized: ")
