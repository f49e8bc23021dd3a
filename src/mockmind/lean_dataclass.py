"""``dataclass``: the standard library's, with less code compiled when a class is defined.

On Python 3.12, ``dataclasses`` writes each method it adds as source and compiles it with an
``exec`` of its own: ``__init__``, ``__repr__``, ``__eq__``, ``__hash__`` and, frozen,
``__setattr__`` and ``__delattr__``. A mock-only Lambda start defines some 150 dataclasses and
spent a quarter of its CPU time there. Here the standard library still makes each class (its
fields, ``__init__``, the frozen guards, slots), asked for no ``__repr__``, ``__eq__`` or hash;
those three are closures over the class's field names that do what the generated code does:
the same tuples compared and hashed, the same text, ``...`` for a recursive repr, and an
explicit ``__repr__``, ``__eq__`` or ``__hash__`` in the class body kept by the same rules.
``order`` and ``unsafe_hash`` (unused here) go to the standard library unchanged.

mypy sees ``dataclasses.dataclass`` itself (its plugin types the classes).
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any

__all__ = ["built", "dataclass"]

if TYPE_CHECKING:
    from dataclasses import dataclass
else:

    def dataclass(
        cls: type | None = None,
        /,
        *,
        init: bool = True,
        repr: bool = True,
        eq: bool = True,
        order: bool = False,
        unsafe_hash: bool = False,
        frozen: bool = False,
        match_args: bool = True,
        kw_only: bool = False,
        slots: bool = False,
        weakref_slot: bool = False,
    ) -> Any:
        def wrap(cls: type) -> type:
            if order or unsafe_hash:
                return dataclasses.dataclass(
                    cls,
                    init=init,
                    repr=repr,
                    eq=eq,
                    order=order,
                    unsafe_hash=unsafe_hash,
                    frozen=frozen,
                    match_args=match_args,
                    kw_only=kw_only,
                    slots=slots,
                    weakref_slot=weakref_slot,
                )
            return _lean(cls, init, repr, eq, frozen, match_args, kw_only, slots, weakref_slot)

        return wrap if cls is None else wrap(cls)


def _lean(
    cls: type,
    init: bool,
    repr: bool,
    eq: bool,
    frozen: bool,
    match_args: bool,
    kw_only: bool,
    slots: bool,
    weakref_slot: bool,
) -> type:
    # As the standard library decides it, before any method is added (dataclasses.py).
    own = dict(cls.__dict__)
    class_hash = own.get("__hash__", dataclasses.MISSING)
    explicit_hash = not (
        class_hash is dataclasses.MISSING or (class_hash is None and "__eq__" in own)
    )
    made: type = dataclasses.dataclass(
        cls,
        init=init,
        repr=False,
        eq=False,
        frozen=frozen,
        match_args=match_args,
        kw_only=kw_only,
        slots=slots,
        weakref_slot=weakref_slot,
    )
    fields = dataclasses.fields(made)
    if repr and "__repr__" not in own:
        _add(made, "__repr__", _repr_fn([f.name for f in fields if f.repr]))
    if eq:
        if "__eq__" not in own:
            _add(made, "__eq__", _eq_fn(_values([f.name for f in fields if f.compare])))
        if not explicit_hash:
            if frozen:
                hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
                _add(made, "__hash__", _hash_fn(_values(hashed)))
            else:
                made.__hash__ = None  # type: ignore[assignment]
    return made


def _add(cls: type, name: str, fn: Callable[..., Any]) -> None:
    fn.__qualname__ = f"{cls.__qualname__}.{name}"
    setattr(cls, name, fn)


def _values(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of these attributes, as the generated ``(self.a,self.b,)``."""
    if not names:
        return lambda _self: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda self: (one(self),)
    many: Callable[[Any], tuple[Any, ...]] = attrgetter(*names)
    return many


def _eq_fn(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _hash_fn(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(values(self))

    return __hash__


def _repr_fn(names: list[str]) -> Callable[[Any], str]:
    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({inner})"

    return __repr__


def built[T](cls: type[T], /, **fields: Any) -> T:
    """An instance of the frozen dataclass ``cls`` holding ``fields``, each of its fields by
    name and nothing else, made without calling its ``__init__``.

    A frozen class's ``__init__`` sets each field through ``object.__setattr__``: three to
    four times what a plain instance's assignments cost, and the request path makes some of
    them with a dozen fields on every request (bench/RESULTS.md, row 1). ``built`` gives the
    instance the keyword dict as its ``__dict__``, which is what that ``__init__`` would have
    filled: for a class whose fields are all taken by ``__init__`` (no ``init=False``),
    without ``__post_init__`` and without slots; defaults are not filled in.
    A missing or unknown name is a ``TypeError``, as it is for the constructor.
    """
    names = _BUILDABLE.get(cls)
    if names is None:
        names = _BUILDABLE[cls] = _buildable(cls)
    if fields.keys() != names:
        missing = sorted(names - fields.keys())
        unknown = sorted(fields.keys() - names)
        raise TypeError(f"{cls.__qualname__}: fields missing {missing}, unknown {unknown}")
    instance: T = object.__new__(cls)
    object.__setattr__(instance, "__dict__", fields)
    return instance


# The field names of each class ``built`` has made, checked once per class.
_BUILDABLE: dict[type, frozenset[str]] = {}


def _buildable(cls: type) -> frozenset[str]:
    if not dataclasses.is_dataclass(cls) or "__slots__" in cls.__dict__:
        raise TypeError(f"{cls.__qualname__} is not a dataclass without slots")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__qualname__} has a __post_init__, which built would skip")
    # (An InitVar is only ever there to be handed to __post_init__.)
    fields = dataclasses.fields(cls)
    if not all(f.init for f in fields):
        raise TypeError(f"{cls.__qualname__} has a field its __init__ does not take")
    return frozenset(f.name for f in fields)
