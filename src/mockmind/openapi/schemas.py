"""JSON Schema validators that speak OpenAPI's dialects and resolve ``$ref`` inside the document.

The whole document is one ``referencing`` resource; a sub-schema is validated as through a root
schema ``{"$ref": "<document uri>#/json/pointer"}`` (followed once, when the validator is made),
so nested ``#/components/...`` references resolve against the document (or the external file
the schema lives in) and nothing is inlined.

* OpenAPI 3.0: Draft 4 semantics (boolean ``exclusiveMinimum``, ``$ref`` siblings ignored) with
  ``nullable: true`` admitting ``null``; OpenAPI-only keywords (``discriminator``, ``xml``,
  ``example``, ``readOnly``...) do not fail validation. The 3.0 dialect has no ``id``, so the
  document is an opaque resource: a property called ``id`` can never shift the base URI.
* OpenAPI 3.1: Draft 2020-12, or whatever ``jsonSchemaDialect`` names; ``nullable: true`` is
  honoured there too.
* Both: a boolean ``exclusiveMaximum``/``exclusiveMinimum`` is draft 4's modifier of
  ``maximum``/``minimum``, a number a bound of its own, whatever the dialect; in requests
  ``oneOf`` is read as ``anyOf`` (accepting a value the document's branches overlap on).
* Both: ``discriminator`` narrows ``oneOf``/``anyOf`` to the mapped schema (overlapping
  ``allOf`` children would otherwise match more than one branch; without the property the
  branches decide), and ``readOnly`` properties
  are not required in requests nor ``writeOnly`` ones in responses; a response that shows a
  ``writeOnly`` property breaks its schema (clients read it as "never sent back", and check
  answers with the property forbidden, which fails an ``anyOf`` or ``unevaluatedProperties``
  around it).
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any, Literal, cast

import attrs
import referencing.jsonschema
from jsonschema import Draft4Validator, Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from referencing import Registry, Resource, Specification
from referencing.exceptions import Unresolvable

from mockmind.domain.json_schema import (
    additional_properties,
    multiple_of,
    pattern,
    pattern_properties,
)
from mockmind.domain.memo import BoundedMemo
from mockmind.openapi import schema_checks
from mockmind.openapi.errors import UnresolvableRef
from mockmind.openapi.formats import FORMAT_CHECKER, OPENAPI_30_FORMAT_CHECKER

Context = Literal["request", "response"] | None
KeywordFn = Callable[[Any, Any, Any, Mapping[str, Any]], Iterator[ValidationError] | None]

_OAS30_DIALECT = "urn:mockmind:openapi-3.0-schema"
_AD_HOC_CACHE_SIZE = 256
_MAX_REF_HOPS = 16


def _ignore_ref_siblings(schema: Mapping[str, Any]) -> Any:
    """OpenAPI 3.0 (like Draft 4) ignores every keyword next to ``$ref``."""
    ref = schema.get("$ref")
    return [("$ref", ref)] if ref is not None else schema.items()


def _nullable(base: KeywordFn) -> KeywordFn:
    def keyword(
        validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[ValidationError]:
        if instance is None and schema.get("nullable") is True:
            return
        yield from base(validator, value, instance, schema) or ()

    def quick(
        compiler: schema_checks.Compiler, value: Any, schema: Mapping[str, Any], validator: Any
    ) -> schema_checks.Check:
        inner = compiler.keyword(base, value, schema, validator)
        if schema.get("nullable") is not True:
            return inner

        def check(instance: Any) -> bool:
            return instance is None or inner(instance)

        return check

    schema_checks.register(keyword, quick)
    return keyword


def _discriminating(base: KeywordFn) -> KeywordFn:
    """``oneOf``/``anyOf`` that validate only the branch the discriminator names."""

    def keyword(
        validator: Any, subschemas: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[ValidationError]:
        discriminator = schema.get("discriminator")
        prop = discriminator.get("propertyName") if isinstance(discriminator, Mapping) else None
        if not isinstance(prop, str) or not isinstance(instance, dict):
            yield from base(validator, subschemas, instance, schema) or ()
            return
        assert isinstance(discriminator, Mapping)
        if prop not in instance:
            # Without the property the branches themselves decide, as they would without a
            # discriminator (a branch that requires it refuses the instance on its own).
            yield from base(validator, subschemas, instance, schema) or ()
            return
        value = instance[prop]
        mapping = discriminator.get("mapping")
        mapping = mapping if isinstance(mapping, Mapping) else {}
        refs = [
            sub["$ref"]
            for sub in subschemas
            if isinstance(sub, Mapping) and isinstance(sub.get("$ref"), str)
        ]
        targets = {
            name: _mapping_target(ref) for name, ref in mapping.items() if isinstance(ref, str)
        }
        if not refs and not targets:
            # Inline branches have no names for the discriminator to pick: plain oneOf/anyOf.
            yield from base(validator, subschemas, instance, schema) or ()
            return
        target: str | None = None
        if isinstance(value, str) and value in targets:
            target = targets[value]
        elif isinstance(value, str):
            target = next((ref for ref in refs if ref.rsplit("/", 1)[-1] == value), None)
        if target is None:
            mapped = set(targets.values())
            known = list(targets) + [ref.rsplit("/", 1)[-1] for ref in refs if ref not in mapped]
            yield ValidationError(
                f"{value!r} is not a known {prop!r}; expected one of {known}",
                validator="discriminator",
                path=[prop],
            )
            return
        yield from validator.descend(instance, {"$ref": target})

    def quick(
        compiler: schema_checks.Compiler, value: Any, schema: Mapping[str, Any], validator: Any
    ) -> schema_checks.Check | None:
        if "discriminator" in schema:
            return None
        return compiler.keyword(base, value, schema, validator)

    schema_checks.register(keyword, quick)
    return keyword


def _maximum(
    validator: Any, maximum: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    """``maximum``, exclusive when a draft-4 style ``exclusiveMaximum: true`` sits beside it."""
    if not validator.is_type(instance, "number") or not _is_number(maximum):
        return
    if schema.get("exclusiveMaximum") is True:
        if instance >= maximum:
            yield ValidationError(
                f"{instance!r} is greater than or equal to the maximum of {maximum!r}"
            )
    elif instance > maximum:
        yield ValidationError(f"{instance!r} is greater than the maximum of {maximum!r}")


def _minimum(
    validator: Any, minimum: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    """``minimum``, exclusive when a draft-4 style ``exclusiveMinimum: true`` sits beside it."""
    if not validator.is_type(instance, "number") or not _is_number(minimum):
        return
    if schema.get("exclusiveMinimum") is True:
        if instance <= minimum:
            yield ValidationError(
                f"{instance!r} is less than or equal to the minimum of {minimum!r}"
            )
    elif instance < minimum:
        yield ValidationError(f"{instance!r} is less than the minimum of {minimum!r}")


def _exclusive_maximum(
    validator: Any, limit: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    """A number is a bound of its own (draft 6 on); a boolean only modifies ``maximum``."""
    if validator.is_type(instance, "number") and _is_number(limit) and instance >= limit:
        yield ValidationError(f"{instance!r} is greater than or equal to the maximum of {limit!r}")


def _exclusive_minimum(
    validator: Any, limit: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "number") and _is_number(limit) and instance <= limit:
        yield ValidationError(f"{instance!r} is less than or equal to the minimum of {limit!r}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bound_check(limit: Any, refuses: Callable[[Any, Any], bool]) -> schema_checks.Check:
    """A bound's quick check: ``refuses(instance, limit)`` is the keyword's own test."""
    if not _is_number(limit):
        return schema_checks.always

    def within(instance: int | float) -> bool:
        return not refuses(instance, limit)

    return schema_checks.number_check(within)


def _quick_bound(
    modifier: str, strict: Callable[[Any, Any], bool], loose: Callable[[Any, Any], bool]
) -> Callable[..., schema_checks.Check | None]:
    def quick(
        _compiler: schema_checks.Compiler, limit: Any, schema: Mapping[str, Any], validator: Any
    ) -> schema_checks.Check | None:
        if not schema_checks.of_types(validator):
            return None
        return _bound_check(limit, strict if schema.get(modifier) is True else loose)

    return quick


def _quick_exclusive(
    refuses: Callable[[Any, Any], bool],
) -> Callable[..., schema_checks.Check | None]:
    def quick(
        _compiler: schema_checks.Compiler, limit: Any, _schema: Mapping[str, Any], validator: Any
    ) -> schema_checks.Check | None:
        return _bound_check(limit, refuses) if schema_checks.of_types(validator) else None

    return quick


schema_checks.register(_maximum, _quick_bound("exclusiveMaximum", operator.ge, operator.gt))
schema_checks.register(_minimum, _quick_bound("exclusiveMinimum", operator.le, operator.lt))
schema_checks.register(_exclusive_maximum, _quick_exclusive(operator.ge))
schema_checks.register(_exclusive_minimum, _quick_exclusive(operator.le))


# Both forms of the exclusive bounds, whatever the dialect: OpenAPI 3.0 documents carry 3.1's
# numbers and 3.1 documents (or schemas naming draft 4) carry 3.0's booleans, and either way the
# author's meaning is plain.
_BOUNDS: dict[str, KeywordFn] = {
    "maximum": _maximum,
    "minimum": _minimum,
    "exclusiveMaximum": _exclusive_maximum,
    "exclusiveMinimum": _exclusive_minimum,
}


def _one_of_in(context: Context, validators_: Mapping[str, KeywordFn]) -> KeywordFn:
    """``oneOf`` as the context reads it: in a request, a value more than one branch accepts
    is the document's own overlap (``shortUUID`` and ``UUIDv4`` both take a UUID), so there
    one matching branch is enough; responses keep the exclusive reading."""
    return validators_["anyOf"] if context == "request" else validators_["oneOf"]


def _mapping_target(target: str) -> str:
    """Mapping values are references or bare schema names (``Cat``)."""
    if "/" in target or "#" in target or "." in target:
        return target
    return f"#/components/schemas/{target}"


def _lookup(validator: Any, node: Any, *, bare_only: bool = False) -> tuple[Any, Any]:
    """``node`` with ``$ref``s followed, and the resolver that knows its base URI.
    ``bare_only`` stops at a ``$ref`` with sibling keywords (which 3.1 applies too).

    jsonschema has no public way to follow a reference from inside a keyword; the resolver it
    carries is the one that knows the current base URI."""
    resolver: Any = getattr(validator, "_resolver", None)
    for _ in range(_MAX_REF_HOPS):
        if not (isinstance(node, Mapping) and isinstance(node.get("$ref"), str)):
            break
        if bare_only and len(node) > 1:
            break
        try:
            resolved = resolver.lookup(node["$ref"])
        except (AttributeError, Unresolvable):
            break
        node, resolver = resolved.contents, resolved.resolver
    return node, resolver


# Each object a response validates asks which of its schema's properties are writeOnly, by
# resolving every property's $ref: a fifth of validating a generated answer. The answer is
# the schema node's own (a node is always reached with the resolver of the file it is in, so
# its $refs resolve alike), kept with the node itself so that its id is not reused meanwhile.
_FLAGGED_KEPT = 4096
_flagged: BoundedMemo[tuple[int, str], tuple[Any, frozenset[str]]] = BoundedMemo(_FLAGGED_KEPT)


def _flagged_names(validator: Any, schema: Any, flag: str) -> frozenset[str]:
    """Names of ``schema``'s properties marked ``readOnly`` (or ``writeOnly``)."""
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(properties, Mapping):
        return frozenset()
    key = (id(schema), flag)
    kept = _flagged.get(key)
    if kept is not None and kept[0] is schema:
        return kept[1]
    names = frozenset(
        name
        for name, subschema in properties.items()
        if isinstance(target := _lookup(validator, subschema)[0], Mapping)
        and target.get(flag) is True
    )
    _flagged.put(key, (schema, names))
    return names


def _flag(context: Context) -> str:
    return "readOnly" if context == "request" else "writeOnly"


def _required_in(context: Context) -> KeywordFn:
    flag = _flag(context)

    def keyword(
        validator: Any, required: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[ValidationError]:
        if not validator.is_type(instance, "object") or not isinstance(required, list):
            return
        missing = [name for name in required if name not in instance]
        skipped = _flagged_names(validator, schema, flag) if missing else frozenset()
        for name in missing:
            if name not in skipped:
                yield ValidationError(f"{name!r} is a required property")

    def quick(
        _compiler: schema_checks.Compiler, required: Any, _schema: Mapping[str, Any], validator: Any
    ) -> schema_checks.Check | None:
        if not isinstance(required, list):
            return schema_checks.always
        # A missing name is "not known": jsonschema's run then excuses the flagged ones.
        return schema_checks.required_check(required) if schema_checks.of_types(validator) else None

    schema_checks.register(keyword, quick)
    return keyword


def _properties_in(context: Context, base: KeywordFn) -> KeywordFn:
    """``properties`` that, in a response, also refuses the ``writeOnly`` ones present."""
    if context != "response":
        return base

    def keyword(
        validator: Any, properties: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[ValidationError]:
        yield from base(validator, properties, instance, schema) or ()
        if not validator.is_type(instance, "object"):
            return
        for name in sorted(_flagged_names(validator, schema, "writeOnly") & set(instance)):
            yield ValidationError(f"{name!r} is writeOnly: a response does not send it")

    def quick(
        compiler: schema_checks.Compiler, properties: Any, schema: Mapping[str, Any], validator: Any
    ) -> schema_checks.Check:
        inner = compiler.keyword(base, properties, schema, validator)
        refused = _flagged_names(validator, schema, "writeOnly")
        if not refused:
            return inner

        def check(instance: Any) -> bool:
            return inner(instance) and (
                not isinstance(instance, dict) or refused.isdisjoint(instance)
            )

        return check

    schema_checks.register(keyword, quick)
    return keyword


def _all_of_in(context: Context, base: KeywordFn) -> KeywordFn:
    """``allOf`` where a member's ``required`` skips properties another member marks
    ``readOnly``/``writeOnly`` (``allOf: [Pet, {required: [id]}]`` with a read-only ``id``)."""
    flag = _flag(context)

    def keyword(
        validator: Any, members: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[ValidationError]:
        if not isinstance(instance, dict) or not isinstance(members, list):
            yield from base(validator, members, instance, schema) or ()
            return
        resolved = [_lookup(validator, member, bare_only=True) for member in members]
        flagged: set[str] = set()
        for target, resolver in resolved:
            local = validator.evolve(_resolver=resolver) if resolver is not None else validator
            flagged |= _flagged_names(local, target, flag)
        for index, (member, (target, resolver)) in enumerate(zip(members, resolved, strict=True)):
            required = target.get("required") if isinstance(target, Mapping) else None
            if isinstance(required, list) and flagged & set(required) and resolver is not None:
                relaxed = {**target, "required": [n for n in required if n not in flagged]}
                yield from validator.descend(
                    instance, relaxed, schema_path=index, resolver=resolver
                )
            else:
                yield from validator.descend(instance, member, schema_path=index)

    def quick(
        compiler: schema_checks.Compiler, members: Any, _schema: Mapping[str, Any], validator: Any
    ) -> schema_checks.Check | None:
        # Every member as it stands: stricter than the relaxed ``required`` above, so a value
        # it passes, this keyword passes too.
        return schema_checks.all_of_check(compiler, members, validator)

    schema_checks.register(keyword, quick)
    return keyword


def _stay_in_openapi(
    cls: type[Validator], for_dialect: Callable[[str], type[Validator]] | None
) -> None:
    """Keep OpenAPI's keywords in sub-schemas that name a ``$schema``.

    jsonschema's ``evolve`` (how it descends) switches to the stock class of a sub-schema's
    ``$schema``, which would drop ``nullable``, the discriminator, the formats and the bounds
    read in both styles there. A 3.0 document has no dialects: its class stays; in 3.1 the
    sub-schema gets this module's extension of its dialect's class. jsonschema installs
    ``evolve`` the same way (``cls.evolve = ...``), so this replaces like with like."""

    # Worked out once: reading attrs' field list on each call (every sub-schema a validation
    # descends into) made validating a generated answer cost more than jsonschema's own evolve.
    own = _init_fields(cls)

    def evolve(self: Any, **changes: Any) -> Any:
        schema = changes.setdefault("schema", self.schema)
        target = cls
        if for_dialect is not None and isinstance(schema, dict | Mapping):
            dialect = schema.get("$schema")
            if isinstance(dialect, str):
                target = for_dialect(dialect)
        kept = own if type(self) is cls else _init_fields(type(self))
        for name, alias in kept:
            if alias not in changes:
                changes[alias] = getattr(self, name)
        return target(**changes)

    cast(Any, cls).evolve = evolve


def _init_fields(cls: type[Any]) -> list[tuple[str, str]]:
    return [(field.name, field.alias) for field in attrs.fields(cls) if field.init]


def _oas30_class(context: Context) -> type[Validator]:
    keywords: dict[str, KeywordFn] = dict(Draft4Validator.VALIDATORS)
    for name in ("type", "enum"):
        keywords[name] = _nullable(Draft4Validator.VALIDATORS[name])
    keywords["anyOf"] = _nullable(_discriminating(Draft4Validator.VALIDATORS["anyOf"]))
    keywords["oneOf"] = _nullable(_discriminating(_one_of_in(context, Draft4Validator.VALIDATORS)))
    keywords.update(_BOUNDS)
    all_of = Draft4Validator.VALIDATORS["allOf"]
    if context is not None:
        keywords["required"] = _required_in(context)
        keywords["properties"] = _properties_in(context, Draft4Validator.VALIDATORS["properties"])
        all_of = _all_of_in(context, all_of)
    keywords["allOf"] = _nullable(all_of)
    keywords["multipleOf"] = multiple_of
    keywords["pattern"] = pattern
    keywords["patternProperties"] = pattern_properties
    keywords["additionalProperties"] = additional_properties
    meta_schema = {**Draft4Validator.META_SCHEMA, "id": _OAS30_DIALECT, "$schema": _OAS30_DIALECT}
    cls: type[Validator] = validators.create(
        meta_schema=meta_schema,
        validators=cast(Any, keywords),
        # Draft 6's integer check, so 1.0 is an integer as JSON (and OpenAPI) mean it.
        type_checker=Draft202012Validator.TYPE_CHECKER,
        format_checker=OPENAPI_30_FORMAT_CHECKER,
        # No ``id`` in OpenAPI 3.0 schemas: an unknown dialect makes the resource opaque.
        id_of=cast(Any, lambda _schema: None),
        applicable_validators=cast(Any, _ignore_ref_siblings),
    )
    _stay_in_openapi(cls, None)
    schema_checks.register_class(cls)
    return cls


@lru_cache(maxsize=64)
def _oas31_class(dialect: str | None, context: Context) -> type[Validator]:
    base: type[Validator] = Draft202012Validator
    if dialect:
        base = validators.validator_for({"$schema": dialect}, default=Draft202012Validator)
    keywords: dict[str, KeywordFn] = {
        "anyOf": _discriminating(base.VALIDATORS["anyOf"]),
        "oneOf": _discriminating(_one_of_in(context, base.VALIDATORS)),
        **_BOUNDS,
    }
    keywords["multipleOf"] = multiple_of
    keywords["pattern"] = pattern
    keywords["patternProperties"] = pattern_properties
    keywords["additionalProperties"] = additional_properties
    all_of = base.VALIDATORS["allOf"]
    if context is not None:
        keywords["required"] = _required_in(context)
        keywords["properties"] = _properties_in(context, base.VALIDATORS["properties"])
        all_of = _all_of_in(context, all_of)
    keywords["allOf"] = all_of
    # ``nullable: true`` is 3.0's word, but 3.1 documents carried over from 3.0 keep it, and
    # what it means is plain: null is allowed too. ``$ref`` siblings apply in 3.1, so a
    # nullable reference admits null as well.
    for name in ("type", "enum", "anyOf", "oneOf", "allOf", "$ref", "const"):
        if name in keywords or name in base.VALIDATORS:
            keywords[name] = _nullable(keywords.get(name) or base.VALIDATORS[name])
    extended: type[Validator] = validators.extend(  # type: ignore[no-untyped-call,unused-ignore]
        base, keywords, format_checker=FORMAT_CHECKER
    )
    _stay_in_openapi(extended, lambda named: _oas31_class(named, context))
    schema_checks.register_class(extended)
    return extended


class SchemaValidators:
    """Validator classes, the document registry and the validator caches of one document."""

    def __init__(
        self,
        *,
        main_uri: str,
        contents: Any,
        version: str,
        dialect: str | None,
        retrieve: Callable[[str], Any],
    ) -> None:
        self._format_checker = FORMAT_CHECKER
        if version == "3.0":
            self._format_checker = OPENAPI_30_FORMAT_CHECKER
            self._specification: Specification[Any] = Specification.OPAQUE
            self._classes = {ctx: _oas30_class(ctx) for ctx in (None, "request", "response")}
        else:
            self._specification = referencing.jsonschema.specification_with(
                dialect or "https://json-schema.org/draft/2020-12/schema",
                default=referencing.jsonschema.DRAFT202012,
            )
            self._classes = {
                ctx: _oas31_class(dialect, ctx) for ctx in (None, "request", "response")
            }
        self._retrieve_contents = retrieve
        self._resources: dict[str, Resource[Any]] = {}
        resource = self._specification.create_resource(contents)
        # ``retrieve`` is an attrs alias the type stubs do not know about.
        registry: Registry[Any] = Registry(retrieve=self._retrieve)  # type: ignore[call-arg,unused-ignore]
        self._registry = registry.with_resource(main_uri, resource)
        self._by_uri: dict[tuple[str, Context], Validator] = {}
        self._ad_hoc: OrderedDict[tuple[int, Context], tuple[Any, Validator]] = OrderedDict()

    def _retrieve(self, uri: str) -> Resource[Any]:
        resource = self._resources.get(uri)
        if resource is None:
            contents = self._retrieve_contents(uri)
            resource = self._specification.create_resource(contents)
            self._resources[uri] = resource
        return resource

    def for_uri(self, uri: str, context: Context = None) -> Validator:
        """A validator for the schema at ``uri`` (absolute, with a JSON-pointer fragment)."""
        key = (uri, context)
        found = self._by_uri.get(key)
        if found is None:
            found = self._make({"$ref": uri}, context)
            # Following the $ref on every validation was a third of the time of checking a small
            # body: start at its target instead, with the resolver the $ref would have given.
            # jsonschema keeps the resolver private (``_resolver``, since 4.18): should that
            # change, validation starts at the $ref again, as correct and slower.
            resolver: Any = getattr(found, "_resolver", None)
            try:
                resolved = resolver.lookup(uri)
                found = found.evolve(schema=resolved.contents, _resolver=resolved.resolver)
            except (AttributeError, TypeError, Unresolvable):
                pass  # an unresolvable $ref is reported by each validation, as before
            self._by_uri[key] = found
        return found

    def for_schema(
        self,
        schema: Any,
        context: Context = None,
        prepare: Callable[[Any], Any] | None = None,
    ) -> Validator:
        """A validator for a schema object, cached by identity; ``prepare`` (say, making its
        ``$ref``s absolute) runs once, on a cache miss."""
        key = (id(schema), context)
        cached = self._ad_hoc.get(key)
        # The cached entry keeps the schema alive, so its id cannot be reused while cached.
        if cached is not None and cached[0] is schema:
            self._ad_hoc.move_to_end(key)
            return cached[1]
        made = self._make(prepare(schema) if prepare else schema, context)
        self._ad_hoc[key] = (schema, made)
        if len(self._ad_hoc) > _AD_HOC_CACHE_SIZE:
            self._ad_hoc.popitem(last=False)
        return made

    def _make(self, schema: Any, context: Context) -> Validator:
        cls = self._classes[context]
        return cls(schema, registry=self._registry, format_checker=self._format_checker)


def iter_errors(validator: Validator, instance: Any, limit: int = 50) -> list[ValidationError]:
    """Every error up to ``limit``; a reference the document cannot resolve is a config error."""
    if schema_checks.conforms(validator, instance):
        return []
    found: list[ValidationError] = []
    try:
        for error in validator.iter_errors(instance):
            found.append(error)
            if len(found) >= limit:
                break
    except Unresolvable as exc:
        raise UnresolvableRef(str(getattr(exc, "ref", "")), f"cannot resolve $ref: {exc}") from exc
    return found
