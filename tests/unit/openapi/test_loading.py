from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockmind.domain.errors import ConfigError
from mockmind.openapi import OpenAPIDocument

from .conftest import PETSTORE, THINGS

MINIMAL = {"openapi": "3.0.3", "info": {"title": "Tiny", "version": "1"}, "paths": {}}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def only_issue(exc: pytest.ExceptionInfo[ConfigError]) -> tuple[str, str, int | None]:
    (issue,) = exc.value.issues
    return issue.path, issue.message, issue.line


def test_yaml_document_has_version_title_and_raw(petstore: OpenAPIDocument) -> None:
    assert petstore.version == "3.0"
    assert petstore.title == "Petstore 3.0"
    assert "/pets" in petstore.raw["paths"]


def test_31_document(things: OpenAPIDocument) -> None:
    assert things.version == "3.1"
    assert things.title == "Things 3.1"


def test_json_by_extension(tmp_path: Path) -> None:
    doc = OpenAPIDocument.load(write(tmp_path, "api.json", json.dumps(MINIMAL)))
    assert doc.version == "3.0"
    assert doc.title == "Tiny"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("api.spec", json.dumps(MINIMAL)),  # sniffed as JSON
        ("api.spec", "openapi: 3.1.0\ninfo: {title: Tiny, version: '1'}\npaths: {}\n"),
        ("api.yaml", json.dumps(MINIMAL)),  # JSON in a .yaml file takes the fast path
        ("api.yaml", "{openapi: 3.0.0, info: {title: Tiny, version: '1'}, paths: {}}"),
    ],
)
def test_format_is_sniffed_when_the_extension_does_not_say(
    tmp_path: Path, name: str, text: str
) -> None:
    assert OpenAPIDocument.load(write(tmp_path, name, text)).title == "Tiny"


def test_title_falls_back_to_the_file_name(tmp_path: Path) -> None:
    doc = OpenAPIDocument.load(write(tmp_path, "orders.yaml", "openapi: 3.0.0\npaths: {}\n"))
    assert doc.title == "orders"


def test_unquoted_version_number_is_accepted(tmp_path: Path) -> None:
    doc = OpenAPIDocument.load(write(tmp_path, "a.yaml", "openapi: 3.0\npaths: {}\n"))
    assert doc.version == "3.0"


def test_yaml_scalars_follow_yaml_12(petstore: OpenAPIDocument) -> None:
    op = petstore.raw["paths"]["/dates"]["get"]
    # An unquoted 200 is still the key "200"; dates and yes/no stay strings.
    media = op["responses"]["200"]["content"]["application/json"]
    assert media["example"] == {"when": "2024-01-31", "answer": "no"}
    assert media["schema"]["properties"]["answer"]["enum"] == ["yes", "no"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        OpenAPIDocument.load(tmp_path / "nope.yaml")
    _, message, _ = only_issue(exc)
    assert "file not found" in message
    assert exc.value.issues[0].source == str(tmp_path / "nope.yaml")


def test_broken_yaml_reports_the_line(tmp_path: Path) -> None:
    text = "openapi: 3.0.0\npaths:\n  /a:\n    get: [unclosed\n  /b: {}\n"
    with pytest.raises(ConfigError) as exc:
        OpenAPIDocument.load(write(tmp_path, "bad.yaml", text))
    _, message, line = only_issue(exc)
    assert message.startswith("invalid YAML")
    assert line == 5


def test_broken_json_reports_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        OpenAPIDocument.load(write(tmp_path, "bad.json", '{\n  "openapi": "3.0.0",\n  oops\n}'))
    (issue,) = exc.value.issues
    assert issue.message.startswith("invalid JSON")
    assert (issue.line, issue.column) == (3, 3)
    assert "bad.json:3:3" in str(exc.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file is empty"),
        ("- a\n- b\n", "the file is a list"),
        ("info: {title: x}\npaths: {}\n", "no 'openapi' field"),
    ],
)
def test_not_an_openapi_document(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as exc:
        OpenAPIDocument.load(write(tmp_path, "x.yaml", text))
    assert expected in only_issue(exc)[1]


def test_swagger_1_is_refused_naming_what_is_read(tmp_path: Path) -> None:
    text = "info: {title: Old}\nswagger: '1.2'\npaths: {}\n"
    with pytest.raises(ConfigError) as exc:
        OpenAPIDocument.load(write(tmp_path, "old.yaml", text))
    key, message, line = only_issue(exc)
    assert key == "swagger"
    assert message == (
        "Swagger 1.2 documents are not supported; mockmind reads Swagger 2.0 and OpenAPI 3.0.x "
        "and 3.1.x"
    )
    assert line == 2


def test_swagger_2_loads_as_openapi_30(tmp_path: Path) -> None:
    text = "info: {title: Old, version: '1'}\nswagger: '2.0'\nbasePath: /v2\npaths: {}\n"
    doc = OpenAPIDocument.load(write(tmp_path, "old.yaml", text))
    assert doc.version == "3.0"
    assert doc.title == "Old"
    assert doc.raw["openapi"] == "3.0.3"
    assert doc.raw["servers"] == [{"url": "/v2"}]


@pytest.mark.parametrize("version", ["2.0", "3.2.0", "4.0.0", "three"])
def test_unsupported_versions(tmp_path: Path, version: str) -> None:
    text = f"info: {{title: x}}\nopenapi: '{version}'\npaths: {{}}\n"
    with pytest.raises(ConfigError) as exc:
        OpenAPIDocument.load(write(tmp_path, "v.yaml", text))
    key, message, line = only_issue(exc)
    assert key == "openapi"
    assert "unsupported OpenAPI version" in message
    assert line == 2


def test_every_structural_problem_is_reported(tmp_path: Path) -> None:
    text = "openapi: 3.0.0\npaths:\n  pets: {}\n  /ok: {}\n  /bad: 3\n"
    with pytest.raises(ConfigError) as exc:
        OpenAPIDocument.load(write(tmp_path, "s.yaml", text))
    assert [(i.path, i.line) for i in exc.value.issues] == [("paths.pets", 3), ("paths./bad", 5)]


def test_fixture_files_exist() -> None:
    assert PETSTORE.is_file()
    assert THINGS.is_file()
