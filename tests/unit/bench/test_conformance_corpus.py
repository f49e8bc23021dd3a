"""The conformance corpus's manifest and the classes its failures are sorted into."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from bench.conformance.classify import (
    DOT_SEGMENT,
    FRAMING,
    JS_LITERAL,
    NO_CONTENT,
    NO_FINAL,
    NO_NOT_FOUND,
    OFF_PATTERN,
    UNPARSABLE_HTTP,
    Answer,
    Failure,
    classify,
)
from bench.conformance.corpus import MANIFEST, load
from bench.conformance.run import (
    BROKEN_LINKS,
    UNSATISFIABLE,
    Outcome,
    _documented,
    _drawn,
    _verdict,
    documented_statuses,
    framing_parameters,
    section,
)
from bench.report import replace_section, replace_summary_line, section_text


def _failure(check: str, status: int, body: object, **headers: str) -> Failure:
    text = body if isinstance(body, str) else json.dumps(body)
    answer = Answer(status, {k.replace("_", "-"): v for k, v in headers.items()}, text)
    return Failure(check, "", "", "Received: x\nDocumented: y", "GET /x", answer)


def test_the_manifest_pins_every_package_and_names_each_document_once() -> None:
    corpus = load()
    assert len(corpus.documents) >= 30
    for package in corpus.packages.values():
        assert len(package.sha256) == 64
        assert int(package.sha256, 16) >= 0
        assert package.version[0].isdigit()
    styles = {style for d in corpus.documents for style in d.styles}
    assert {"swagger-2.0", "oas-3.0", "oas-3.1", "big"} <= styles
    for document in corpus.documents:
        if document.vendored:
            assert document.vendored_copy.is_file(), document.name


def test_a_sample_document_must_be_vendored(tmp_path: Path) -> None:
    text = MANIFEST.read_text() + (
        '\n[[documents]]\nname = "extra"\npackage = "oas-examples"\npath = "a.json"\n'
        "styles = []\nsample = true\n"
    )
    broken = tmp_path / "corpus.toml"
    broken.write_text(text)
    with pytest.raises(ValueError, match="'extra': a sample document must be vendored"):
        load(broken)


def test_an_unknown_document_key_is_refused(tmp_path: Path) -> None:
    text = MANIFEST.read_text() + (
        '\n[[documents]]\nname = "extra"\npackage = "oas-examples"\npath = "a.json"\n'
        "styles = []\nsmaple = true\n"
    )
    broken = tmp_path / "corpus.toml"
    broken.write_text(text)
    with pytest.raises(ValueError, match=r"'extra': unknown keys \['smaple'\]"):
        load(broken)


def test_a_refused_valid_request_is_class_1_with_its_first_error() -> None:
    body = {
        "status": 422,
        "detail": "the request does not match the API description",
        "errors": [
            {"location": "body", "message": "malformed multipart body (check the boundary)"}
        ],
    }
    failure = _failure("status_code_conformance", 422, body, x_mockmind_source="rule")
    assert classify(failure) == ("1", "422 body: malformed multipart body (check the boundary)")


def test_a_missed_route_is_class_2() -> None:
    body = {"status": 404, "detail": "no operation matches GET /v2/pets"}
    failure = _failure("status_code_conformance", 404, body)
    assert classify(failure) == ("2", "404: no operation matches the path")


def test_an_undocumented_engine_status_is_class_4() -> None:
    body = {"status": 409, "detail": "orders 7 is 'placed'; it cannot become 'shipped'"}
    failure = _failure("status_code_conformance", 409, body, x_mockmind_source="rule")
    assert classify(failure) == (
        "4",
        "409 not documented (orders N is 'placed'; it cannot become 'shipped')",
    )
    unknown = {"status": 404, "detail": "pets 7 does not exist"}
    failure = _failure("status_code_conformance", 404, unknown, x_mockmind_source="store")
    assert classify(failure) == ("4", "404 not documented (an unknown id: the store's answer)")


def test_a_500_for_an_operation_without_responses_is_class_3() -> None:
    body = {"status": 500, "detail": "#/paths/~1a/get declares no responses"}
    failure = _failure("not_a_server_error", 500, body)
    assert classify(failure) == ("3", "an operation without responses answers 500")


@pytest.mark.parametrize(
    ("documented", "status", "expected"),
    [
        # No responses (3.1), or only interim ones: no answer can conform; 200 is the fallback.
        ("", 200, ("X", "200 where the operation documents no final status")),
        ("100, 101", 200, ("X", "200 where the operation documents no final status")),
        # A missed route is one whatever the operation documents.
        ("", 404, ("2", "404: no operation matches the path")),
        ("100, 204", 200, ("4", "200 not documented (no detail)")),
    ],
)
def test_an_operation_with_no_final_status_is_not_held_against_the_server(
    documented: str, status: int, expected: tuple[str, str]
) -> None:
    body = {"detail": "no operation matches GET /x"} if status == 404 else ""
    answer = Answer(status, {}, json.dumps(body) if body else "")
    message = f"Received: {status}\nDocumented: {documented}"
    failure = Failure("status_code_conformance", "", "", message, "GET /x", answer)
    assert classify(failure) == expected


@pytest.mark.parametrize(
    ("source", "expected"), [("offline", "5"), ("store", "5"), ("example", "6")]
)
def test_a_body_breaking_its_schema_is_5_when_generated_and_6_when_an_example(
    source: str, expected: str
) -> None:
    failure = Failure(
        "response_schema_conformance",
        "ST102",
        "Response violates schema",
        "'id' is a required property\n\nSchema at /required",
        "GET /pets",
        Answer(200, {"x-mockmind-source": source, "content-type": "application/json"}, "{}"),
    )
    assert classify(failure) == (expected, "'id' is a required property")


def test_a_problem_body_breaking_the_error_schema_is_class_4() -> None:
    failure = Failure(
        "response_schema_conformance",
        "ST102",
        "",
        "'code' is a required property",
        "GET /pets/{id}",
        Answer(404, {"x-mockmind-source": "rule"}, '{"status": 404}'),
    )
    assert classify(failure) == (
        "4",
        "404 body breaks the documented schema: 'code' is a required property",
    )


def test_values_are_elided_from_reasons_but_names_stay() -> None:
    failure = _failure(
        "status_code_conformance",
        400,
        {"errors": [{"location": "query.limit", "message": "'abc def' is not of type 'integer'"}]},
    )
    assert classify(failure) == ("1", "400 query.limit: … is not of type 'integer'")
    null = _failure(
        "status_code_conformance",
        422,
        {"errors": [{"location": "body.n", "message": "None is not of type 'integer'"}]},
    )
    assert classify(null) == ("1", "422 body.n: None is not of type 'integer'")
    pattern = Failure(
        "response_schema_conformance",
        "ST102",
        "",
        '"attack" does not match "^[0-9]+$"',
        "GET /x",
        Answer(200, {"x-mockmind-source": "offline"}, "{}"),
    )
    assert classify(pattern) == ("5", '… does not match "…"')


def test_content_type_and_stateful_checks_have_their_classes() -> None:
    answer = Answer(401, {"content-type": "application/problem+json; charset=utf-8"}, "{}")
    content = Failure("content_type_conformance", "ST105", "", "", "POST /pet", answer)
    assert classify(content) == ("7", "401 answered as application/problem+json")
    stateful = Failure("use_after_free", "", "", "Use after free\nmore", "GET /pet/{id}", answer)
    assert classify(stateful) == ("S", "use_after_free: Use after free")


@pytest.mark.parametrize(
    ("documented", "expected"),
    [
        (("200",), "X"),
        (("200", "400"), "X"),
        (("200", "404"), "S"),
        (("200", "4XX"), "S"),
        (("200", "default"), "S"),
        (None, "S"),
    ],
)
def test_use_after_free_on_a_read_without_a_documented_404_is_not_held_against_the_server(
    documented: tuple[str, ...] | None, expected: str
) -> None:
    # discourse `GET /admin/users/{id}.json` documents only 200: a 2xx breaks use_after_free,
    # a 404 status_code_conformance.
    answer = Answer(200, {"x-mockmind-source": "offline"}, "{}")
    failure = Failure(
        "use_after_free", "", "", "Use after free", "DELETE /u/{id}", answer, (), documented
    )
    assert classify(failure)[0] == expected


def test_the_documents_statuses_are_read_by_method_and_template(tmp_path: Path) -> None:
    document = tmp_path / "doc.yaml"
    document.write_text(
        "swagger: '2.0'\npaths:\n  /u/{id}:\n    parameters: []\n"
        "    get: {responses: {'200': {description: x}, '404': {description: y}}}\n"
        "    delete: {responses: {default: {description: z}}}\n"
    )
    statuses = documented_statuses(document)
    assert statuses == {("GET", "/u/{id}"): ("200", "404"), ("DELETE", "/u/{id}"): ("default",)}
    case = {"value": {"method": "GET", "path": "/u/{id}", "path_parameters": {"id": 1}}}
    assert _documented(case, statuses) == ("200", "404")
    assert _documented(case, None) is None
    assert _documented({"value": {"method": "PUT", "path": "/u/{id}"}}, statuses) is None


def test_a_section_is_replaced_in_place_and_its_summary_line_set() -> None:
    text = "# R\n\n## Summary\n\n- 1. A: x\n\n## 1. A\n\nold a\n\n## 2. B\n\nold b\n"
    replaced = replace_section(text, "1. A", "## 1. A\n\nnew a\n")
    assert section_text(replaced, "1. A") == "## 1. A\n\nnew a\n\n"
    assert section_text(replaced, "2. B") == "## 2. B\n\nold b\n"
    appended = replace_section(replaced, "9. C", "## 9. C\n\nc\n")
    assert appended.endswith("## 2. B\n\nold b\n\n## 9. C\n\nc\n\n")
    summary = replace_summary_line(appended, "9. C", "- 9. C: 3 of 4")
    assert section_text(summary, "Summary") == "## Summary\n\n- 1. A: x\n- 9. C: 3 of 4\n\n"


def test_a_refusal_of_a_value_reused_from_an_earlier_answer_is_not_held_against_the_server() -> (
    None
):
    body = {"errors": [{"location": "path.id", "message": "'x' is not of type 'integer'"}]}
    answer = Answer(400, {"x-mockmind-source": "rule"}, json.dumps(body))
    drawn = Failure("status_code_conformance", "", "", "", "PUT /u/{id}", answer, ("path.id",))
    assert classify(drawn) == (
        "X",
        "a value schemathesis reused from an earlier answer is refused (path.id)",
    )
    generated = Failure("status_code_conformance", "", "", "", "PUT /u/{id}", answer, ("path.x",))
    assert classify(generated)[0] == "1"


def test_a_body_a_link_put_in_place_of_the_generated_one_counts_as_drawn() -> None:
    # peertube: an inferred link `GET /privacies -> $response.body#/*` into POST /videos/imports,
    # whose multipart body schemathesis replaced by the link's {"privacy": label}.
    linked = {"definition": {"privacy": "$response.body#/*"}, "value": {"privacy": "Public"}}
    case: dict[str, Any] = {
        "transition": {"request_body": linked, "parameters": {"path_parameters": {"id": {}}}},
        "value": {"body": {"privacy": "Public"}},
    }
    assert _drawn(case) == ("path.id", "body")
    case["value"]["body"] = {"privacy": "Public", "name": "n", "channelId": 1}
    assert _drawn(case) == ("path.id", "body.privacy")
    case["value"]["body"] = {"privacy": 2}
    assert _drawn(case) == ("path.id",)
    errors = [
        {"location": "body", "message": "Additional properties are not allowed"},
        {"location": "body.privacy", "message": "'Public' is not of type 'integer'"},
        {"location": "body.privacy", "message": "'Public' is not one of [1, 2]"},
        {"location": "body.channelId", "message": "'channelId' is a required property"},
    ]
    answer = Answer(422, {"x-mockmind-source": "rule"}, json.dumps({"errors": errors}))
    failure = Failure("status_code_conformance", "", "", "", "POST /i", answer, ("body",))
    assert classify(failure) == (
        "X",
        "a value schemathesis reused from an earlier answer is refused "
        "(body, body.channelId, body.privacy)",
    )


def _package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes) -> tuple[Any, Any]:
    """A package tarball already in a cache under tmp_path, holding package/doc.json."""
    import io
    import tarfile

    from bench.conformance import corpus, fetch

    for module in (corpus, fetch):
        monkeypatch.setattr(module, "PACKAGES", tmp_path / "packages")
        monkeypatch.setattr(module, "DOCUMENTS", tmp_path / "documents")
    (tmp_path / "packages").mkdir()
    package = corpus.Package("demo", "npm", "demo", "1.0.0", "0" * 64, "MIT")
    with tarfile.open(package.tarball, "w:gz") as archive:
        info = tarfile.TarInfo("package/doc.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return package, corpus.Document("demo-doc", package, "doc.json", ("oas-3.0",))


def test_a_tarball_with_the_pinned_hash_gives_its_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from bench.conformance.fetch import extract, sha256_of

    package, document = _package(tmp_path, monkeypatch, b'{"openapi": "3.0.3"}')
    pinned = replace(package, sha256=sha256_of(package.tarball))
    extracted = extract(replace(document, package=pinned))
    assert extracted == tmp_path / "documents" / "demo-doc.json"
    assert extracted.read_bytes() == b'{"openapi": "3.0.3"}'


def test_a_tarball_that_is_not_the_pinned_one_is_deleted_and_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.conformance.fetch import FetchError, extract, sha256_of

    package, document = _package(tmp_path, monkeypatch, b"{}")
    actual = sha256_of(package.tarball)
    with pytest.raises(FetchError, match=f"sha256 is {actual}, the manifest pins 0000"):
        extract(document)
    assert not package.tarball.exists()


def test_a_run_whose_only_findings_are_untestable_passes_with_a_note() -> None:
    outcome = Outcome("doc", "mockmind", "error")
    for _ in range(3):
        outcome.add("X", f"200 {NO_FINAL}", None)
    outcome.add("X", UNSATISFIABLE, None)
    outcome.add("X", NO_NOT_FOUND, None)
    outcome.add("X", NO_NOT_FOUND, None)
    outcome.add(
        "X", "a value schemathesis reused from an earlier answer is refused (path.id)", None
    )
    _verdict(outcome, 1, "")
    assert (outcome.verdict, outcome.note) == (
        "pass",
        "1 operation(s) untestable: no request satisfies their schema; "
        "3 answer(s) where the operation documents no final status; "
        "2 read(s) after a DELETE where the read documents no 404; "
        "1 refusal(s) of a value reused from an earlier answer",
    )
    broken = Outcome("doc", "mockmind", "error")
    broken.add("X", "schemathesis error: Network Error", None)
    _verdict(broken, 1, "")
    assert broken.verdict == "error"


def test_a_route_missed_only_because_the_client_removed_a_dot_segment_is_not_held() -> None:
    body = {"status": 404, "detail": "no operation matches POST /label/.name=.description=0"}
    answer = Answer(404, {"content-type": "application/problem+json"}, json.dumps(body))
    removed = Failure("status_code_conformance", "", "", "", "POST /l", answer, dot_segment=True)
    assert classify(removed) == ("X", DOT_SEGMENT)
    kept = Failure("status_code_conformance", "", "", "", "POST /l", answer)
    assert classify(kept) == ("2", "404: no operation matches the path")


def test_an_unparsable_request_is_not_held_only_where_a_framing_header_is_a_parameter() -> None:
    answer = Answer(400, {"content-type": "text/plain; charset=utf-8"}, UNPARSABLE_HTTP)
    framed = Failure(
        "status_code_conformance", "", "", "", "POST /f", answer, framing=("Transfer-Encoding",)
    )
    assert classify(framed) == ("X", f"{FRAMING} (Transfer-Encoding)")
    plain = Failure("status_code_conformance", "", "", "", "POST /f", answer)
    assert classify(plain)[0] == "1"


def test_a_refused_value_is_not_held_when_python_also_finds_it_off_its_pattern() -> None:
    def refusal(value: str, pattern: str) -> Failure:
        error = {"location": "query.q", "message": f"{value!r} does not match {pattern!r}"}
        error["keyword"] = "pattern"
        answer = Answer(400, {"x-mockmind-source": "rule"}, json.dumps({"errors": [error]}))
        return Failure("status_code_conformance", "", "", "", "GET /s", answer)

    assert classify(refusal("", "^(?:{[0-9a-f]{4}}|[0-9a-f]{4})$")) == ("X", OFF_PATTERN)
    # The server refused a value the pattern takes: that is the server's failure.
    assert classify(refusal("ab12", "^[a-z]+[0-9]+$"))[0] == "1"


def test_a_body_under_a_javascript_literal_pattern_is_not_held() -> None:
    message = '"attack" does not match "/^[a-z0-9._]+$/"\n\nSchema at /components/schemas/u'
    answer = Answer(200, {"x-mockmind-source": "offline"}, "{}")
    failure = Failure("response_schema_conformance", "", "", message, "GET /u", answer)
    assert classify(failure) == ("X", JS_LITERAL)


def test_framing_parameters_are_read_through_local_refs(tmp_path: Path) -> None:
    document = {
        "openapi": "3.0.0",
        "components": {"parameters": {"te": {"in": "header", "name": "transfer-encoding"}}},
        "paths": {
            "/f": {
                "parameters": [{"$ref": "#/components/parameters/te"}],
                "post": {"parameters": [{"in": "header", "name": "Content-Length"}]},
                "get": {"parameters": [{"in": "query", "name": "Content-Length"}]},
            }
        },
    }
    location = tmp_path / "doc.json"
    location.write_text(json.dumps(document))
    assert framing_parameters(location) == {
        ("POST", "/f"): ("Content-Length", "Transfer-Encoding"),
        ("GET", "/f"): ("Transfer-Encoding",),
    }


def test_an_empty_204_the_document_gives_a_body_is_not_held() -> None:
    message = "Response must be valid JSON with 'Content-Type: application/json' header:"
    empty = Answer(204, {"content-type": "application/json"}, "")
    failure = Failure("response_schema_conformance", "", "", message, "GET /feeds", empty)
    assert classify(failure) == ("X", NO_CONTENT)
    filled = Answer(200, {"content-type": "application/json"}, "")
    assert (
        classify(Failure("response_schema_conformance", "", "", message, "GET /f", filled))[0]
        == "5"
    )


def test_the_hooks_give_schemathesis_serializers_for_cbor_and_misspelt_multipart() -> None:
    import importlib

    from schemathesis.transport.requests import REQUESTS_TRANSPORT

    importlib.import_module("bench.conformance.schemathesis_hooks")
    found = REQUESTS_TRANSPORT.get_first_matching_media_type("application/cbor")
    assert found is not None
    assert found[1](None, b"\xa1\x01\x02") == {"data": b"\xa1\x01\x02"}
    found = REQUESTS_TRANSPORT.get_first_matching_media_type("multipart/data")
    assert found is not None
    ctx: Any = SimpleNamespace(case=SimpleNamespace(media_type="multipart/data"))
    assert found[1](ctx, b"--B--\r\n") == {
        "data": b"--B--\r\n",
        "headers": {"Content-Type": "multipart/data"},
    }


def test_broken_links_alone_leave_a_run_conformant_with_a_note() -> None:
    outcome = Outcome("listennotes", "mockmind", "error")
    outcome.add("X", BROKEN_LINKS, None)
    _verdict(outcome, 1, "1 error")
    assert outcome.verdict == "pass"
    assert outcome.note == "links naming parameters their target lacks: no stateful phase"


def test_failing_by_class_counts_only_failing_documents() -> None:
    corpus = load()
    first, second, third = corpus.documents[:3]
    noted = Outcome(first.name, "mockmind", "pass")
    noted.add("X", UNSATISFIABLE, None)
    failed = Outcome(second.name, "mockmind", "fail")
    failed.add("1", "422 query.a: refused", None)
    failed.add("X", "schemathesis error: Network Error", None)
    clean = Outcome(third.name, "mockmind", "pass")
    outcomes = {("mockmind", o.document): o for o in (noted, failed, clean)}
    notes = section(corpus, outcomes, 1.0).notes
    assert notes[:2] == [
        "mockmind, documents failing by class: 1 (valid request refused): 1, "
        "X (not tested (harness)): 1.",
        "mockmind, conformant documents with a note, by class: X (not tested (harness)): 1.",
    ]
