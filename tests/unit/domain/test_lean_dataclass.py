"""The lean dataclass behaves as the standard library's: equality, hash, repr, frozen guards."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import math
import pickle
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from mockmind import lean_dataclass


@pytest.fixture
def not_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a process that has not imported the Lambda handler: an earlier test in this one
    may have (its first step is ``lean_everywhere``)."""
    monkeypatch.setattr(lean_dataclass, "_everywhere", False)


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


@pytest.mark.usefixtures("not_everywhere")
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


# ------------------------------------------------------------- compiled when first used


def test_init_signature_and_docstring_are_the_standard_librarys() -> None:
    for params in PARAMS:
        std, lean = _both(**params)
        assert inspect.signature(lean) == inspect.signature(std), params
        assert lean.__doc__ == "Lean" + std.__doc__.removeprefix("Std"), params
        assert lean(a=1).__doc__ == lean.__doc__, params
    _std, lean = _both()
    assert lean.__doc__ == "Lean(a: 'int', b: 'Any' = None, c: 'list[int]' = <factory>)"


def test_a_docstring_of_the_class_body_is_kept() -> None:
    @lean_dataclass.dataclass(frozen=True)
    class Documented:
        """What it is."""

        a: int

    assert Documented.__doc__ == "What it is."


@pytest.mark.skipif(sys.version_info[:2] != (3, 12), reason="lazy on Python 3.12 only")
def test_init_is_compiled_on_first_use_then_called_directly() -> None:
    for params in ({"frozen": True}, {"frozen": True, "slots": True}, {}):
        _std, lean = _both(**params)
        assert not inspect.isfunction(lean.__dict__["__init__"])
        assert lean(1, "x").a == 1
        init = lean.__dict__["__init__"]
        assert inspect.isfunction(init)
        assert init.__qualname__ == "Point.__init__"
        assert lean(2).b is None
        assert lean.__dict__["__init__"] is init


def test_init_defaults_factories_and_post_init_work_as_generated() -> None:
    seen: list[int] = []

    @lean_dataclass.dataclass(frozen=True)
    class Checked:
        a: int
        b: list[int] = dataclasses.field(default_factory=list)
        c: int = dataclasses.field(init=False, default=5)

        def __post_init__(self) -> None:
            seen.append(self.a)

    one, two = Checked(1), Checked(2, [3])
    assert (one.b, two.b, one.c, seen) == ([], [3], 5, [1, 2])
    assert one.b is not Checked(1).b
    with pytest.raises(TypeError, match="unexpected keyword argument 'c'"):
        Checked(1, c=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'a'"):
        Checked()  # type: ignore[call-arg]


def test_a_default_before_a_field_without_one_is_refused_when_the_class_is_defined() -> None:
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        @lean_dataclass.dataclass(frozen=True)
        class Broken:
            a: int = 0
            b: int  # type: ignore[misc]


def test_subclasses_reach_the_compiled_init() -> None:
    @lean_dataclass.dataclass(frozen=True)
    class Base:
        a: int

    class Plain(Base):
        pass

    class Calling(Base):
        def __init__(self, a: int) -> None:
            super().__init__(a * 10)

    @lean_dataclass.dataclass(frozen=True)
    class Child(Base):
        b: int = 0

    assert (Plain(1).a, Calling(2).a, Child(3, 4).b) == (1, 20, 4)
    assert inspect.isfunction(Base.__dict__["__init__"])


def test_frozen_guards_let_a_plain_subclass_set_attributes_of_its_own() -> None:
    _std, lean = _both(frozen=True)
    sub = type("Sub", (lean,), {})
    value = sub(1)
    value.extra = 2
    del value.extra
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'a'"):
        value.a = 2
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'z'"):
        lean(1).z = 2


def test_instances_made_in_many_threads_at_once_are_whole() -> None:
    _std, lean = _both(frozen=True)
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda n: lean(n, str(n)), range(64)))
    assert [(m.a, m.b, m.c) for m in made] == [(n, str(n), []) for n in range(64)]


def test_threads_using_a_class_first_all_at_once_get_a_whole_init() -> None:
    _std, lean = _both(frozen=True)
    assert not inspect.isfunction(lean.__dict__["__init__"])
    start = threading.Barrier(8)

    def first_use(n: int) -> tuple[Any, Any]:
        start.wait()
        return lean.__init__, lean(n, str(n))

    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(first_use, range(8)))
    kept = lean.__dict__["__init__"]
    assert inspect.isfunction(kept)
    # Each racing thread may have compiled its own; every one is the standard library's code.
    assert {init.__code__.co_code for init, _ in seen} == {kept.__code__.co_code}
    assert [(m.a, m.b, m.c) for _, m in seen] == [(n, str(n), []) for n in range(8)]
    assert lean.__init__ is kept


def test_a_class_without_a_signature_is_documented_by_its_name_as_the_standard_librarys() -> None:
    made = []
    for deco in (dataclasses.dataclass, lean_dataclass.dataclass):
        cls = type("NoSignature", (), {"__annotations__": {"a": "int"}, "__signature__": 1})
        made.append(deco(cls))
    assert [cls.__doc__ for cls in made] == ["NoSignature", "NoSignature"]


@pytest.mark.usefixtures("not_everywhere")
def test_other_classes_keep_the_standard_librarys_compiled_methods() -> None:
    @dataclasses.dataclass(frozen=True)
    class Std:
        a: int

    assert inspect.isfunction(Std.__dict__["__init__"])
    assert Std.__dict__["__setattr__"].__code__.co_filename == "<string>"
    assert Std.__doc__ == "Std(a: 'int')"


# ------------------------------------------------------------------------ everywhere

# In a fresh interpreter: pydantic and annotated_types are long imported in this one.
EVERYWHERE = """
import dataclasses, inspect, json
from mockmind.lean_dataclass import lean_everywhere
switched = lean_everywhere()
import annotated_types
from typing import Annotated
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

class Item(BaseModel):
    name: Annotated[str, Field(min_length=2)]
    quantity: Annotated[int, annotated_types.Gt(0)] = 1

@dataclasses.dataclass(frozen=True)
class Std:
    "Documented."
    a: int
    b: list = dataclasses.field(default_factory=list)

@dataclasses.dataclass
class Undocumented:  # the standard library writes its docstring from the signature
    a: int

@dataclasses.dataclass(frozen=True)
class Point:
    "Hashable."
    x: int
    y: int = dataclasses.field(default=0, compare=False)

# (The standard library's repr wraps the compiled function.)
generated = [getattr(f, "__wrapped__", f).__code__.co_filename == "<string>"
             for f in (Point.__repr__, Point.__eq__, Point.__hash__, Point.__setattr__)]
point = [repr(Point(1, 2)), Point(1, 2) == Point(1, 3), Point(1) == Point(2),
         hash(Point(1, 2)) == hash((1,)), Point(1).__eq__(1) is NotImplemented]

lazy = not inspect.isfunction(Std.__dict__["__init__"])
made = Std(1)
try:
    made.a = 2
    frozen = "no error"
except dataclasses.FrozenInstanceError as exc:
    frozen = str(exc)
try:
    Item(name="x", quantity=0)
    errors = []
except ValidationError as exc:
    errors = [e["type"] for e in exc.errors()]
print(json.dumps([switched, lazy, inspect.isfunction(Std.__dict__["__init__"]), made.b,
                  frozen, Undocumented.__doc__, errors, Item(name="pen", quantity="3").quantity,
                  repr(annotated_types.Gt(1)), annotated_types.Gt(1) == annotated_types.Gt(1),
                  TypeAdapter(Annotated[int, annotated_types.Le(3)]).validate_python("2"),
                  generated, point]))
"""


@pytest.mark.skipif(sys.version_info[:2] != (3, 12), reason="lazy on Python 3.12 only")
def test_everywhere_every_dataclass_compiles_its_init_when_first_used() -> None:
    out = subprocess.run(
        [sys.executable, "-c", EVERYWHERE],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [
        True,
        True,
        True,
        [],
        "cannot assign to field 'a'",
        "Undocumented(a: int)",
        ["string_too_short", "greater_than"],
        3,
        "Gt(gt=1)",
        True,
        2,
        [False, False, False, False],
        ["Point(x=1, y=2)", True, False, True, True],
    ]
