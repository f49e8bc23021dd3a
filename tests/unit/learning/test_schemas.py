from __future__ import annotations

from mockmind.learning.schemas import infer_schema, string_facts


def test_merged_types_required_and_nullable() -> None:
    schema = infer_schema(
        [
            {"id": "a", "n": 1, "note": None, "tags": ["x"]},
            {"id": "b", "n": 2.5, "note": "hi", "extra": True, "tags": []},
        ]
    )
    assert schema == {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "n": {"type": "number"},
            "note": {"type": ["null", "string"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "extra": {"type": "boolean"},
        },
        "required": ["id", "n", "note", "tags"],
    }


def test_formats_when_every_value_has_one() -> None:
    sample = {
        "at": "2026-12-03T07:00:00Z",
        "day": "2026-12-03",
        "mail": "ada@example.com",
        "ref": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
        "site": "https://example.com/a?b=c",
        "mixed": "2026-12-03",
    }
    other = {**sample, "mixed": "tomorrow"}
    properties = infer_schema([sample, other])["properties"]
    assert {k: v.get("format") for k, v in properties.items()} == {
        "at": "date-time",
        "day": "date",
        "mail": "email",
        "ref": "uuid",
        "site": "uri",
        "mixed": None,
    }


def test_enums_for_few_word_like_values_seen_often() -> None:
    statuses = [{"status": s} for s in ("placed", "paid", "placed", "shipped", "paid", "paid")]
    assert infer_schema(statuses)["properties"]["status"] == {
        "type": "string",
        "enum": ["paid", "placed", "shipped"],
    }
    # Each value seen once: nothing says the values are few.
    assert string_facts(["a", "b", "c", "d"]).enum is None
    # Free text and numbered values are not states.
    assert string_facts(["hello world"] * 4).enum is None
    assert string_facts(["v1", "v1", "v2", "v2"]).enum is None
    nullable = infer_schema([{"c": "EUR"}, {"c": "EUR"}, {"c": None}, {"c": "USD"}, {"c": "EUR"}])
    assert nullable["properties"]["c"] == {"type": ["null", "string"], "enum": ["EUR", "USD", None]}


def test_masked_values_get_no_format_nor_enum() -> None:
    assert string_facts(["***", "***", "***", "***"]).enum is None
    assert string_facts(["2026-12-03", "***"]).format is None
    assert infer_schema([]) == {}
