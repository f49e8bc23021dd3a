from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from mockmind.domain.errors import ConfigError
from mockmind.openapi import OpenAPIDocument, UnresolvableRef
from mockmind.openapi.document import _join

from .conftest import COMMON, PETSTORE


def test_local_pointer(petstore: OpenAPIDocument) -> None:
    pet = petstore.resolve("#/components/schemas/Pet")
    assert pet["required"] == ["id", "name"]
    assert petstore.schema_at("#/components/schemas/Pet") is pet
    assert petstore.resolve("/components/schemas/Pet") is pet  # a bare JSON pointer too


def test_escaped_segments(petstore: OpenAPIDocument) -> None:
    assert petstore.resolve("#/components/schemas/Weird~0Name~1Slash")["enum"] == ["escaped"]
    assert "get" in petstore.resolve("#/paths/~1pets~1%7BpetId%7D")


def test_resolve_returns_the_documents_own_node(petstore: OpenAPIDocument) -> None:
    assert (
        petstore.resolve("#/components/schemas/Node")
        is petstore.raw["components"]["schemas"]["Node"]
    )


def test_external_file_is_loaded_once_and_cached(petstore: OpenAPIDocument) -> None:
    first = petstore.resolve("common.yaml#/components/schemas/Error")
    again = petstore.resolve(COMMON.as_uri() + "#/components/schemas/Error")
    assert first is again
    assert first["required"] == ["code", "message"]


def test_refs_inside_an_external_file_resolve_relative_to_it(petstore: OpenAPIDocument) -> None:
    error = petstore.resolve_ref("#/components/schemas/Remote")
    item_ref = error["properties"]["details"]["items"]["$ref"]
    assert item_ref == COMMON.as_uri() + "#/components/schemas/Detail"
    # A generator holding only that string gets the right schema back.
    assert petstore.resolve_ref(item_ref)["required"] == ["field"]


def test_deref_follows_chains(petstore: OpenAPIDocument) -> None:
    alias = petstore.resolve("#/components/schemas/Alias")
    assert alias == {"$ref": "#/components/schemas/Pet"}
    assert petstore.deref(alias) is petstore.resolve("#/components/schemas/Pet")
    assert petstore.deref({"type": "string"}) == {"type": "string"}


def test_resolve_ref_for_generators(petstore: OpenAPIDocument) -> None:
    pet = petstore.resolve_ref("#/components/schemas/Alias")
    assert isinstance(pet, Mapping)
    assert "name" in pet["properties"]


def test_circular_schema_is_returned_without_inlining(petstore: OpenAPIDocument) -> None:
    node = petstore.resolve_ref("#/components/schemas/Node")
    items = node["properties"]["children"]["items"]
    assert items == {"$ref": "#/components/schemas/Node"}
    assert petstore.resolve_ref(items["$ref"]) is node


def test_circular_ref_chain_is_an_error_not_a_hang(petstore: OpenAPIDocument) -> None:
    with pytest.raises(UnresolvableRef) as exc:
        petstore.resolve_ref("#/components/schemas/LoopA")
    assert "circular" in str(exc.value)
    assert isinstance(exc.value, ConfigError)
    assert isinstance(exc.value, LookupError)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("#/components/schemas/Nope", "nothing at 'Nope'"),
        ("#/components/schemas/Missing", "file not found"),
        ("https://example.com/x.yaml#/a", "only local files"),
        ("#anchor", "only JSON-pointer fragments"),
    ],
)
def test_unresolvable_refs(petstore: OpenAPIDocument, ref: str, expected: str) -> None:
    with pytest.raises(UnresolvableRef) as exc:
        petstore.resolve_ref(ref)
    assert expected in str(exc.value)


def test_resolve_ref_of_boolean_schemas(tmp_path: Path) -> None:
    spec = tmp_path / "b.yaml"
    spec.write_text(
        "openapi: 3.1.0\npaths: {}\ncomponents:\n  schemas:\n    Yes: true\n    No: false\n"
    )
    doc = OpenAPIDocument.load(spec)
    assert doc.resolve_ref("#/components/schemas/Yes") == {}
    assert doc.resolve_ref("#/components/schemas/No") == {"not": {}}


def test_external_refs_in_other_directories(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "types.yaml").write_text(
        "Money:\n  type: object\n  properties:\n    currency: {$ref: '#/Currency'}\n"
        "Currency:\n  type: string\n  enum: [EUR, USD]\n"
    )
    spec = tmp_path / "api.yaml"
    spec.write_text(
        "openapi: 3.0.0\npaths: {}\ncomponents:\n  schemas:\n"
        "    Price: {$ref: 'shared/types.yaml#/Money'}\n"
    )
    doc = OpenAPIDocument.load(spec)
    money = doc.resolve_ref("#/components/schemas/Price")
    assert doc.resolve_ref(money["properties"]["currency"]["$ref"])["enum"] == ["EUR", "USD"]
    validator = doc.validator("#/components/schemas/Price")
    assert validator.is_valid({"currency": "EUR"})
    assert not validator.is_valid({"currency": "GBP"})


def test_broken_external_file_names_the_ref(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("a: [\n")
    spec = tmp_path / "api.yaml"
    spec.write_text("openapi: 3.0.0\npaths: {}\n")
    doc = OpenAPIDocument.load(spec)
    with pytest.raises(UnresolvableRef) as exc:
        doc.resolve("bad.yaml#/a")
    assert "invalid YAML" in str(exc.value)


def test_loading_does_not_touch_external_files(tmp_path: Path) -> None:
    spec = tmp_path / "api.yaml"
    spec.write_text(
        "openapi: 3.0.0\npaths: {}\ncomponents:\n  schemas:\n    Gone: {$ref: 'missing.yaml#/X'}\n"
    )
    doc: Any = OpenAPIDocument.load(spec)  # lazily: no error until someone follows the ref
    with pytest.raises(UnresolvableRef):
        doc.resolve_ref("#/components/schemas/Gone")


def test_document_uri_is_the_files(petstore: OpenAPIDocument) -> None:
    assert petstore.uri == PETSTORE.as_uri()
    assert petstore.public(PETSTORE.as_uri() + "#/a") == "#/a"
    assert petstore.public(COMMON.as_uri() + "#/a") == COMMON.as_uri() + "#/a"


@pytest.mark.parametrize(
    ("base", "ref"),
    [
        ("file:///a/api.json", "#/components/schemas/Pet"),
        ("file:///a/api.json#/paths/~1pets/get", "#/components/schemas/Pet"),
        ("file:///a/b%20c.json#/x", "#/y~1z"),
        ("file:///a/api.json#/x", "#"),
        ("file:///a/api.json#/x", "#anchor"),
        ("file:///a/api.json#/x", "common.yaml#/Pet"),
        ("file:///a/api.json#/x", "../b/common.yaml"),
    ],
)
def test_joining_a_reference_is_urljoin(base: str, ref: str) -> None:
    assert _join(base, ref) == urljoin(base, ref)
