"""`mockmind simulate` against the server under test (the local shop, or MOCKMIND_URL): the
example buyer flow holds for many users at once, and the exit code tells a script the result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BUYER = Path(__file__).resolve().parents[2] / "examples" / "shop" / "flows" / "buyer.yaml"


def _simulate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockmind.cli", "simulate", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


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
