"""``dataclass``: the standard library's, with less code compiled when a class is defined.

On Python 3.12, ``dataclasses`` writes each method it adds as source and compiles it with an
``exec`` of its own: ``__init__``, ``__repr__``, ``__eq__``, ``__hash__`` and, frozen,
``__setattr__`` and ``__delattr__``; a class without a docstring is also given one from
``inspect.signature``. A mock-only Lambda start defines some 150 dataclasses, and those
compilations were a fifth of its CPU time (bench/RESULTS.md, section 2). Here the standard
library still makes each class (its fields, the checks of its definition, slots, match args),
and:

- ``__repr__``, ``__eq__`` and ``__hash__`` are closures over the class's field names that do
  what the generated code does: the same tuples compared and hashed, the same text, ``...``
  for a recursive repr, and an explicit ``__repr__``, ``__eq__`` or ``__hash__`` in the class
  body kept by the same rules.
- Frozen, ``__setattr__`` and ``__delattr__`` are closures with the generated code's test and
  messages (the class itself, or a field's name: ``FrozenInstanceError``).
- ``__init__`` is the standard library's own, compiled when it is first used (an instance made,
  or the attribute read: ``inspect.signature``, a subclass's ``super().__init__``), not when the
  class is defined: a start never makes an instance of half of its classes. Until then the
  class holds a descriptor that compiles it, puts it in its place on the class and hands it
  out, so every later instance calls it directly. Two threads making the first instance at
  once each compile the same function; either one stays, both are correct. What the
  standard library checks of the parameters when it writes them (no parameter without a
  default after one with a default) is checked when the class is defined, as before.
- A class without a docstring gets the standard library's (its name and signature) when its
  ``__doc__`` is first read, for the same reason.

The guards and ``__init__`` go through two of the standard library's own functions (``_init_fn`` and
``_frozen_get_del_attr``), which this module wraps once, at import, on Python 3.12 only
(3.13 writes those methods another way): the wrappers hand every class but the one this
module is making, in this thread, to the originals, until ``lean_everywhere`` (the Lambda
handler's first step) has every dataclass made so (and its ``__repr__``, ``__eq__`` and
``__hash__`` made as above, through the wrapped ``_repr_fn``, ``_cmp_fn`` and ``_hash_fn``).
On another Python the lean classes are made with compiled ``__init__`` and guards, as
before. ``order`` and ``unsafe_hash`` (unused here) go to the standard library unchanged.

mypy sees ``dataclasses.dataclass`` itself (its plugin types the classes).
"""

from __future__ import annotations

import dataclasses
import reprlib
import sys
import threading
from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any

__all__ = ["built", "dataclass", "lean_everywhere"]

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


class _Making(threading.local):
    """The class this module is making in this thread, which the wrapped standard library
    functions give lazy and closure methods to (None: any other class, left to them)."""

    cls: type | None = None


_making = _Making()

# Set by ``lean_everywhere``: every dataclass made from then on, whoever makes it.
_everywhere = False


def lean_everywhere() -> bool:
    """From now on, every class the standard library's decorator makes (whoever calls it:
    pydantic and annotated_types make fifty at a mock-only start) gets its ``__init__``
    compiled on first use, and its frozen guards, ``__repr__``, ``__eq__`` and ``__hash__`` as
    closures, as the lean classes do; its docstring and ordering methods stay the standard
    library's. For a process's start (the Lambda handler), before those packages are
    imported. True if it took effect (Python 3.12)."""
    global _everywhere  # noqa: PLW0603 (one switch, set once at a start)
    _everywhere = _HOOKED
    return _everywhere


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
    # The standard library writes a docstring from the signature, which compiles __init__:
    # a stand-in keeps it from doing so, and the docstring is written when first read.
    lazy_doc = _HOOKED and not cls.__doc__
    if lazy_doc:
        cls.__doc__ = _NO_DOC_YET
    outer, _making.cls = _making.cls, cls
    try:
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
    finally:
        _making.cls = outer
    if lazy_doc:
        made.__doc__ = _LazyDoc(made)  # type: ignore[assignment]
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


# Truthy, so that the standard library writes no docstring of its own (replaced after).
_NO_DOC_YET = "(docstring not written yet)"


class _LazyDoc:
    """A class's ``__doc__`` until read: then the standard library's text, in its place."""

    __slots__ = ("owner",)

    def __init__(self, owner: type) -> None:
        self.owner = owner

    def __get__(self, instance: object, owner: type | None = None) -> str:
        import inspect  # noqa: PLC0415 (dataclasses has imported it)

        cls = self.owner
        try:
            # As dataclasses._process_class writes it: the name alone when no signature.
            signature = str(inspect.signature(cls)).replace(" -> None", "")
        except (TypeError, ValueError):
            signature = ""
        text = cls.__name__ + signature
        cls.__doc__ = text
        return text


class _LazyInit:
    """A class's ``__init__`` until first used: the standard library's, compiled then and put
    in its place on the class that holds this (with slots, the class the standard library
    made anew, which holds it too)."""

    __slots__ = ("arguments",)

    def __init__(self, arguments: tuple[Any, ...]) -> None:
        self.arguments = arguments

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        function = _std_init_fn(*self.arguments)
        looked_up = owner if owner is not None else type(instance)
        for cls in looked_up.__mro__:
            if cls.__dict__.get("__init__") is self:
                function.__qualname__ = f"{cls.__qualname__}.__init__"
                cls.__init__ = function  # type: ignore[misc]
                break
        return function if instance is None else function.__get__(instance, owner)


def _init_fn(
    fields: list[dataclasses.Field[Any]],
    std_fields: tuple[dataclasses.Field[Any], ...],
    *rest: Any,
) -> Any:
    """``dataclasses._init_fn``, deferred for the class this module is making."""
    if _making.cls is None and not _everywhere:
        return _std_init_fn(fields, std_fields, *rest)
    # The one check the standard library makes of the parameters before it writes them
    # (dataclasses._init_fn), made now: an error in the class's definition shows at once.
    seen_default = False
    for f in std_fields:
        if f.init:
            if not (f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING):
                seen_default = True
            elif seen_default:
                raise TypeError(f"non-default argument {f.name!r} follows default argument")
    return _LazyInit((fields, std_fields, *rest))


def _frozen_get_del_attr(
    cls: type, fields: list[dataclasses.Field[Any]], globals: dict[str, Any]
) -> tuple[Callable[..., None], Callable[..., None]]:
    """``dataclasses._frozen_get_del_attr``: for the class this module is making, the same
    guards as closures (the generated code's test, messages and ``super`` call)."""
    if _making.cls is not cls and not _everywhere:
        return _std_frozen_get_del_attr(cls, fields, globals)  # type: ignore[no-any-return]
    names = frozenset(f.name for f in fields)
    frozen_error = dataclasses.FrozenInstanceError
    owner: Any = cls  # (mypy reads ``type(self) is cls`` as making cls an instance's type)

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is owner or name in names:
            raise frozen_error(f"cannot assign to field {name!r}")
        super(owner, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is owner or name in names:
            raise frozen_error(f"cannot delete field {name!r}")
        super(owner, self).__delattr__(name)

    return __setattr__, __delattr__


def _hooked_repr_fn(fields: list[dataclasses.Field[Any]], globals: dict[str, Any]) -> Any:
    """``dataclasses._repr_fn``: everywhere, the lean closure."""
    if not _everywhere:
        return _std_repr_fn(fields, globals)
    return _repr_fn([f.name for f in fields])


def _hooked_hash_fn(fields: list[dataclasses.Field[Any]], globals: dict[str, Any]) -> Any:
    """``dataclasses._hash_fn``: everywhere, the lean closure."""
    if not _everywhere:
        return _std_hash_fn(fields, globals)
    return _hash_fn(_values([f.name for f in fields]))


def _hooked_cmp_fn(
    name: str, op: str, self_tuple: str, other_tuple: str, globals: dict[str, Any]
) -> Any:
    """``dataclasses._cmp_fn``: everywhere, ``__eq__`` as the lean closure. The fields come as
    the text the standard library writes of them (``_tuple_str``: ``(self.a,self.b,)``)."""
    names = [part.removeprefix("self.") for part in self_tuple[1:-1].split(",") if part]
    if not _everywhere or name != "__eq__" or not all(n.isidentifier() for n in names):
        return _std_cmp_fn(name, op, self_tuple, other_tuple, globals)
    return _eq_fn(_values(names))


# The standard library's functions, wrapped once. Python 3.12's only: another version keeps
# its own, and the lean classes get its compiled __init__ and guards.
_HOOKED = sys.version_info[:2] == (3, 12)
_std_init_fn: Callable[..., Any] = getattr(dataclasses, "_init_fn", None) or _init_fn
_std_frozen_get_del_attr: Callable[..., Any] = (
    getattr(dataclasses, "_frozen_get_del_attr", None) or _frozen_get_del_attr
)
_std_repr_fn: Callable[..., Any] = getattr(dataclasses, "_repr_fn", None) or _hooked_repr_fn
_std_hash_fn: Callable[..., Any] = getattr(dataclasses, "_hash_fn", None) or _hooked_hash_fn
_std_cmp_fn: Callable[..., Any] = getattr(dataclasses, "_cmp_fn", None) or _hooked_cmp_fn
if _HOOKED:
    vars(dataclasses)["_init_fn"] = _init_fn
    vars(dataclasses)["_frozen_get_del_attr"] = _frozen_get_del_attr
    vars(dataclasses)["_repr_fn"] = _hooked_repr_fn
    vars(dataclasses)["_hash_fn"] = _hooked_hash_fn
    vars(dataclasses)["_cmp_fn"] = _hooked_cmp_fn


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
