"""A quick verdict on a value that conforms to its schema, before jsonschema is asked why not.

jsonschema descends into each sub-schema through ``evolve``: a new validator (and a new
resolver) for every property of every object checked. Validating the offline generator's
answer of three numbers cost 340 k instructions, a quarter of serving it (bench row 4), and a
generated answer almost always conforms. Here a validator's schema is compiled, node by node
as values first reach it, into checks that say True only where jsonschema would find no error;
False means "not known here", and the caller runs jsonschema for the verdict and the errors.

The sub-schema validators are made once, as jsonschema would make them when descending (same
``evolve``, same resolver), and a keyword this module has no check of its own for calls the
class's keyword function with that validator: it means exactly what it means in jsonschema
(``enum``, ``oneOf``, ``unevaluatedProperties``...). The checks of their own (``type``,
``properties``, ``required``, ``$ref``, ``allOf``, ``anyOf``, ``items``, the bounds,
``multipleOf``, ``format``, ``pattern``, ``additionalProperties``) read a value only as those
functions do, and answer False for anything they are unsure of (a ``dict`` subclass, a
``Decimal``): jsonschema then decides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import referencing
import referencing.jsonschema
from jsonschema import Draft4Validator, Draft202012Validator

from mockmind.domain.ecma_regex import compile_ecma
from mockmind.domain.json_schema import additional_properties, multiple_of, pattern
from mockmind.domain.memo import BoundedMemo

Check = Callable[[Any], bool]
# (compiler, the keyword's value, the schema node, the node's validator) -> a check, or None
# when the keyword function itself is to be called.
Maker = Callable[["Compiler", Any, Mapping[str, Any], Any], Check | None]

_TYPES = Draft202012Validator.TYPE_CHECKER
# Values the type checker never calls numbers: a keyword of numbers passes them. A value of
# another type (a Decimal) is a "not known" to these checks.
_JSON_TYPES = frozenset({bool, int, float, str, type(None), dict, list})
_EXACT: dict[str, frozenset[type]] = {
    "null": frozenset({type(None)}),
    "boolean": frozenset({bool}),
    "integer": frozenset({int}),
    "number": frozenset({int, float}),
    "string": frozenset({str}),
    "object": frozenset({dict}),
    "array": frozenset({list}),
}
_KEPT_ROOTS = 4096


def always(_instance: Any) -> bool:
    return True


def _unknown(_instance: Any) -> bool:
    return False


class _Fixed:
    __slots__ = ("check",)

    def __init__(self, check: Check) -> None:
        self.check = check


_ALWAYS = _Fixed(always)
_UNKNOWN = _Fixed(_unknown)


class _Node:
    """A schema node and the validator jsonschema would check it with; compiled when a value
    first reaches it (a recursive schema refers to nodes not compiled yet)."""

    __slots__ = ("_compiler", "_validator", "check")

    def __init__(self, compiler: Compiler, validator: Any) -> None:
        self._compiler = compiler
        self._validator = validator
        self.check: Check = self._first

    def _first(self, instance: Any) -> bool:
        try:
            compiled = self._compiler.compile(self._validator)
        except Exception:  # anything odd is left to jsonschema, which reports it
            compiled = _unknown
        self.check = compiled
        return compiled(instance)


Link = _Node | _Fixed

_makers: dict[Any, Maker] = {}
_classes: set[type[Any]] = set()


def register(keyword: Any, maker: Maker) -> None:
    """``maker`` compiles the keyword function ``keyword`` (one of a validator class's)."""
    _makers[keyword] = maker


def register_class(cls: type[Any]) -> None:
    """Validators of ``cls`` may be checked here (its keywords' makers are registered)."""
    _classes.add(cls)


@lru_cache(maxsize=64)
def _specification(cls: Any) -> Any:
    """The specification jsonschema's ``descend`` makes a sub-schema's resource with: the one
    ``validators.create`` worked out for the class, from the same inputs."""
    return referencing.jsonschema.specification_with(
        dialect_id=cls.ID_OF(cls.META_SCHEMA) or "urn:unknown-dialect",
        default=referencing.Specification.OPAQUE,
    )


class Compiler:
    """One root validator's compiled nodes, by node, validator class and base URI."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, type[Any], str], _Node] = {}

    def node(self, validator: Any) -> _Node:
        key = (id(validator.schema), type(validator), validator._resolver._base_uri)
        found = self._nodes.get(key)
        if found is None:
            # The node's validator holds its schema, so the id is not reused meanwhile.
            found = self._nodes[key] = _Node(self, validator)
        return found

    def child(self, parent: Any, schema: Any) -> Link:
        """A sub-schema as ``descend`` reaches it without a resolver (``properties``...)."""
        if schema is True:
            return _ALWAYS
        if schema is False:
            return _UNKNOWN
        resource = _specification(parent.__class__).create_resource(schema)
        resolver = parent._resolver.in_subresource(resource)
        return self.node(parent.evolve(schema=schema, _resolver=resolver))

    def referred(self, validator: Any, ref: str) -> Link:
        """A ``$ref``'s target, as ``_validate_reference`` descends into it."""
        resolved = validator._resolver.lookup(ref)
        if resolved.contents is True:
            return _ALWAYS
        if resolved.contents is False:
            return _UNKNOWN
        return self.node(validator.evolve(schema=resolved.contents, _resolver=resolved.resolver))

    def compile(self, validator: Any) -> Check:
        schema = validator.schema
        if schema is True:
            return always
        if schema is False or not isinstance(schema, Mapping):
            return _unknown
        if getattr(validator, "_ref_resolver", None) is not None:
            return _unknown  # jsonschema's deprecated RefResolver: not followed here
        checks = [
            check
            for keyword, _name, value in validator._validators
            if (check := self.keyword(keyword, value, schema, validator)) is not always
        ]
        return _all(checks)

    def keyword(self, keyword: Any, value: Any, schema: Mapping[str, Any], validator: Any) -> Check:
        maker = _makers.get(keyword)
        made: Check | None = None
        if maker is not None:
            try:
                made = maker(self, value, schema, validator)
            except Exception:  # the keyword function itself then decides
                made = None
        return made if made is not None else _called(keyword, value, schema, validator)


def _called(keyword: Any, value: Any, schema: Mapping[str, Any], validator: Any) -> Check:
    """The keyword function as ``descend`` calls it: no error, no objection."""

    def check(instance: Any) -> bool:
        errors = keyword(validator, value, instance, schema)
        if errors is not None:
            for _ in errors:
                return False
        return True

    return check


# The loops below stay loops: all() over a generator costs a generator a call, and these run
# for every value of every answer checked.


def _all(checks: list[Check]) -> Check:
    if not checks:
        return always
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks

        def both(instance: Any) -> bool:
            return first(instance) and second(instance)

        return both
    every = tuple(checks)

    def each(instance: Any) -> bool:
        for check in every:  # noqa: SIM110
            if not check(instance):
                return False
        return True

    return each


def of_types(validator: Any) -> bool:
    """Whether the validator's types are draft 2020-12's (OpenAPI 3.0's, and 3.1's default),
    which these checks read values by."""
    return type(validator).TYPE_CHECKER is _TYPES


_roots: BoundedMemo[int, tuple[Any, _Node]] = BoundedMemo(_KEPT_ROOTS)


def conforms(validator: Any, instance: Any) -> bool:
    """True when ``validator`` finds no error in ``instance``; False: not known, ask it."""
    try:
        kept = _roots.get(id(validator))
        if kept is None or kept[0] is not validator:
            if type(validator) not in _classes:
                return False
            kept = (validator, Compiler().node(validator))
            _roots.put(id(validator), kept)
        return kept[1].check(instance)
    except Exception:  # jsonschema, run next, raises or reports it as it would
        return False


# -- jsonschema's keywords


def _type(
    _compiler: Compiler, types: Any, _schema: Mapping[str, Any], validator: Any
) -> Check | None:
    names = [types] if isinstance(types, str) else types
    if not of_types(validator) or not isinstance(names, list):
        return None
    if not all(isinstance(name, str) and name in _EXACT for name in names):
        return None
    exact = frozenset().union(*(_EXACT[name] for name in names))
    if "integer" in names and float not in exact:
        # Draft 6 on: 1.0 is an integer.

        def whole(instance: Any) -> bool:
            kind = type(instance)
            return kind in exact or (kind is float and instance.is_integer())

        return whole

    def typed(instance: Any) -> bool:
        return type(instance) in exact

    return typed


def object_check(check: Callable[[dict[str, Any]], bool]) -> Check:
    """A keyword of objects: passes what the type checker calls no object."""

    def checked(instance: Any) -> bool:
        if type(instance) is dict:
            return check(instance)
        return not isinstance(instance, dict)

    return checked


def _properties(
    compiler: Compiler, properties: Any, _schema: Mapping[str, Any], validator: Any
) -> Check | None:
    if not of_types(validator) or not isinstance(properties, dict):
        return None
    children = tuple((name, compiler.child(validator, sub)) for name, sub in properties.items())

    def each(instance: dict[str, Any]) -> bool:
        for name, child in children:
            if name in instance and not child.check(instance[name]):
                return False
        return True

    return object_check(each)


def required_check(names: Iterable[Any]) -> Check:
    """``required``: a property missing is a "not known" (a read-only one may be excused)."""
    wanted = tuple(names)

    def present(instance: dict[str, Any]) -> bool:
        for name in wanted:  # noqa: SIM110
            if name not in instance:
                return False
        return True

    return object_check(present)


def _required(
    _compiler: Compiler, required: Any, _schema: Mapping[str, Any], validator: Any
) -> Check | None:
    if not of_types(validator) or not isinstance(required, list):
        return None
    return required_check(required)


def all_of_check(compiler: Compiler, members: Any, validator: Any) -> Check | None:
    if not isinstance(members, list):
        return None
    children = tuple(compiler.child(validator, member) for member in members)

    def every(instance: Any) -> bool:
        for child in children:  # noqa: SIM110
            if not child.check(instance):
                return False
        return True

    return every


def _all_of(
    compiler: Compiler, members: Any, _schema: Mapping[str, Any], validator: Any
) -> Check | None:
    return all_of_check(compiler, members, validator)


def _any_of(
    compiler: Compiler, branches: Any, _schema: Mapping[str, Any], validator: Any
) -> Check | None:
    if not isinstance(branches, list):
        return None
    children = tuple(compiler.child(validator, branch) for branch in branches)

    def some(instance: Any) -> bool:
        for child in children:  # noqa: SIM110
            if child.check(instance):
                return True
        return False

    return some


def _ref(compiler: Compiler, ref: Any, _schema: Mapping[str, Any], validator: Any) -> Check | None:
    if not isinstance(ref, str):
        return None
    target = compiler.referred(validator, ref)

    def referred(instance: Any) -> bool:
        return target.check(instance)

    return referred


def _array_check(compiler: Compiler, items: Any, validator: Any) -> Check | None:
    if not of_types(validator) or not isinstance(items, dict):
        return None
    child = compiler.child(validator, items)

    def each(instance: Any) -> bool:
        if type(instance) is not list:
            return not isinstance(instance, list)
        check = child.check
        for item in instance:  # noqa: SIM110
            if not check(item):
                return False
        return True

    return each


def _items(
    compiler: Compiler, items: Any, schema: Mapping[str, Any], validator: Any
) -> Check | None:
    if "prefixItems" in schema:
        return None
    return _array_check(compiler, items, validator)


def _items_draft4(
    compiler: Compiler, items: Any, _schema: Mapping[str, Any], validator: Any
) -> Check | None:
    return _array_check(compiler, items, validator)


def _format(
    _compiler: Compiler, name: Any, _schema: Mapping[str, Any], validator: Any
) -> Check | None:
    checker = validator.format_checker
    if checker is None:
        return always

    def formatted(instance: Any) -> bool:
        return bool(checker.conforms(instance, name))

    return formatted


for _cls in (Draft4Validator, Draft202012Validator):
    register(_cls.VALIDATORS["type"], _type)
    register(_cls.VALIDATORS["properties"], _properties)
    register(_cls.VALIDATORS["required"], _required)
    register(_cls.VALIDATORS["allOf"], _all_of)
    register(_cls.VALIDATORS["anyOf"], _any_of)
    register(_cls.VALIDATORS["$ref"], _ref)
    register(_cls.VALIDATORS["format"], _format)
register(Draft202012Validator.VALIDATORS["items"], _items)
register(Draft4Validator.VALIDATORS["items"], _items_draft4)


# -- mockmind's own (domain/json_schema)


def number_check(number: Callable[[int | float], bool]) -> Check:
    """A keyword of numbers: passes what the type checker calls no number."""

    def checked(instance: Any) -> bool:
        kind = type(instance)
        if kind is int or kind is float:
            return number(instance)
        return kind in _JSON_TYPES

    return checked


def _multiple_of(
    _compiler: Compiler, divisor: Any, _schema: Mapping[str, Any], validator: Any
) -> Check | None:
    if not of_types(validator):
        return None
    try:
        exact = Decimal(str(divisor))
    except (InvalidOperation, ValueError):
        return always  # as multiple_of: a divisor Decimal cannot read constrains nothing

    def multiple(instance: int | float) -> bool:
        try:
            return Decimal(str(instance)) % exact == 0
        except (InvalidOperation, ValueError):
            return True

    return number_check(multiple)


def _pattern(
    _compiler: Compiler, expression: Any, _schema: Mapping[str, Any], validator: Any
) -> Check | None:
    if not of_types(validator):
        return None
    compiled = compile_ecma(expression) if isinstance(expression, str) else None
    if compiled is None:
        return always
    search = compiled.search

    def matches(instance: Any) -> bool:
        if type(instance) is str:
            return search(instance) is not None
        return not isinstance(instance, str)

    return matches


def _additional_properties(
    compiler: Compiler, allowed: Any, schema: Mapping[str, Any], validator: Any
) -> Check | None:
    declared = schema.get("properties", {})
    if not of_types(validator) or "patternProperties" in schema or not isinstance(declared, dict):
        return None
    if isinstance(allowed, dict):
        child = compiler.child(validator, allowed)

        def extras_fit(instance: dict[str, Any]) -> bool:
            for name, value in instance.items():
                if name not in declared and not child.check(value):
                    return False
            return True

        return object_check(extras_fit)
    if allowed is False:

        def no_extras(instance: dict[str, Any]) -> bool:
            for name in instance:  # noqa: SIM110
                if name not in declared:
                    return False
            return True

        return object_check(no_extras)
    return always


register(multiple_of, _multiple_of)
register(pattern, _pattern)
register(additional_properties, _additional_properties)
