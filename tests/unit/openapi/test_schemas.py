from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockmind.openapi import OpenAPIDocument


def messages(doc: OpenAPIDocument, schema: Any, value: Any, context: Any = None) -> list[str]:
    return [e.message for e in doc.validator(schema, context=context).iter_errors(value)]


PET = "#/components/schemas/Pet"


# -- OpenAPI 3.0 ---------------------------------------------------------------------------


def test_nullable_allows_null(petstore: OpenAPIDocument) -> None:
    assert messages(petstore, PET, {"id": 1, "name": "Rex", "tag": None}) == []
    assert messages(petstore, PET, {"id": 1, "name": None}) == ["None is not of type 'string'"]


def test_nullable_enum_allows_null(petstore: OpenAPIDocument) -> None:
    assert messages(petstore, PET, {"id": 1, "name": "R", "status": None}) == []
    assert messages(petstore, PET, {"id": 1, "name": "R", "status": "lost"}) == [
        "'lost' is not one of ['available', 'sold']"
    ]


def test_nullable_with_composition(petstore: OpenAPIDocument) -> None:
    schema = {"nullable": True, "oneOf": [{"type": "string"}, {"type": "integer"}]}
    assert messages(petstore, schema, None) == []
    assert messages(petstore, {"oneOf": [{"type": "string"}]}, None) != []


def test_boolean_exclusive_minimum(petstore: OpenAPIDocument) -> None:
    assert messages(petstore, PET, {"id": 1, "name": "R", "weight": 0}) == [
        "0 is less than or equal to the minimum of 0"
    ]
    assert messages(petstore, PET, {"id": 1, "name": "R", "weight": 0.1}) == []


def test_openapi_keywords_are_ignored(petstore: OpenAPIDocument) -> None:
    schema = {
        "type": "object",
        "xml": {"name": "x"},
        "example": {"a": 1},
        "externalDocs": {"url": "https://x"},
        "properties": {"a": {"type": "integer", "readOnly": True, "deprecated": True}},
    }
    assert messages(petstore, schema, {"a": 1}) == []


def test_ref_siblings_are_ignored_in_30(petstore: OpenAPIDocument) -> None:
    schema = {"$ref": "#/components/schemas/Circle", "maxProperties": 0}
    assert messages(petstore, schema, {"kind": "circle", "radius": 1}) == []


def test_integer_accepts_integral_floats(petstore: OpenAPIDocument) -> None:
    assert messages(petstore, {"type": "integer"}, 1.0) == []


@pytest.mark.parametrize(
    ("schema", "good", "bad"),
    [
        ({"type": "integer", "format": "int32"}, 2**31 - 1, 2**31),
        ({"type": "integer", "format": "int64"}, 2**63 - 1, 2**63),
        ({"type": "string", "format": "uuid"}, "3fa85f64-5717-4562-b3fc-2c963f66afa6", "nope"),
        ({"type": "string", "format": "date"}, "2024-02-29", "2023-02-29"),
        ({"type": "string", "format": "date-time"}, "2024-01-01T10:00:00Z", "yesterday"),
        ({"type": "string", "format": "byte"}, "aGVsbG8=", "not base64!"),
        ({"type": "string", "format": "email"}, "a@b.example", "no-at-sign"),
        ({"type": "string", "format": "ipv4"}, "10.0.0.1", "10.0.0.300"),
    ],
)
def test_formats(petstore: OpenAPIDocument, schema: Any, good: Any, bad: Any) -> None:
    assert messages(petstore, schema, good) == []
    assert messages(petstore, schema, bad) != []


def test_openapi_only_formats_do_not_fail(petstore: OpenAPIDocument) -> None:
    for name in ("binary", "password", "float", "double", "made-up"):
        assert messages(petstore, {"format": name}, "anything") == []


def test_discriminator_mapping_picks_the_branch(petstore: OpenAPIDocument) -> None:
    shape = "#/components/schemas/Shape"
    assert messages(petstore, shape, {"kind": "circle", "radius": 2}) == []
    assert messages(petstore, shape, {"kind": "square", "side": 2}) == []
    assert messages(petstore, shape, {"kind": "square", "radius": 2}) == [
        "'side' is a required property"
    ]
    # Without the property the branches decide: both require ``kind`` here.
    assert messages(petstore, shape, {"radius": 2}) == [
        "{'radius': 2} is not valid under any of the given schemas"
    ]


def test_discriminator_without_mapping_uses_schema_names(petstore: OpenAPIDocument) -> None:
    animal = "#/components/schemas/AnyAnimal"
    assert messages(petstore, animal, {"petType": "Cat", "name": "T", "huntingSkill": "lazy"}) == []
    # Matches Cat's shape, but says it is a Dog: only the Dog branch is checked.
    assert messages(petstore, animal, {"petType": "Dog", "name": "T", "huntingSkill": "lazy"}) == [
        "'packSize' is a required property"
    ]
    (unknown,) = messages(petstore, animal, {"petType": "Cow", "name": "T"})
    assert "expected one of ['Cat', 'Dog']" in unknown


def test_discriminator_over_inline_branches_is_plain_one_of(petstore: OpenAPIDocument) -> None:
    schema = {
        "oneOf": [{"type": "object", "required": ["a"]}, {"type": "object", "required": ["b"]}],
        "discriminator": {"propertyName": "kind"},
    }
    assert messages(petstore, schema, {"kind": "x", "a": 1}) == []
    assert len(messages(petstore, schema, {"kind": "x"})) == 1


def test_discriminator_only_applies_to_objects(petstore: OpenAPIDocument) -> None:
    assert messages(petstore, "#/components/schemas/Shape", "circle") != []


def test_read_only_is_not_required_in_requests(petstore: OpenAPIDocument) -> None:
    value = {"name": "Rex"}
    assert messages(petstore, PET, value, context="request") == []
    assert messages(petstore, PET, value, context="response") == ["'id' is a required property"]
    assert messages(petstore, PET, value) == ["'id' is a required property"]


def test_write_only_is_not_required_in_responses(petstore: OpenAPIDocument) -> None:
    new_pet = "#/components/schemas/NewPet"
    value = {"id": 1, "name": "Rex"}
    assert messages(petstore, new_pet, value, context="response") == []
    assert messages(petstore, new_pet, value, context="request") == [
        "'secret' is a required property"
    ]


def test_circular_schema_validates_deep_trees(petstore: OpenAPIDocument) -> None:
    tree: dict[str, Any] = {"name": "leaf"}
    for depth in range(30):
        tree = {"name": f"n{depth}", "children": [tree, {"name": "x"}]}
    assert messages(petstore, "#/components/schemas/Node", tree) == []
    tree["children"].append({"children": []})
    assert messages(petstore, "#/components/schemas/Node", tree) == [
        "'name' is a required property"
    ]


def test_external_refs_in_validation(petstore: OpenAPIDocument) -> None:
    remote = "#/components/schemas/Remote"
    assert (
        messages(petstore, remote, {"code": 1, "message": "m", "details": [{"field": "a"}]}) == []
    )
    assert messages(petstore, remote, {"code": 1, "message": "m", "details": [{}]}) == [
        "'field' is a required property"
    ]


def test_validators_are_cached(petstore: OpenAPIDocument) -> None:
    assert petstore.validator(PET) is petstore.validator(PET)
    assert petstore.validator(PET, "request") is not petstore.validator(PET)
    schema = {"type": "array", "items": {"$ref": PET}}
    assert petstore.validator(schema) is petstore.validator(schema)


def test_document_nodes_validate_in_place(petstore: OpenAPIDocument) -> None:
    # A schema node taken from an external file keeps resolving against that file.
    media = petstore.operation("/pets/{petId}", "GET").responses["404"].content["application/json"]
    assert messages(petstore, media.schema, {"code": 1}) == ["'message' is a required property"]


def test_ad_hoc_schemas_resolve_against_the_document(petstore: OpenAPIDocument) -> None:
    schema = {"type": "array", "items": {"$ref": PET}}
    assert messages(petstore, schema, [{"id": 1, "name": "a"}]) == []
    assert messages(petstore, schema, [{"id": 1}]) == ["'name' is a required property"]
    local = {"definitions": {"X": {"type": "integer"}}, "items": {"$ref": "#/definitions/X"}}
    assert messages(petstore, local, ["a"]) == ["'a' is not of type 'integer'"]


def test_schema_at_and_validator_agree(petstore: OpenAPIDocument) -> None:
    node = petstore.schema_at("#/components/schemas/Circle")
    assert petstore.validator(node) is petstore.validator("#/components/schemas/Circle")


# -- OpenAPI 3.1 ---------------------------------------------------------------------------

THING = "#/components/schemas/Thing"


def test_31_type_arrays_const_prefix_items_and_defs(things: OpenAPIDocument) -> None:
    good = {"kind": "thing", "name": None, "point": [1, 2.5], "size": "L", "ratio": 0.1}
    assert messages(things, THING, good) == []
    bad = {"kind": "thing!", "name": 1, "point": [1, "x", 3], "size": "XL", "ratio": 0}
    assert messages(things, THING, bad) == [
        "'thing' was expected",
        "1 is not of type 'string', 'null'",
        "'x' is not of type 'number'",
        "Expected at most 2 items but found 1 extra: 3",
        "'XL' is not one of ['S', 'M', 'L']",
        "0 is less than or equal to the minimum of 0",
    ]


def test_31_nullable_keyword_admits_null_as_in_30(things: OpenAPIDocument) -> None:
    # 3.1 dropped the keyword, but documents carried over keep it and mean it (issue 15, 1g).
    assert messages(things, {"type": "string", "nullable": True}, None) == []
    assert messages(things, {"type": "string", "nullable": True}, 1) == [
        "1 is not of type 'string'"
    ]
    assert messages(things, {"type": "string"}, None) == ["None is not of type 'string'"]


def test_31_ref_siblings_apply(things: OpenAPIDocument) -> None:
    schema = {"$ref": THING + "/$defs/Size", "enum": ["S"]}
    assert messages(things, schema, "M") == ["'M' is not one of ['S']"]


def test_json_schema_dialect_is_honoured(tmp_path: Path) -> None:
    spec = tmp_path / "d7.yaml"
    spec.write_text(
        "openapi: 3.1.0\n"
        "jsonSchemaDialect: http://json-schema.org/draft-07/schema#\n"
        "paths: {}\n"
        "components:\n  schemas:\n"
        "    A: {type: object, dependencies: {card: [billing]}}\n"
    )
    doc = OpenAPIDocument.load(spec)
    # ``dependencies`` is a Draft 7 keyword; Draft 2020-12 would ignore it.
    assert messages(doc, "#/components/schemas/A", {"card": 1}) == [
        "'billing' is a dependency of 'card'"
    ]
