"""The units of domain/generation on their own; test_generator.py covers them through generate."""

from __future__ import annotations

import re
from fractions import Fraction
from random import Random
from typing import Any

import pytest

from mockmind.domain.generation import FlatMemo, OfflineGenerator, version
from mockmind.domain.generation.context import GenerationContext
from mockmind.domain.generation.draws import Draws
from mockmind.domain.generation.faker_pools import FakerPools
from mockmind.domain.generation.flattening import flatten
from mockmind.domain.generation.hints import field_hint, is_person, owner_of
from mockmind.domain.generation.number_planning import pick_number
from mockmind.domain.generation.strings import TextMaker
from mockmind.domain.generation.validation import is_valid
from mockmind.openapi.formats import FORMAT_CHECKER

PRODUCT = {
    "type": "object",
    "required": ["id", "price"],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "price": {"type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.01},
        "tags": {"type": "array", "items": {"enum": ["new", "sale"]}},
    },
}


def _no_refs(ref: str) -> Any:
    raise AssertionError(f"unexpected $ref {ref}")


# -- draws and immutable roots ----------------------------------------------------------------


def test_draws_follow_the_seed_and_the_path_alone() -> None:
    def draws(seed: str, path: str) -> list[int]:
        made = GenerationContext(None, True, "response", seed).draws(path)
        # Past the first block too: 40 draws of 64 bits are five blocks.
        return [made.getrandbits(64) for _ in range(40)]

    assert draws("s", "/a") == draws("s", "/a")
    assert len({tuple(draws(seed, path)) for seed in ("s", "t") for path in ("/a", "/b")}) == 4
    assert all(0 <= draws("s", "/a")[i] < 2**64 for i in range(40))


def test_draws_keep_to_the_ranges_asked() -> None:
    rng = Draws(bytes(range(64)))
    assert {rng.randrange(3) for _ in range(200)} == {0, 1, 2}
    assert {rng.randint(-2, 2) for _ in range(200)} == {-2, -1, 0, 1, 2}
    assert {rng.randrange(10, 0, -5) for _ in range(100)} == {10, 5}
    assert all(0.0 <= rng.random() < 1.0 for _ in range(100))
    shuffled = list(range(10))
    rng.shuffle(shuffled)
    assert sorted(shuffled) == list(range(10))
    with pytest.raises(ValueError, match="empty range"):
        rng.randrange(0)
    with pytest.raises(IndexError):
        rng.choice([])


@pytest.mark.parametrize(
    "schema",
    [
        PRODUCT,
        {"oneOf": [{"type": "integer", "minimum": 3}, {"type": "string", "minLength": 2}]},
        {"$ref": "#/$defs/Id", "$defs": {"Id": {"type": "integer", "maximum": -4}}},
    ],
)
def test_an_immutable_root_is_generated_as_any_other(schema: dict[str, Any]) -> None:
    generator = OfflineGenerator()
    for seed in ("a", "b", "c"):
        first = generator.generate(schema, seed=seed, immutable=True)
        assert generator.generate(schema, seed=seed, immutable=True) == first
        assert OfflineGenerator().generate(schema, seed=seed) == first


def test_enum_members_another_keyword_rules_out_stay_out_on_every_call() -> None:
    # The verdicts on a shared flat's members are kept; the refs they depend on are checked.
    components: dict[str, Any] = {"Short": {"maxLength": 3}}
    schema = {"type": "string", "enum": ["ab", "abcdef"], "$ref": "#/components/schemas/Short"}
    generator = OfflineGenerator(lambda ref: components[ref.rsplit("/", 1)[-1]])
    wanted = {"ab"}
    assert {generator.generate(schema, seed=str(n)) for n in range(12)} == wanted
    assert {generator.generate(schema, seed=str(n)) for n in range(12)} == wanted
    components["Short"] = {"minLength": 4}
    assert {generator.generate(schema, seed=str(n)) for n in range(12)} == {"abcdef"}


# -- the flat memo, handed to the generator --------------------------------------------------


def test_a_generator_fills_the_memo_it_is_given() -> None:
    memo = FlatMemo()
    generator = OfflineGenerator(flat_memo=memo)
    value = generator.generate(PRODUCT, seed="s")
    assert len(memo) > 0
    assert value == OfflineGenerator().generate(PRODUCT, seed="s")


def test_generators_sharing_a_memo_each_follow_their_own_resolver() -> None:
    memo = FlatMemo()
    ref = {"$ref": "#/components/schemas/Thing"}
    as_text = OfflineGenerator(lambda r: {"type": "string", "minLength": 3}, flat_memo=memo)
    as_number = OfflineGenerator(lambda r: {"type": "integer", "minimum": 7}, flat_memo=memo)
    for seed in ("a", "b", "c"):
        assert isinstance(as_text.generate(ref, seed=seed), str)
        number = as_number.generate(ref, seed=seed)
        assert isinstance(number, int)
        assert number >= 7


def test_the_memo_keeps_at_most_its_size() -> None:
    memo = FlatMemo(size=2)
    generator = OfflineGenerator(flat_memo=memo)
    for low in range(6):
        generator.generate({"type": "integer", "minimum": low}, seed="x")
    assert len(memo) <= 2


def test_the_memo_shares_plain_flats_and_rebuilds_those_with_choices() -> None:
    memo = FlatMemo()
    plain = {"type": "string", "maxLength": 4}
    assert memo.flatten(plain, _no_refs) is memo.flatten(dict(plain), _no_refs)
    union = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    assert memo.flatten(union, _no_refs) is not memo.flatten(union, _no_refs)


def test_the_memo_rereads_refs_whose_targets_changed() -> None:
    memo = FlatMemo()
    target: dict[str, Any] = {"type": "integer", "maximum": 10}
    ref = {"$ref": "#/components/schemas/N"}
    assert memo.flatten(ref, lambda r: target).high == 10
    target["maximum"] = 3  # the document changed under the memo
    assert memo.flatten(ref, lambda r: target).high == 3


# -- flattening, numbers, strings, hints -------------------------------------------------------


def test_flatten_intersects_all_of_and_queues_one_of() -> None:
    schema = {
        "allOf": [
            {"type": "number", "minimum": 2, "maximum": 50},
            {"$ref": "#/b"},
        ],
        "oneOf": [{"multipleOf": 2}, {"multipleOf": 3}],
    }
    flat = flatten(lambda ref: {"type": "integer", "maximum": 9}, schema)
    assert flat.types == ("integer",)
    assert (flat.low, flat.high) == (Fraction(2), Fraction(9))
    assert [keyword for keyword, _, _ in flat.choices] == ["oneOf"]


def test_pick_number_stays_on_the_grid_inside_the_bounds() -> None:
    flat = flatten(_no_refs, {"type": "number", "minimum": 1, "maximum": 2, "multipleOf": 0.25})
    for seed in range(20):
        value = pick_number(flat, Random(seed), "price", integer=False, excluded=lambda v: False)
        assert 1 <= value <= 2
        assert Fraction(value) % Fraction(1, 4) == 0


def test_text_maker_fits_length_and_pattern() -> None:
    texts = TextMaker(FakerPools("en_US"))
    flat = flatten(_no_refs, {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{2}$"})
    for seed in range(10):
        text = texts.text(flat, Random(seed), None, lambda v: False)
        assert re.fullmatch(r"[A-Z]{3}-[0-9]{2}", text)
    short = flatten(_no_refs, {"type": "string", "minLength": 2, "maxLength": 5})
    assert all(
        2 <= len(texts.text(short, Random(seed), "description", lambda v: False)) <= 5
        for seed in range(10)
    )


def test_text_maker_puts_an_unanchored_match_after_a_formatted_value() -> None:
    texts = TextMaker(FakerPools("en_US"))
    # Peertube's VideoImport.magnetUri: no match of the pattern is a URI by itself.
    pattern = "/magnet:\\?xt=urn:[a-z0-9]+:[a-z0-9]{32}/i"
    flat = flatten(_no_refs, {"type": "string", "format": "uri", "pattern": pattern})
    for seed in range(10):
        text = texts.text(flat, Random(seed), "magnetUri", lambda v: False)
        assert re.search(pattern, text), text
        assert FORMAT_CHECKER.conforms(text, "uri"), text


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("createdAt", "datetime"),
        ("first_name", "first_name"),
        ("zipCode", "postcode"),
        ("is_active", "flag"),
        ("avatar_url", "image"),
        ("prices", "price"),
        ("xyzzy", None),
    ],
)
def test_field_hints(name: str, kind: str | None) -> None:
    assert field_hint(name) == kind


def test_owners_and_people() -> None:
    assert owner_of({"$ref": "#/components/schemas/ShippingAddress"}) == "shipping"
    assert owner_of({"type": "object"}) is None
    assert is_person("customers")
    assert not is_person("product")


# -- the private validator -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "value", "valid"),
    [
        # As strict as jsonschema's default: float division rejects 0.07 for 0.01.
        ({"type": "number", "multipleOf": 0.01}, 0.07, False),
        ({"type": "number", "multipleOf": 0.01}, 0.5, True),
        ({"type": "string", "format": "uri"}, "http://", False),
        ({"type": "string", "nullable": True}, None, True),
        ({"type": ["string", "null"]}, None, True),
        ({"type": "integer", "minimum": 1, "exclusiveMinimum": True}, 1, False),
        ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 3, False),
        ({"oneOf": [{"type": "integer"}, {"type": "string"}]}, 3, True),
        ({"not": {"enum": ["x"]}}, "x", False),
        ({"$ref": "#/Positive"}, -1, False),
    ],
)
def test_is_valid(schema: dict[str, Any], value: Any, valid: bool) -> None:
    def resolve(ref: str) -> Any:
        return {"type": "integer", "minimum": 0}

    assert is_valid(resolve, value, schema, 0) is valid


# -- the version -----------------------------------------------------------------------------------


def test_settings_key_reads_the_version_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    generator = OfflineGenerator(locale="fr_FR", max_depth=3)
    assert generator.settings_key().startswith(f"{version.GENERATOR_VERSION}/")
    assert generator.settings_key().endswith("/fr_FR/3")
    monkeypatch.setattr(version, "GENERATOR_VERSION", version.GENERATOR_VERSION + 1)
    assert generator.settings_key().startswith(f"{version.GENERATOR_VERSION}/")
