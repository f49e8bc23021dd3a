"""``mockmind push``: the files a config brings (its document and what that document's $refs
reach, relative to the config), the local check before anything is sent, the PUT it sends,
--to a folder, --delete, and its refusals with their exit codes."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from mockmind.cli import main
from mockmind.cli.admin_commands import Connection
from mockmind.domain.errors import ConfigError
from mockmind.tenants.bundle import tenant_files
from mockmind.tenants.catalog import MANIFEST, check_tenant_files
from tests.support.paths import EXAMPLES

ENV = {"MOCKMIND_LLM_PROVIDER": "offline"}

MAIN = """openapi: 3.0.3
info: {title: Split, version: "1"}
paths:
  /users:
    get:
      responses:
        "200":
          description: the users
          content:
            application/json:
              schema: {type: array, items: {$ref: "schemas/common.yaml#/User"}}
"""
COMMON = """User:
  type: object
  properties:
    id: {type: string}
    address: {$ref: "./more/address.json#/Address"}
    same: {$ref: "#/User"}
    remote: {$ref: "https://example.com/schemas.json#/X"}
"""
ADDRESS = '{"Address": {"type": "object", "properties": {"city": {"type": "string"}}}}'


@pytest.fixture
def split(tmp_path: Path) -> Path:
    """A config whose document is in a sub-folder and split over three files."""
    (tmp_path / "api" / "schemas" / "more").mkdir(parents=True)
    (tmp_path / "api" / "main.yaml").write_text(MAIN)
    (tmp_path / "api" / "schemas" / "common.yaml").write_text(COMMON)
    (tmp_path / "api" / "schemas" / "more" / "address.json").write_text(ADDRESS)
    (tmp_path / "api" / "unrelated.yaml").write_text("not: sent\n")
    config = tmp_path / "shop.yaml"
    config.write_text("openapi: api/main.yaml\n")
    return config


def test_the_files_are_the_config_and_what_its_document_reaches(split: Path) -> None:
    files = tenant_files(split, ENV)
    assert files == {
        "mockmind.yaml": b"openapi: api/main.yaml\n",
        "api/main.yaml": MAIN.encode(),
        "api/schemas/common.yaml": COMMON.encode(),
        "api/schemas/more/address.json": ADDRESS.encode(),
    }
    check_tenant_files("shop", files, ENV)  # a tenant the catalog takes


def test_a_document_outside_the_configs_folder_is_refused_named(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(MAIN)
    (tmp_path / "tenant").mkdir()
    config = tmp_path / "tenant" / "mockmind.yaml"
    config.write_text("openapi: ../api.yaml\n")
    with pytest.raises(ConfigError) as caught:
        tenant_files(config, ENV)
    assert [str(issue) for issue in caught.value.issues] == [
        f"{config}: openapi: {tmp_path / 'api.yaml'} is outside the config's folder "
        f"{tmp_path / 'tenant'}: a tenant's files are sent with paths relative to its config "
        "(copy the file beside it)"
    ]


class Recorder:
    """The stack's operator route, answering one push; every request kept."""

    def __init__(self, status: int = 201, body: object | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.status = status
        self.body = body

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.body is not None:
            return httpx.Response(self.status, json=self.body)
        if request.method == "DELETE":
            return httpx.Response(200, json={"tenant": "shop", "deleted": True})
        sent = json.loads(request.content)
        return httpx.Response(
            self.status,
            json={
                "tenant": "shop",
                "version": '"v2"',
                "created": self.status == 201,
                "files": sorted(sent["files"]),
            },
        )


def push(recorder: Recorder | None, *args: str, env: dict[str, str] | None = None) -> Result:
    transport = httpx.MockTransport(recorder) if recorder else None
    return CliRunner().invoke(
        main, ["push", *args], obj=Connection(transport), env={**ENV, **(env or {})}
    )


def test_push_sends_every_file_to_the_operator_route(split: Path) -> None:
    recorder = Recorder()
    result = push(
        recorder,
        "--tenant",
        "shop",
        str(split),
        "--url",
        "https://mocks.example.com",
        env={"MOCKMIND_ADMIN_TOKEN": "stack-token"},
    )
    assert result.exit_code == 0, result.output
    (request,) = recorder.requests
    assert request.method == "PUT"
    assert str(request.url) == "https://mocks.example.com/__mockmind/tenants/shop"
    assert request.headers["x-mockmind-admin-token"] == "stack-token"
    assert json.loads(request.content) == {
        "files": {
            "mockmind.yaml": "openapi: api/main.yaml\n",
            "api/main.yaml": MAIN,
            "api/schemas/common.yaml": COMMON,
            "api/schemas/more/address.json": ADDRESS,
        }
    }
    assert result.stdout == (
        'tenant shop created at https://mocks.example.com (version "v2", 4 files)\n'
    )


def test_a_file_that_is_not_text_is_sent_in_base64() -> None:
    from mockmind.cli.admin_client import AdminClient

    recorder = Recorder()
    with AdminClient("http://stack", transport=httpx.MockTransport(recorder)) as client:
        client.push_tenant("shop", {"mockmind.yaml": b"{}\n", "logo.bin": b"\xff\x00"})
    sent = json.loads(recorder.requests[0].content)["files"]
    assert sent == {
        "mockmind.yaml": "{}\n",
        "logo.bin": {"base64": base64.b64encode(b"\xff\x00").decode()},
    }


def test_a_broken_config_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    config = tmp_path / "mockmind.yaml"
    config.write_text("storage:\n  backend: paper\n")
    recorder = Recorder()
    result = push(recorder, "--tenant", "shop", str(config))
    assert result.exit_code == 1
    assert recorder.requests == []
    assert result.stderr == (
        "error: 1 problem in the configuration:\n"
        f"  {config}:2:12: storage.backend: Input should be 'memory', 'sqlite' or 'aws' "
        "(got 'paper')\n"
    )


def test_a_config_that_names_tenants_is_refused_as_the_stack_would(tmp_path: Path) -> None:
    config = tmp_path / "mockmind.yaml"
    config.write_text("tenants:\n  catalog: elsewhere\n")
    result = push(Recorder(), "--tenant", "shop", str(config))
    assert result.exit_code == 1
    assert "tenants: a tenant's config cannot name tenants of its own" in result.stderr


def test_the_servers_refusal_ends_with_its_exit_code(split: Path) -> None:
    conflict = {"status": 409, "title": "Conflict", "detail": "tenant 'shop' is being stored"}
    refused = {"status": 401, "title": "Unauthorized", "detail": "the admin token sent is not"}
    for status, body, code in ((409, conflict, 1), (401, refused, 4)):
        result = push(Recorder(status, body), "--tenant", "shop", str(split))
        assert result.exit_code == code
        assert result.stderr.startswith(f"error: {status} {body['title']}: ")


def test_push_to_a_folder_writes_the_catalog_and_json_says_so(split: Path, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    first = push(None, "--tenant", "shop", str(split), "--to", str(catalog), "--json")
    assert first.exit_code == 0, first.output
    answer = json.loads(first.stdout)
    assert answer["created"] is True
    assert answer["files"] == [
        "api/main.yaml",
        "api/schemas/common.yaml",
        "api/schemas/more/address.json",
        "mockmind.yaml",
    ]
    assert (catalog / "shop" / "api" / "schemas" / "more" / "address.json").read_text() == ADDRESS
    assert (catalog / "shop" / MANIFEST).is_file()
    again = push(None, "--tenant", "shop", str(split), "--to", str(catalog), "--json")
    assert json.loads(again.stdout)["created"] is False
    assert json.loads(again.stdout)["version"] == answer["version"]  # the same files
    deleted = push(None, "--tenant", "shop", "--delete", "--to", str(catalog))
    assert deleted.exit_code == 0
    assert deleted.stdout == f"tenant shop deleted at {(catalog / 'shop').as_uri()}\n"
    assert not (catalog / "shop").exists()
    missing = push(None, "--tenant", "shop", "--delete", "--to", str(catalog))
    assert missing.exit_code == 3
    assert missing.stderr == (
        f"error: 404 Not Found: no tenant named 'shop' at {(catalog / 'shop').as_uri()}\n"
    )


def test_delete_over_the_url(split: Path) -> None:
    recorder = Recorder()
    result = push(recorder, "--tenant", "shop", "--delete", "--json")
    assert result.exit_code == 0
    assert recorder.requests[0].method == "DELETE"
    assert recorder.requests[0].url.path == "/__mockmind/tenants/shop"
    assert json.loads(result.stdout) == {"tenant": "shop", "deleted": True}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "Shop", "x.yaml"], "'Shop' is not a tenant's name"),
        (["--tenant", "shop"], "missing CONFIG"),
        (["--tenant", "shop", "--delete", "CONFIG"], "--delete takes no CONFIG"),
        (["--tenant", "shop", "--delete", "--to", "d", "--url", "http://x"], "not both"),
    ],
)
def test_usage_errors(args: list[str], message: str, tmp_path: Path) -> None:
    real = [str(tmp_path / "c.yaml") if arg == "CONFIG" else arg for arg in args]
    (tmp_path / "c.yaml").write_text("{}\n")
    result = push(Recorder(), *real)
    assert result.exit_code == 2
    assert message in result.stderr


def test_the_examples_tenant_pushes_as_it_is(tmp_path: Path) -> None:
    source = tmp_path / "social"
    shutil.copytree(EXAMPLES / "tenants" / "social", source)
    result = push(
        None, "--tenant", "social", str(source / "mockmind.yaml"), "--to", str(tmp_path / "c")
    )
    assert result.exit_code == 0, result.output
