"""Generated values validate against polymorphic and recursive schemas (issue 15, class 5):
``oneOf`` values accepted by exactly one branch, open objects made exclusive, a union no object
can satisfy answered with null where allowed, and recursive nodes."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mockmind.domain.generation import OfflineGenerator

_TYPES = ("string", "integer", "boolean", "number")


def _valid(schema: dict[str, Any], value: Any) -> bool:
    return Draft202012Validator(schema).is_valid(value)


def test_open_branches_that_accept_each_others_values_are_told_apart() -> None:
    # listennotes's PlaylistItem.data: four open objects; the audio one's fields are a subset
    # of the episode's, so an audio value is an episode too unless an episode field breaks it.
    episode = {
        "type": "object",
        "properties": {
            "audio": {"type": "string"},
            "title": {"type": "string"},
            "podcast": {"type": "object"},
        },
    }
    audio = {"type": "object", "properties": {"audio": {"type": "string"}}}
    deleted = {"type": "object", "properties": {"status": {"type": "string"}}}
    schema = {"oneOf": [episode, audio, deleted]}
    generator = OfflineGenerator()
    for n in range(40):
        value = generator.generate(schema, seed=f"s{n}")
        assert isinstance(value, dict)
        accepted = [b for b in schema["oneOf"] if _valid(b, value)]
        assert len(accepted) == 1, value


def test_a_nullable_union_no_object_satisfies_is_null() -> None:
    # complex-nesting-3.0's metadata: the same object schema twice, so no object is valid
    # under exactly one; null (nullable) is the one value there is.
    flat = {"type": "object", "properties": {"a": {"type": "string"}}}
    schema = {"nullable": True, "oneOf": [flat, flat]}
    assert OfflineGenerator().generate(schema, seed="x") is None
    # An object that only the free-form branch accepts ({"a": <not a string>}) is found.
    value = OfflineGenerator().generate({"oneOf": [{"type": "object"}, flat, flat]}, seed="x")
    assert isinstance(value, dict)
    assert not _valid(flat, value)


def test_a_satisfiable_branch_is_found_past_the_fourth() -> None:
    objects = {"type": "array", "items": {"type": "object"}}
    schema = {
        "oneOf": [
            objects,
            {"type": "array", "items": {"type": "object", "properties": {"a": {}}}},
            {"type": "object"},
            {"type": "object", "properties": {"b": {}}},
            {"type": "string"},
        ]
    }
    generator = OfflineGenerator()
    for n in range(20):
        value = generator.generate(schema, seed=f"s{n}")
        assert sum(_valid(b, value) for b in schema["oneOf"]) == 1


@st.composite
def _unions(draw: st.DrawFn) -> dict[str, Any]:
    """A oneOf of open objects, each declaring one property of its own (so the union is
    satisfiable) beside shared ones of random types; sometimes inside a property."""
    shared = draw(st.lists(st.sampled_from(["id", "name", "size", "flag"]), unique=True))
    branches = []
    for index in range(draw(st.integers(2, 4))):
        props = {key: {"type": draw(st.sampled_from(_TYPES))} for key in shared}
        own = draw(st.sampled_from(_TYPES))
        props[f"own{index}"] = {"type": own}
        required = draw(st.sampled_from([[], [f"own{index}"]]))
        branches.append({"type": "object", "properties": props, "required": required})
    union: dict[str, Any] = {"oneOf": branches}
    if draw(st.booleans()):
        return {"type": "object", "required": ["data"], "properties": {"data": union}}
    return union


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_unions(), st.text(max_size=4))
def test_every_generated_value_of_a_satisfiable_union_validates(
    schema: dict[str, Any], seed: str
) -> None:
    value = OfflineGenerator().generate(schema, seed=seed)
    assert _valid(schema, value), value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_unions(), st.text(max_size=4))
def test_a_map_whose_values_are_polymorphic_objects_validates(
    union: dict[str, Any], seed: str
) -> None:
    schema = {"type": "object", "additionalProperties": union}
    value = OfflineGenerator().generate(schema, seed=seed)
    assert value, "the map was left empty: its values were never generated"
    assert _valid(schema, value), value


def test_a_map_of_discriminated_objects_tags_each_value_with_its_branch() -> None:
    cat = {
        "type": "object",
        "required": ["kind", "lives"],
        "properties": {"kind": {"type": "string"}, "lives": {"type": "integer", "maximum": 9}},
    }
    dog = {
        "type": "object",
        "required": ["kind", "barks"],
        "properties": {"kind": {"type": "string"}, "barks": {"type": "boolean"}},
    }
    pets = {
        "oneOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}],
        "discriminator": {"propertyName": "kind"},
    }
    schema = {"$defs": {"Cat": cat, "Dog": dog}, "type": "object", "additionalProperties": pets}
    for n in range(20):
        value = OfflineGenerator().generate(schema, seed=f"m{n}")
        assert value
        assert _valid(schema, value), value
        for pet in value.values():
            assert pet["kind"] == ("Cat" if "lives" in pet else "Dog"), pet


TREE = {
    "$defs": {
        "Node": {
            "type": "object",
            "required": ["name", "children"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                "link": {"oneOf": [{"$ref": "#/$defs/Node"}, {"type": "string"}]},
            },
            "additionalProperties": False,
        }
    },
    "$ref": "#/$defs/Node",
}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=6), st.integers(0, 6))
def test_every_generated_recursive_value_validates(seed: str, depth: int) -> None:
    value = OfflineGenerator(max_depth=depth).generate(TREE, seed=seed)
    assert _valid(TREE, value), value


def test_repair_keeps_what_fits_a_recursive_schema() -> None:
    broken = {"name": "root", "children": [{"name": 5, "children": "x"}], "extra": 1}
    repaired = OfflineGenerator().repair(TREE, broken, seed="r")
    assert _valid(TREE, repaired)
    assert repaired["name"] == "root"
    assert "extra" not in repaired
    assert len(repaired["children"]) == 1
    assert isinstance(repaired["children"][0]["name"], str)


PAYMENT = {
    "type": "object",
    "properties": {
        "amount": {"type": "number"},
        "secret": {"type": "string", "writeOnly": True},
        "source": {
            "unevaluatedProperties": False,
            "anyOf": [
                {
                    "title": "Card",
                    "properties": {
                        "name": {"type": "string"},
                        "cvc": {"type": "integer", "writeOnly": True},
                    },
                    "required": ["name", "cvc"],
                },
                {"title": "Bank", "properties": {"iban": {"type": "string"}}},
            ],
        },
    },
    "required": ["amount", "secret"],
}


def test_repair_drops_write_only_properties_required_or_under_a_branch() -> None:
    # train-travel-3.1's payment example: a card's write-only cvc inside an anyOf.
    shown = {"amount": 1.5, "secret": "s", "source": {"name": "J. Doe", "cvc": 123}}
    repaired = OfflineGenerator().repair(PAYMENT, shown, seed="r")
    assert repaired == {"amount": 1.5, "source": {"name": "J. Doe"}}


def test_repair_for_a_request_keeps_write_only_properties() -> None:
    shown = {"amount": 1.5, "secret": "s", "source": {"name": "J. Doe", "cvc": 123}}
    assert OfflineGenerator().repair(PAYMENT, shown, seed="r", direction="request") == shown
