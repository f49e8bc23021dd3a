"""``mockmind proxy``'s refusals, before anything is served."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from mockmind.cli import main


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["proxy", *args])
    return result.exit_code, result.output


def test_the_upstream_must_be_an_http_url() -> None:
    code, output = _run("--upstream", "ftp://files.example.com")
    assert code == 2
    assert (
        "Invalid value for --upstream: the upstream must be an http(s) URL with a host, not "
        in (" ".join(output.split()))
    )
    code, output = _run("--upstream", "http://api.example.com/v1?key=1")
    assert code == 2
    assert "may not hold a query or a fragment" in output


def test_a_broken_document_and_a_file_that_is_not_har_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("just: text\n")
    code, output = _run("--upstream", "http://127.0.0.1:9", "--openapi", str(broken))
    assert code == 1
    assert output.startswith("error: 1 problem(s) in the OpenAPI document:\n")
    notes = tmp_path / "notes.har"
    notes.write_text("my notes")
    code, output = _run("--upstream", "http://127.0.0.1:9", "--record", str(notes))
    assert code == 2
    assert "is not a HAR file to add to" in " ".join(output.split())
    assert notes.read_text() == "my notes"
