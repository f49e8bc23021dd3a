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


def start_tenants_server(
    folder: Path, *extra: str, variables: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "MOCKMIND_LLM_PROVIDER": "offline", **TOKENS, **(variables or {})}
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


def push(*args: str, token: str) -> subprocess.CompletedProcess[str]:
    """``mockmind push`` as a user runs it, with ``token`` as its admin token."""
    env = {**os.environ, "MOCKMIND_LLM_PROVIDER": "offline", "MOCKMIND_ADMIN_TOKEN": token}
    return subprocess.run(
        [sys.executable, "-m", "mockmind.cli", "push", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def users_once_changed(http: httpx.Client, path: str, before: int) -> int:
    """The number of users once the server serves a new version: it checks the catalog every
    refresh_seconds (1 here), so this waits at most a few of them."""
    deadline = time.monotonic() + 30
    while True:
        count = len(http.get(path).json())
        if count != before or time.monotonic() > deadline:
            return count
        time.sleep(0.2)


def test_a_tenant_is_pushed_changed_and_deleted_while_the_server_runs(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    shutil.copytree(EXAMPLES / "tenants" / "onboarding", root / "onboarding")
    source = tmp_path / "mine"
    shutil.copytree(EXAMPLES / "tenants" / "social", source)
    settings = source / "mockmind.yaml"
    stack = tmp_path / "stack.yaml"
    stack.write_text("tenants:\n  refresh_seconds: 1\n")
    process, url = start_tenants_server(
        root,
        "--config",
        str(stack),
        variables={"MOCKMIND_ADMIN_TOKEN": "stack-token", "MOCKMIND_ADMIN_TOKEN_NEW": "new-token"},
    )
    try:
        with httpx.Client(base_url=url) as http:
            assert http.get("/t/new/users").status_code == 404
            pushed = push("--tenant", "new", str(settings), "--url", url, token="stack-token")
            assert pushed.returncode == 0, pushed.stderr
            assert pushed.stdout.startswith(f"tenant new created at {url} (version ")
            # The instance that stored it serves it at once.
            assert len(http.get("/t/new/users").json()) == 6

            # A tenant's own token reaches its own admin routes, never the operator's.
            tenant = {"X-Mockmind-Admin-Token": "new-token"}
            assert http.get("/t/new/__mockmind/stats", headers=tenant).status_code == 200
            listed = http.get("/__mockmind/tenants", headers=tenant)
            assert listed.status_code == 401
            assert listed.json()["detail"] == "the admin token sent is not this server's"
            refused = push("--tenant", "new", str(settings), "--url", url, token="new-token")
            assert refused.returncode == 4
            assert refused.stderr.startswith("error: 401 Unauthorized: ")

            # Written straight into the folder (no server): seen after the interval.
            settings.write_text(settings.read_text().replace("seed: 6", "seed: 2"))
            written = push("--tenant", "new", str(settings), "--to", str(root), token="")
            assert written.returncode == 0, written.stderr
            assert users_once_changed(http, "/t/new/users", 6) == 2

            stack_token = {"X-Mockmind-Admin-Token": "stack-token"}
            rows = http.get("/__mockmind/tenants", headers=stack_token).json()["tenants"]
            assert [row["name"] for row in rows] == ["new", "onboarding"]
            assert rows[0]["built_version"] == rows[0]["version"]

            deleted = push("--tenant", "new", "--delete", "--url", url, token="stack-token")
            assert deleted.returncode == 0, deleted.stderr
            assert http.get("/t/new/users").status_code == 404
            assert not (root / "new").exists()
    finally:
        stop_server(process)
