"""The mockmind command as a user runs it: a real process, real files, exit codes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.mockmind_server import stop_server
from tests.support.network import free_port
from tests.support.paths import EXAMPLES, FIXTURES


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockmind.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_validate_accepts_the_seed_config() -> None:
    result = _run("validate-config", str(FIXTURES / "config-example.yaml"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")
    assert "1 rules" in result.stdout
    assert "OPENAI_API_KEY" in result.stdout  # named as unset, never required
    assert len(result.stdout.strip().splitlines()) == 1


@pytest.mark.slow
def test_validate_accepts_every_example() -> None:
    for config in sorted(EXAMPLES.glob("*/mockmind.yaml")):
        result = _run("validate-config", str(config))
        assert result.returncode == 0, f"{config}: {result.stderr}"


def test_validate_rejects_a_misspelt_key_with_its_line(tmp_path: Path) -> None:
    text = (FIXTURES / "config-example.yaml").read_text()
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("cache_ttl_seconds", "cahce_ttl_seconds"))
    line = next(i for i, text in enumerate(broken.read_text().splitlines(), 1) if "cahce" in text)
    result = _run("validate-config", str(broken))
    assert result.returncode == 1
    assert f"broken.yaml:{line}:" in result.stderr
    assert "cahce_ttl_seconds" in result.stderr
    assert "did you mean 'cache_ttl_seconds'" in result.stderr


def test_validate_names_a_malformed_rule_and_its_column(tmp_path: Path) -> None:
    config = tmp_path / "rules.yaml"
    config.write_text(
        "intelligent_behavior:\n"
        "  behavior_model:\n"
        "    rules:\n"
        "      consistency_rules:\n"
        "        - name: broken_rule\n"
        '          condition: "path starts_with"\n'
        "          action: {type: require_auth}\n"
        "        - name: also_broken\n"
        "          condition: \"method === 'GET'\"\n"
        "          action: {type: require_auth}\n"
    )
    result = _run("validate-config", str(config))
    assert result.returncode == 1
    assert "rule 'broken_rule'" in result.stderr
    assert "column 17" in result.stderr
    assert "rules.yaml:6:" in result.stderr
    assert "rule 'also_broken'" in result.stderr
    assert "column 10" in result.stderr


def test_validate_reports_bad_state_machines_and_expressions(tmp_path: Path) -> None:
    config = tmp_path / "machines.yaml"
    config.write_text(
        "intelligent_behavior:\n"
        "  behavior_model:\n"
        "    rules:\n"
        "      schemas:\n"
        "        Order: {type: object, properties: {id: {type: string}}}\n"
        "      resources:\n"
        "        orders:\n"
        '          computed: {total: "sum(items[].price *"}\n'
        "      state_machines:\n"
        "        m:\n"
        "          resource: invoices\n"
        "          initial: new\n"
        "          transitions:\n"
        '            - {from: new, to: paid, on: "POST /orders/{id}/pay"}\n'
    )
    result = _run("validate-config", str(config))
    assert result.returncode == 1
    assert "unknown resource 'invoices'" in result.stderr
    assert "sum(items[].price *" in result.stderr


def test_validate_reports_a_missing_openapi_document(tmp_path: Path) -> None:
    config = tmp_path / "m.yaml"
    config.write_text("openapi: nowhere.yaml\n")
    result = _run("validate-config", str(config))
    assert result.returncode == 1
    assert "nowhere.yaml" in result.stderr


def test_validate_reports_broken_yaml(tmp_path: Path) -> None:
    config = tmp_path / "m.yaml"
    config.write_text("intelligent_behavior:\n  enabled: [true\n")
    result = _run("validate-config", str(config))
    assert result.returncode == 1
    assert "invalid YAML" in result.stderr


def test_serve_fails_fast_on_a_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "m.yaml"
    config.write_text("storage: {backend: floppy}\n")
    result = _run("serve", "--config", str(config), "--port", "0")
    assert result.returncode == 1
    assert "storage.backend" in result.stderr


@pytest.mark.slow
def test_serve_an_openapi_document_alone(tmp_path: Path) -> None:
    port = free_port()
    spec = FIXTURES / "openapi" / "petstore-3.0.yaml"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockmind.cli",
            "serve",
            "--openapi",
            str(spec),
            "--port",
            str(port),
        ],
        cwd=tmp_path,  # no mockmind.yaml here: every default
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                health = httpx.get(f"{base}/__mockmind/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health.json()["api"]["kind"] == "openapi"
        pets = httpx.get(f"{base}/pets", timeout=5)
        assert pets.status_code == 200, pets.text
        assert isinstance(pets.json(), list)
        # A circular schema (a tree of nodes) is generated finitely and accepted back.
        tree = httpx.post(f"{base}/trees", json={"name": "root", "children": []}, timeout=5)
        assert tree.status_code == 201, tree.text
        assert httpx.get(f"{base}/trees", timeout=5).status_code == 405
        assert httpx.get(f"{base}/nowhere", timeout=5).status_code == 404
    finally:
        stop_server(process)
