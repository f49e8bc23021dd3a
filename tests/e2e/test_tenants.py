"""``mockmind serve --tenants DIR`` as a user starts it: examples/tenants served under
/t/{folder}/, each tenant with its own sessions and admin token, tenants added and changed
while the server runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.mockmind_server import stop_server, wait_until_up
from tests.support.network import free_port
from tests.support.paths import EXAMPLES

TOKENS = {
    "MOCKMIND_ADMIN_TOKEN_SOCIAL": "social-token",
    "MOCKMIND_ADMIN_TOKEN_ONBOARDING": "onboarding-token",
}


def start_tenants_server(folder: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "MOCKMIND_LLM_PROVIDER": "offline", **TOKENS}
    env.pop("MOCKMIND_CONFIG", None)
    log_fd, log_path = tempfile.mkstemp(prefix="mockmind-tenants-", suffix=".log")
    try:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "mockmind.cli", "serve", "--tenants", str(folder)),
                *("--port", str(port), *extra),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_fd,
        )
    finally:
        os.close(log_fd)
    try:
        return process, wait_until_up(process, port, Path(log_path))
    finally:
        os.unlink(log_path)


@pytest.fixture(scope="module")
def tenants_url() -> Iterator[str]:
    process, url = start_tenants_server(EXAMPLES / "tenants")
    try:
        yield url
    finally:
        stop_server(process)


def test_each_folder_is_served_under_its_name(tenants_url: str) -> None:
    with httpx.Client(base_url=tenants_url) as http:
        users = http.get("/t/social/users")
        applications = http.get("/t/onboarding/applications")
        elsewhere = http.get("/t/onboarding/users")
    assert users.status_code == 200
    assert len(users.json()) == 6
    assert applications.status_code == 200
    assert elsewhere.status_code == 404


@pytest.mark.parametrize("name", ["nobody", "Social", "so_cial", "social%2F..", "-social"])
def test_an_unknown_or_forged_tenant_answers_404_naming_it(tenants_url: str, name: str) -> None:
    answer = httpx.get(f"{tenants_url}/t/{name}/users")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == f"no tenant named {name!r}"


def test_a_request_naming_no_tenant_is_a_404(tenants_url: str) -> None:
    answer = httpx.get(f"{tenants_url}/users")
    assert answer.status_code == 404
    assert answer.json()["detail"].startswith("the request names no tenant")


def test_sessions_and_admin_tokens_stay_with_their_tenant(tenants_url: str) -> None:
    social = {"Authorization": "Bearer social-token"}
    onboarding = {"Authorization": "Bearer onboarding-token"}
    with httpx.Client(base_url=tenants_url) as http:
        made = http.post(
            "/t/onboarding/applications",
            json={"applicant_name": "Ada", "email": "ada@example.com"},
            headers={"X-Session-ID": "e2e"},
        )
        assert made.status_code == 201, made.text
        own = http.get("/t/onboarding/__mockmind/sessions/e2e", headers=onboarding)
        other_tenant = http.get("/t/social/__mockmind/sessions/e2e", headers=social)
        wrong_token = http.get("/t/onboarding/__mockmind/sessions/e2e", headers=social)
        listed = http.get("/t/onboarding/applications", headers={"X-Session-ID": "e2e"})
    assert own.status_code == 200
    assert own.json()["id"] == "e2e"
    assert other_tenant.status_code == 404
    assert wrong_token.status_code == 401
    assert [a["applicant_name"] for a in listed.json()] == ["Ada"]


def test_tenants_are_added_and_changed_without_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    shutil.copytree(EXAMPLES / "tenants" / "social", root / "social")
    config = tmp_path / "stack.yaml"
    config.write_text("tenants:\n  refresh_seconds: 0\n")
    process, url = start_tenants_server(root, "--config", str(config))
    try:
        with httpx.Client(base_url=url) as http:
            assert http.get("/t/later/applications").status_code == 404
            shutil.copytree(EXAMPLES / "tenants" / "onboarding", root / "later")
            assert http.get("/t/later/applications").status_code == 200
            assert len(http.get("/t/social/users").json()) == 6
            settings = root / "social" / "mockmind.yaml"
            # A different mtime even on a coarse clock: the version is a stat digest.
            time.sleep(0.01)
            settings.write_text(settings.read_text().replace("seed: 6", "seed: 2"))
            assert len(http.get("/t/social/users").json()) == 2
    finally:
        stop_server(process)
