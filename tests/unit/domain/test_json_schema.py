from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator, validators

from mockmind.domain.json_schema import multiple_of

Lenient = validators.extend(Draft202012Validator, {"multipleOf": multiple_of})


@pytest.mark.parametrize(
    ("value", "divisor", "ok"),
    [
        (1.19, 0.01, True),
        (0.3, 0.1, True),
        (19.99, 0.01, True),
        (1.191, 0.01, False),
        (10, 5, True),
        (11, 5, False),
        (2.5, 0.5, True),
        ("x", 0.01, True),
    ],
)
def test_decimal_multiple_of(value: object, divisor: float, ok: bool) -> None:
    assert Lenient({"multipleOf": divisor}).is_valid(value) is ok


def test_plain_jsonschema_would_reject_a_valid_price() -> None:
    # Why the keyword is replaced: binary floats make 1.19 "not a multiple" of 0.01.
    assert not Draft202012Validator({"multipleOf": 0.01}).is_valid(1.19)
