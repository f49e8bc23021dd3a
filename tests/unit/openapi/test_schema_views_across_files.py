"""A parameter's or form field's schema in another file: the references inside its items,
prefixItems, properties and additionalProperties resolve against that file (openapi/parameters.py,
SchemaView)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockmind.openapi import OpenAPIDocument

from .conftest import check

LIBRARY = {
    "Id": {"type": "integer"},
    "Ids": {"type": "array", "items": {"$ref": "#/Id"}},
    "Pair": {"type": "array", "prefixItems": [{"$ref": "#/Id"}, {"type": "string"}]},
    "Form": {
        "type": "object",
        "properties": {"n": {"$ref": "#/Id"}},
        "additionalProperties": {"$ref": "#/Id"},
    },
}


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> OpenAPIDocument:
    folder = Path(tmp_path_factory.mktemp("split"))
    (folder / "lib.json").write_text(json.dumps(LIBRARY))

    def query(name: str, ref: str) -> dict[str, object]:
        return {"name": name, "in": "query", "schema": {"$ref": f"lib.json#/{ref}"}}

    spec = {
        "openapi": "3.1.0",
        "info": {"title": "split", "version": "1"},
        "paths": {
            "/things": {
                "post": {
                    "parameters": [query("ids", "Ids"), query("pair", "Pair")],
                    "requestBody": {
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {"$ref": "lib.json#/Form"}
                            }
                        }
                    },
                    "responses": {"204": {"description": "ok"}},
                }
            }
        },
    }
    (folder / "main.json").write_text(json.dumps(spec))
    return OpenAPIDocument.load(folder / "main.json")


def test_references_below_a_schema_resolve_in_its_own_file(split: OpenAPIDocument) -> None:
    checked = check(
        split,
        "POST",
        "/things",
        query={"ids": ["1", "2"], "pair": ["3", "x"]},
        body=b"n=4&extra=5",
        content_type="application/x-www-form-urlencoded",
    )
    assert checked.query == {"ids": [1, 2], "pair": [3, "x"]}
    assert checked.body == {"n": 4, "extra": 5}
