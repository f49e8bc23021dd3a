"""The lean dataclass behaves as the standard library's: equality, hash, repr, frozen guards."""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle
from typing import Any

import pytest

from mockmind import lean_dataclass


def _both(**params: Any) -> tuple[type[Any], type[Any]]:
    """The same class body made by the standard library and by the lean decorator."""

    def body() -> dict[str, Any]:
        return {
            "__annotations__": {"a": "int", "b": "Any", "c": "list[int]"},
            "b": None,
            "c": dataclasses.field(default_factory=list, compare=False, repr=False),
            "__module__": __name__,
        }

    made = []
    for name, deco in (("Std", dataclasses.dataclass), ("Lean", lean_dataclass.dataclass)):
        cls = type(name, (), body())
        cls.__qualname__ = "Point"
        made.append(deco(**params)(cls))
    return made[0], made[1]


PARAMS = [
    {},
    {"frozen": True},
    {"frozen": True, "slots": True},
    {"slots": True},
    {"eq": False},
    {"frozen": True, "eq": False},
    {"repr": False},
    {"kw_only": True},
]


@pytest.mark.parametrize("params", PARAMS, ids=str)
def test_the_classes_behave_alike(params: dict[str, Any]) -> None:
    std, lean = _both(**params)
    kw = params.get("kw_only", False)

    def make(cls: type[Any], *args: Any) -> Any:
        return cls(a=args[0], b=args[1]) if kw else cls(*args)

    s1, s2, s3 = make(std, 1, "x"), make(std, 1, "x"), make(std, 2, "x")
    l1, l2, l3 = make(lean, 1, "x"), make(lean, 1, "x"), make(lean, 2, "x")
    assert (s1 == s2, s1 == s3, s1 != s2) == (l1 == l2, l1 == l3, l1 != l2)
    assert (s1 == 1) is (l1 == 1) is False
    assert (std.__hash__ is None) == (lean.__hash__ is None)
    if std.__hash__ is not None and params.get("eq", True):
        assert hash(s1) == hash(l1) == hash((1, "x"))
    if params.get("repr", True):
        assert repr(l1) == "Point(a=1, b='x')" == repr(s1)
    else:
        assert repr(l1).startswith(f"<{__name__}.Point object at 0x")
    assert [(f.name, f.compare, f.repr) for f in dataclasses.fields(lean)] == [
        (f.name, f.compare, f.repr) for f in dataclasses.fields(std)
    ]
    if params.get("eq", True):
        assert dataclasses.replace(l1, a=2) == l3
    assert copy.copy(l1).a == 1
    if params.get("frozen"):
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'a'"):
            l1.a = 5
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'a'"):
            del l1.a
    assert hasattr(l1, "__dict__") == hasattr(s1, "__dict__")
    assert lean.__match_args__ == std.__match_args__


def test_equality_compares_tuples_as_the_generated_code_does() -> None:
    _std, lean = _both(frozen=True)
    nan = math.nan
    assert lean(nan) == lean(nan)  # the same object: a tuple compares it equal
    assert lean(float("nan")) != lean(float("nan"))


def test_a_recursive_repr_shows_dots() -> None:
    _std, lean = _both()
    point = lean(1)
    point.b = point
    assert repr(point) == "Point(a=1, b=...)"


def test_a_class_body_keeps_its_own_methods() -> None:
    @lean_dataclass.dataclass(frozen=True)
    class Own:
        a: int

        def __repr__(self) -> str:
            return "own"

        def __hash__(self) -> int:
            return 7

    assert (repr(Own(1)), hash(Own(1)), Own(1) == Own(1)) == ("own", 7, True)

    @lean_dataclass.dataclass
    class OwnEq:  # noqa: PLW1641 (no __hash__: what is checked)
        a: int

        def __eq__(self, other: object) -> bool:
            return True

    assert OwnEq(1) == OwnEq(2)
    assert OwnEq.__hash__ is None  # as the standard library leaves it


@lean_dataclass.dataclass(frozen=True, slots=True)
class Slotted:  # at module level: pickle finds classes by name
    a: int
    b: tuple[int, ...] = ()


def test_a_frozen_slotted_class_pickles() -> None:
    value = Slotted(1, (2,))
    assert pickle.loads(pickle.dumps(value)) == value
    assert copy.deepcopy(value) == value


def test_a_subclass_compares_its_own_fields() -> None:
    @lean_dataclass.dataclass(frozen=True)
    class Base:
        a: int

    @lean_dataclass.dataclass(frozen=True)
    class Child(Base):
        b: int = 0

    assert Child(1, 2) != Child(1, 3)
    assert Child(1, 2) != Base(1)
    assert repr(Child(1, 2)) == "test_a_subclass_compares_its_own_fields.<locals>.Child(a=1, b=2)"
    assert hash(Child(1, 2)) == hash((1, 2))


def test_order_goes_to_the_standard_library() -> None:
    @lean_dataclass.dataclass(order=True, frozen=True)
    class Ordered:
        a: int

    assert Ordered(1) < Ordered(2)
    assert Ordered.__eq__.__code__.co_filename == "<string>"  # generated, as before


# --------------------------------------------------------------------------- built


@lean_dataclass.dataclass(frozen=True)
class _Frozen:
    a: int
    b: str = "x"
    c: list[int] = dataclasses.field(default_factory=list)


def test_built_is_the_instance_the_constructor_makes() -> None:
    made = lean_dataclass.built(_Frozen, a=1, b="y", c=[2])
    assert made == _Frozen(1, "y", [2])
    assert vars(made) == vars(_Frozen(1, "y", [2]))
    assert repr(made) == repr(_Frozen(1, "y", [2]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.a = 2  # type: ignore[misc]


def test_built_refuses_a_missing_or_unknown_field_even_one_with_a_default() -> None:
    with pytest.raises(TypeError, match=r"missing \['c'\], unknown \[\]"):
        lean_dataclass.built(_Frozen, a=1, b="y")
    with pytest.raises(TypeError, match=r"missing \[\], unknown \['d'\]"):
        lean_dataclass.built(_Frozen, a=1, b="y", c=[], d=0)


def test_built_refuses_classes_whose_init_does_more_than_set_the_fields() -> None:
    @lean_dataclass.dataclass(frozen=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            if self.a < 0:
                raise ValueError(self.a)

    @lean_dataclass.dataclass(frozen=True, slots=True)
    class Slotted:
        a: int

    @lean_dataclass.dataclass(frozen=True)
    class Derived:
        a: int
        b: int = dataclasses.field(init=False, default=0)

    for cls in (Checked, Slotted, Derived, dict):
        with pytest.raises(TypeError):
            lean_dataclass.built(cls, a=1)
