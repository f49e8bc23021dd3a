"""Offline generator: realistic, deterministic values for a JSON Schema when no LLM is set up.

Every random choice comes from a ``Random`` seeded with a hash of the caller's seed and the
value's path in the document, so a value is a pure function of (schema, seed, name) in every
process, and adding a property leaves its siblings unchanged.

Faker calls cost 40-120 µs each and a Faker instance is not thread-safe, so Faker is only used
under a lock to fill small pools of names, cities, companies... once per kind; a call then only
indexes those pools with its own ``Random``, which keeps generation lock-free and fast.

Schemas may be OpenAPI 3.0 (``nullable``, boolean ``exclusiveMinimum``, ``example``) or
OpenAPI 3.1 / JSON Schema 2020-12 (type arrays, numeric ``exclusiveMinimum``, ``const``,
``prefixItems``, ``examples``). Keywords are merged into one flat description per value
(``allOf`` intersected, ``oneOf``/``anyOf`` resolved by picking a branch) and values are built
to satisfy it; a small internal validator checks examples, enum members and the choices that
cannot be made correct by construction (``oneOf`` exclusivity, ``not``), retrying when needed.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import ipaddress
import marshal
import math
import re
import string
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from functools import lru_cache, partial
from random import Random
from typing import Any, Final, Literal

from rstr.xeger import Xeger

from mockmind.domain.memo import BoundedMemo
from mockmind.domain.words import singular

SchemaResolver = Callable[[str], Mapping[str, Any]]
"""Given a ``$ref`` string, returns the schema it points to."""

Schema = Mapping[str, Any] | bool
Direction = Literal["response", "request"]

_INF: Final = math.inf
# A cost for structures too deep to price exactly: dearer than anything ordinary, still possible.
_DEEP_COST: Final = 1_000_000.0
_COST_BUDGET: Final = 16
_ATTEMPTS: Final = 4
_UNIQUE_ATTEMPTS: Final = 8
_PATTERN_ATTEMPTS: Final = 16
# Past max_depth values shrink to their cheapest form; this margin only stops schemas that
# demand infinite data (a required property that requires itself) from exhausting the stack.
_HARD_DEPTH_MARGIN: Final = 24
_MAX_REF_HOPS: Final = 32
_MAX_CHOICES: Final = 16
_POOL_SIZE: Final = 64
_REPEAT_SPAN: Final = 6
_MAP_KEYS: Final = 2
# Distinct schema contents whose flats a generator keeps; the oldest go first past that.
_FLAT_MEMO_SIZE: Final = 4096
# Bumped whenever what is generated for a schema and a seed changes: shared seed sets that an
# older generator wrote to a durable store are then written again (seed_shared's marker).
# tests/unit/test_generator.py holds a digest of known output that fails until it is bumped.
GENERATOR_VERSION: Final = 1

_INT_FORMAT_BOUNDS: Final[Mapping[str, tuple[int, int]]] = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}
_STRING_FORMATS: Final = frozenset(
    {
        "date",
        "date-time",
        "time",
        "email",
        "idn-email",
        "uuid",
        "uri",
        "url",
        "iri",
        "uri-reference",
        "iri-reference",
        "hostname",
        "idn-hostname",
        "ipv4",
        "ipv6",
        "byte",
        "binary",
        "password",
        "duration",
        "regex",
        "json-pointer",
        "uri-template",
    }
)
_OBJECT_KEYWORDS: Final = frozenset(
    {"properties", "required", "patternProperties", "additionalProperties"}
    | {"minProperties", "maxProperties"}
)
_ARRAY_KEYWORDS: Final = frozenset(
    {"items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains"}
)
_NUMBER_KEYWORDS: Final = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
)
_STRING_KEYWORDS: Final = frozenset({"minLength", "maxLength", "pattern", "format"})
# Cheapest first: what a value shrinks to once it is past max_depth.
_CHEAP_ORDER: Final = ("null", "boolean", "integer", "number", "string", "array", "object")
_SCALARS: Final = frozenset({"null", "boolean", "integer", "number", "string"})
# Preference order for a value whose type is only known by exclusion (`not: {type: ...}`).
_ALL_TYPES: Final = ("string", "integer", "number", "boolean", "object", "array", "null")
_NOT_TYPE_KEYWORDS: Final = frozenset({"type", "nullable", "description", "title"})

_EPOCH_2020: Final = 1_577_836_800
_EPOCH_2026: Final = 1_767_225_600
_EPOCH_1950: Final = -631_152_000
_EPOCH_2005: Final = 1_104_537_600

_CURRENCIES: Final = ("USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "SEK", "NZD", "INR")
_STATUSES: Final = ("active", "pending", "completed", "inactive", "processing", "cancelled")
_LANGUAGES: Final = ("en", "fr", "de", "es", "it", "pt", "nl", "ja")
_FILE_EXTENSIONS: Final = ("pdf", "png", "jpg", "csv", "txt", "docx")
_PASSWORD_SYMBOLS: Final = "!@#$%^&*-_"

# (low, high, step for numbers) per hint; integers always step by one.
_NUMERIC_HINTS: Final[Mapping[str, tuple[int, int, Fraction]]] = {
    "id": (1, 99_999, Fraction(1)),
    "price": (1, 500, Fraction(1, 100)),
    "quantity": (1, 20, Fraction(1)),
    "age": (18, 90, Fraction(1)),
    "rating": (1, 5, Fraction(1, 10)),
    "latitude": (-90, 90, Fraction(1, 10**6)),
    "longitude": (-180, 180, Fraction(1, 10**6)),
    "year": (1990, 2026, Fraction(1)),
    "percent": (0, 100, Fraction(1, 10)),
    "datetime": (_EPOCH_2020, _EPOCH_2026, Fraction(1)),
    "date": (_EPOCH_2020, _EPOCH_2026, Fraction(1)),
    "birthdate": (_EPOCH_1950, _EPOCH_2005, Fraction(1)),
}
_DEFAULT_RANGE: Final = (1, 1000)
_HINT_TYPES: Final[Mapping[str, str]] = {
    "price": "number",
    "latitude": "number",
    "longitude": "number",
    "rating": "number",
    "percent": "number",
    "quantity": "integer",
    "age": "integer",
    "year": "integer",
    "flag": "boolean",
}

# Field-name hints. The last word decides first ("total_count" is a count), pairs of words
# come before single ones ("phone_number", "ip_address"), then any word of a strong kind.
_PAIR_HINTS: Final[Mapping[tuple[str, str], str]] = {
    ("first", "name"): "first_name",
    ("given", "name"): "first_name",
    ("last", "name"): "last_name",
    ("family", "name"): "last_name",
    ("sur", "name"): "last_name",
    ("user", "name"): "username",
    ("company", "name"): "company",
    ("organization", "name"): "company",
    ("organisation", "name"): "company",
    ("business", "name"): "company",
    ("file", "name"): "filename",
    ("phone", "number"): "phone",
    ("mobile", "number"): "phone",
    ("telephone", "number"): "phone",
    ("postal", "code"): "postcode",
    ("post", "code"): "postcode",
    ("zip", "code"): "postcode",
    ("country", "code"): "country_code",
    ("currency", "code"): "currency",
    ("api", "key"): "token",
    ("access", "key"): "token",
    ("job", "title"): "job_title",
    ("ip", "address"): "ip",
    ("email", "address"): "email",
    ("birth", "date"): "birthdate",
    ("date", "of"): "birthdate",
    ("home", "page"): "url",
    ("web", "site"): "url",
}
_LAST_HINTS: Final[Mapping[str, str]] = {
    "id": "id",
    "uuid": "id",
    "guid": "id",
    "email": "email",
    "mail": "email",
    "firstname": "first_name",
    "forename": "first_name",
    "lastname": "last_name",
    "surname": "last_name",
    "fullname": "full_name",
    "username": "username",
    "login": "username",
    "handle": "username",
    "nickname": "username",
    "phone": "phone",
    "mobile": "phone",
    "telephone": "phone",
    "tel": "phone",
    "fax": "phone",
    "msisdn": "phone",
    "address": "street",
    "street": "street",
    "city": "city",
    "town": "city",
    "state": "state",
    "province": "state",
    "region": "state",
    "county": "state",
    "country": "country",
    "zip": "postcode",
    "zipcode": "postcode",
    "postcode": "postcode",
    "postalcode": "postcode",
    "company": "company",
    "organization": "company",
    "organisation": "company",
    "employer": "company",
    "title": "title",
    "headline": "title",
    "subject": "title",
    "description": "text",
    "bio": "text",
    "summary": "text",
    "about": "text",
    "note": "text",
    "notes": "text",
    "comment": "text",
    "message": "text",
    "text": "text",
    "content": "text",
    "body": "text",
    "details": "text",
    "caption": "text",
    "url": "url",
    "uri": "url",
    "link": "url",
    "href": "url",
    "website": "url",
    "homepage": "url",
    "avatar": "image",
    "image": "image",
    "photo": "image",
    "picture": "image",
    "thumbnail": "image",
    "logo": "image",
    "icon": "image",
    "price": "price",
    "amount": "price",
    "total": "price",
    "cost": "price",
    "fee": "price",
    "balance": "price",
    "subtotal": "price",
    "tax": "price",
    "salary": "price",
    "revenue": "price",
    "quantity": "quantity",
    "qty": "quantity",
    "count": "quantity",
    "stock": "quantity",
    "at": "datetime",
    "timestamp": "datetime",
    "datetime": "datetime",
    "time": "datetime",
    "date": "date",
    "day": "date",
    "birthday": "birthdate",
    "birthdate": "birthdate",
    "dob": "birthdate",
    "status": "status",
    "currency": "currency",
    "color": "color",
    "colour": "color",
    "lat": "latitude",
    "latitude": "latitude",
    "lng": "longitude",
    "lon": "longitude",
    "long": "longitude",
    "longitude": "longitude",
    "age": "age",
    "rating": "rating",
    "score": "rating",
    "stars": "rating",
    "sku": "sku",
    "slug": "slug",
    "token": "token",
    "secret": "token",
    "apikey": "token",
    "password": "password",
    "passwd": "password",
    "pwd": "password",
    "passphrase": "password",
    "ip": "ip",
    "ipv4": "ip",
    "ipv6": "ip",
    "host": "hostname",
    "hostname": "hostname",
    "domain": "hostname",
    "year": "year",
    "percent": "percent",
    "percentage": "percent",
    "version": "version",
    "language": "language",
    "lang": "language",
    "locale": "language",
    "filename": "filename",
    "enabled": "flag",
    "active": "flag",
    "verified": "flag",
    "visible": "flag",
}
# Words that name the kind wherever they stand ("email_verified_at" is a time, though).
_ANY_HINTS: Final[Mapping[str, str]] = {
    "email": "email",
    "phone": "phone",
    "password": "password",
    "sku": "sku",
    "slug": "slug",
    "currency": "currency",
    "uuid": "id",
}
_IMAGE_WORDS: Final = frozenset(
    {"avatar", "image", "photo", "picture", "thumbnail", "logo", "icon", "img"}
)
# "product_name" is a label, not a person; "display_name" and a bare "name" are people.
_THING_WORDS: Final = frozenset(
    {"product", "item", "project", "team", "group", "category", "event", "tag", "plan", "brand"}
)
# Named schemas whose "name" is a person's: everything else gets a label.
_PERSON_WORDS: Final = frozenset(
    {
        "user",
        "person",
        "people",
        "customer",
        "author",
        "member",
        "employee",
        "contact",
        "owner",
        "account",
        "profile",
        "applicant",
        "patient",
        "student",
        "staff",
        "admin",
        "buyer",
        "seller",
        "follower",
        "friend",
        "guest",
        "client",
        "address",
        "recipient",
        "shipping",
        "billing",
        "teacher",
        "driver",
        "player",
        "candidate",
        "company",
        "organization",
        "organisation",
        "business",
        "pet",
        "animal",
        "dog",
        "cat",
    }
)
_FLAG_PREFIXES: Final = frozenset({"is", "has", "can", "should", "allow", "enable", "enabled"})

# Pools are filled from these Faker providers, once per kind, with a fixed seed.
_FAKER_METHODS: Final[Mapping[str, str]] = {
    "first_name": "first_name",
    "last_name": "last_name",
    "company": "company",
    "street": "street_address",
    "city": "city",
    "state": "state",
    "country": "country",
    "country_code": "country_code",
    "postcode": "postcode",
    "phone": "phone_number",
    "job_title": "job",
    "title": "catch_phrase",
    "domain": "domain_name",
    "email_domain": "free_email_domain",
}
_FALLBACK_WORDS: Final = ("alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "zeta")


class _Omit:
    """Marks a property that the direction hides (readOnly in requests, writeOnly in responses)."""


_OMIT: Final = _Omit()


class OfflineGenerator:
    """Fills JSON Schemas (OpenAPI 3.0 and 3.1 dialects) with realistic, deterministic data.

    Values nested more than ``max_depth`` objects/arrays deep take their cheapest valid form
    (required properties only, ``minItems`` elements, null where allowed, the non-recursive
    branch of a ``oneOf``/``anyOf``), which is what ends circular ``$ref`` chains.

    Thread-safe: per-call state lives in a context object, the shared Faker pools are filled
    under a lock, and the memo of flattened schemas only holds flats that nobody edits.
    """

    def __init__(
        self,
        resolve_ref: SchemaResolver | None = None,
        *,
        locale: str = "en_US",
        max_depth: int = 5,
    ) -> None:
        self._resolve_ref = resolve_ref
        self._pools = _Pools(locale)
        self._max_depth = max(0, max_depth)
        self._flats = _FlatMemo(_FLAT_MEMO_SIZE)
        self._locale = locale

    def settings_key(self) -> str:
        """What, beside a schema and a seed, decides what is generated: this generator's
        version and settings, and Faker's version (its word lists fill the pools)."""
        return f"{GENERATOR_VERSION}/{_faker_version()}/{self._locale}/{self._max_depth}"

    def generate(
        self,
        schema: Mapping[str, Any] | bool,
        *,
        seed: str,
        name: str | None = None,
        direction: Direction = "response",
    ) -> Any:
        """A value that validates against ``schema``, the same for the same inputs.

        ``name`` is the field the value is for; it steers realism when the schema says little.
        ``direction`` hides ``writeOnly`` properties in responses and ``readOnly`` in requests.
        """
        ctx = _Ctx(self._resolve_ref, schema, direction, seed, self._flats)
        value = self._value(ctx, schema, "", name, 0, as_property=False)
        return None if isinstance(value, _Omit) else value

    # -- schema walking -------------------------------------------------------------------

    def _value(
        self,
        ctx: _Ctx,
        schema: Schema,
        path: str,
        name: str | None,
        depth: int,
        *,
        as_property: bool,
    ) -> Any:
        if depth > self._max_depth + _HARD_DEPTH_MARGIN:
            return None
        owner = _owner_of(schema)
        # While a named schema (Product, User) is filled, its fields know whose they are.
        if owner is not None:
            ctx.owners.append(owner)
        try:
            flat = ctx.flats.flatten(ctx, schema)
            if as_property and (flat.write_only if ctx.direction == "response" else flat.read_only):
                return _OMIT
            minimal = depth >= self._max_depth
            if not flat.choices and not flat.nots:
                if flat.discriminator is not None:
                    self._inherited_discriminator(ctx, flat, Random(ctx.seed_int(path + "|d")))
                return self._from_flat(
                    ctx, flat, schema, path=path, name=name, depth=depth, minimal=minimal
                )

            value: Any = None
            for attempt in range(_ATTEMPTS):
                current = flat if attempt == 0 else ctx.flats.flatten(ctx, schema)
                choice_rng = Random(ctx.seed_int(f"{path}|c{attempt}"))
                self._resolve_choices(
                    ctx, current, path, choice_rng, minimal=minimal, attempt=attempt
                )
                self._inherited_discriminator(ctx, current, choice_rng)
                sub_path = path if attempt == 0 else f"{path}~{attempt}"
                value = self._from_flat(
                    ctx, current, schema, path=sub_path, name=name, depth=depth, minimal=minimal
                )
                # oneOf exclusivity and `not` cannot be built in; check and try another way.
                if _is_valid(ctx, value, schema, 0):
                    return value
            return value
        finally:
            if owner is not None:
                ctx.owners.pop()

    def _resolve_choices(
        self, ctx: _Ctx, flat: _Flat, path: str, rng: Random, *, minimal: bool, attempt: int
    ) -> None:
        rounds = 0
        while flat.choices and rounds < _MAX_CHOICES:
            rounds += 1
            _keyword, branches, discriminator = flat.choices.pop(0)
            if not branches:
                continue
            costs = [_cost(ctx, b, frozenset(), _COST_BUDGET) for b in branches]
            possible = [i for i, c in enumerate(costs) if c < _INF] or list(range(len(branches)))
            if minimal:
                possible.sort(key=lambda i: costs[i])
            else:
                # One order per group for all attempts, so a retry tries a branch not yet tried.
                Random(ctx.seed_int(f"{path}|g{rounds}")).shuffle(possible)
            index = possible[attempt % len(possible)]
            branch = branches[index]
            if isinstance(branch, Mapping) and isinstance(branch.get("$ref"), str):
                # The chosen named schema, not the union, is what a discriminator should name.
                flat.identity = branch["$ref"]
            _merge(ctx, flat, branch, 0)
            if isinstance(discriminator, Mapping) and isinstance(branch, Mapping):
                ref = branch.get("$ref")
                if isinstance(ref, str):
                    self._apply_discriminator(ctx, flat, discriminator, ref, rng)

    def _inherited_discriminator(self, ctx: _Ctx, flat: _Flat, rng: Random) -> None:
        """A schema reached by name whose parent has a discriminator names itself in it."""
        if flat.discriminator is not None and flat.identity is not None:
            self._apply_discriminator(ctx, flat, flat.discriminator, flat.identity, rng)

    @staticmethod
    def _apply_discriminator(
        ctx: _Ctx, flat: _Flat, discriminator: Mapping[str, Any], ref: str, rng: Random
    ) -> None:
        prop = discriminator.get("propertyName")
        if not isinstance(prop, str):
            return
        mapping = discriminator.get("mapping")
        keys = (
            [k for k, v in mapping.items() if isinstance(v, str) and _same_ref(v, ref)]
            if isinstance(mapping, Mapping)
            else []
        )
        tag = keys[rng.randrange(len(keys))] if keys else ref.rsplit("/", 1)[-1]
        current: Schema = {"allOf": flat.properties.get(prop, [])}
        # A branch that pins the property to other values wins over the naming convention.
        if _is_valid(ctx, tag, current, 0):
            flat.properties.setdefault(prop, []).append({"const": tag})
            flat.required[prop] = None

    def _from_flat(
        self,
        ctx: _Ctx,
        flat: _Flat,
        raw: Schema,
        *,
        path: str,
        name: str | None,
        depth: int,
        minimal: bool,
    ) -> Any:
        if flat.impossible:
            return None
        rng = Random(ctx.seed_int(path))
        hint = _hint(name)
        if flat.enum is not None:
            return self._pick_enum(ctx, flat.enum, raw, rng, minimal)
        kind = _pick_type(flat, hint, minimal)
        if kind == "null":
            return None
        structured = (
            kind == "object"
            and bool(flat.properties or flat.required or flat.closures or flat.pattern_props)
        ) or (kind == "array" and bool(flat.item_rules))
        if not structured and not minimal and (flat.examples or flat.default):
            example = self._pick_example(ctx, flat, raw, rng, hint)
            if not isinstance(example, _Omit):
                return example
        if kind == "object":
            return self._object(ctx, flat, rng, path=path, depth=depth, minimal=minimal)
        if kind == "array":
            return self._array(ctx, flat, rng, path=path, name=name, depth=depth, minimal=minimal)
        if kind == "boolean":
            choice = rng.random() < (0.7 if hint == "flag" else 0.5)
            return not choice if _excluded(ctx, flat, choice) else choice
        if kind in ("integer", "number"):
            return _number(
                flat, rng, hint, integer=kind == "integer", excluded=partial(_excluded, ctx, flat)
            )
        return self._string(flat, rng, hint, partial(_excluded, ctx, flat))

    @staticmethod
    def _pick_enum(
        ctx: _Ctx, options: Sequence[Any], raw: Schema, rng: Random, minimal: bool
    ) -> Any:
        if not options:
            return None
        start = 0 if minimal else rng.randrange(len(options))
        for offset in range(len(options)):
            candidate = options[(start + offset) % len(options)]
            if _is_valid(ctx, candidate, raw, 0):
                return _clone(candidate)
        return _clone(options[start])

    @staticmethod
    def _pick_example(ctx: _Ctx, flat: _Flat, raw: Schema, rng: Random, hint: str | None) -> Any:
        """Examples read better than invented text, but used every time they make lists dull."""
        if flat.examples:
            candidates = flat.examples
            rate = 0.3 if (hint or flat.formats) else (0.8 if flat.patterns else 0.6)
        else:
            assert flat.default is not None
            candidates = [flat.default[0]]
            rate = 0.2
        if rng.random() >= rate:
            return _OMIT
        candidate = candidates[rng.randrange(len(candidates))]
        if _is_valid(ctx, candidate, raw, 0):
            return _clone(candidate)
        return _OMIT

    # -- objects and arrays ---------------------------------------------------------------

    def _object(
        self, ctx: _Ctx, flat: _Flat, rng: Random, *, path: str, depth: int, minimal: bool
    ) -> dict[str, Any]:
        required = list(flat.required)
        optional = [k for k in flat.properties if k not in flat.required and _key_allowed(flat, k)]
        chosen = set(required)
        budget = None if flat.max_props is None else max(0, flat.max_props - len(required))
        leftovers: list[str] = []
        for key in optional:
            # Like Prism, a response carries every optional field: clients see the full shape.
            if not minimal and (budget is None or budget > 0):
                chosen.add(key)
                budget = None if budget is None else budget - 1
            else:
                leftovers.append(key)

        result: dict[str, Any] = {}
        order = [k for k in flat.properties if k in chosen]
        order += [k for k in required if k not in flat.properties]
        for key in order:
            self._put(ctx, flat, result, key, path=f"{path}/{key}", depth=depth)

        for key in leftovers:
            if len(result) >= flat.min_props:
                break
            self._put(ctx, flat, result, key, path=f"{path}/{key}", depth=depth)

        extra = max(0, flat.min_props - len(result))
        is_map = not flat.properties and (
            any(not isinstance(s, bool) for _, _, s in flat.closures) or bool(flat.pattern_props)
        )
        if is_map and not minimal:
            extra = max(extra, _MAP_KEYS)
        if flat.max_props is not None:
            extra = min(extra, flat.max_props - len(result))
        if extra > 0:
            self._extra_keys(ctx, flat, result, rng, count=extra, path=path, depth=depth)
        return result

    def _put(
        self, ctx: _Ctx, flat: _Flat, result: dict[str, Any], key: str, *, path: str, depth: int
    ) -> None:
        hint_name = key
        if key.lower() in ("name", "title") and ctx.owners and not _is_person(ctx.owners[-1]):
            # A product's or an order's "name" is a label, not a person's name.
            hint_name = "item_name"
        value = self._value(
            ctx, _property_schema(flat, key), path, hint_name, depth + 1, as_property=True
        )
        if not isinstance(value, _Omit):
            result[key] = value

    def _extra_keys(
        self,
        ctx: _Ctx,
        flat: _Flat,
        result: dict[str, Any],
        rng: Random,
        *,
        count: int,
        path: str,
        depth: int,
    ) -> None:
        words = self._pools.words()
        added = 0
        for attempt in range(count * 8):
            if added >= count:
                break
            key: str | None = None
            if flat.pattern_props and attempt % 2 == 0:
                pattern = flat.pattern_props[attempt // 2 % len(flat.pattern_props)][0]
                key = _xeger(rng, [pattern], 1, partial(_search, pattern))
            if key is None:
                key = words[rng.randrange(len(words))]
            if key in result or not _key_allowed(flat, key):
                continue
            self._put(ctx, flat, result, key, path=f"{path}/+{key}", depth=depth)
            added += 1

    def _array(
        self,
        ctx: _Ctx,
        flat: _Flat,
        rng: Random,
        *,
        path: str,
        name: str | None,
        depth: int,
        minimal: bool,
    ) -> list[Any]:
        low = flat.min_items
        high = flat.max_items
        for prefix, items in flat.item_rules:
            if items is False:
                high = len(prefix) if high is None else min(high, len(prefix))
        with_contains = flat.min_contains if flat.contains else 0
        low = max(low, with_contains)
        if minimal:
            count = low
        else:
            start = max(low, 1)
            count = rng.randint(start, start + 2)
        if high is not None:
            count = min(count, high)
        count = max(count, min(low, high) if high is not None else low)

        if flat.unique and not flat.contains and not any(p for p, _ in flat.item_rules):
            # Retries rarely find the last unused member of a small enum; deal them instead.
            domain = _finite_domain(ctx, _item_schema(flat, 0, with_contains=False))
            if domain is not None:
                rng.shuffle(domain)
                return domain[:count]

        values: list[Any] = []
        seen: set[Any] = set()
        for index in range(count):
            item_schema = _item_schema(flat, index, with_contains=index < with_contains)
            value: Any = None
            fresh = False
            tries = _UNIQUE_ATTEMPTS if flat.unique else 1
            for attempt in range(tries):
                item_path = f"{path}/{index}" if attempt == 0 else f"{path}/{index}~{attempt}"
                value = self._value(ctx, item_schema, item_path, name, depth + 1, as_property=False)
                if not flat.unique or _canon(value) not in seen:
                    fresh = True
                    break
            if not fresh and len(values) >= low:
                break
            values.append(value)
            if flat.unique:
                seen.add(_canon(value))
        return values

    # -- strings --------------------------------------------------------------------------

    def _string(
        self, flat: _Flat, rng: Random, hint: str | None, excluded: Callable[[Any], bool]
    ) -> str:
        low = flat.min_len
        high = flat.max_len

        def fits(text: str) -> bool:
            if len(text) < low or (high is not None and len(text) > high):
                return False
            if not all(_search(p, text) for p in flat.patterns):
                return False
            return all(_format_ok(f, text) for f in flat.formats) and not excluded(text)

        for fmt in flat.formats:
            formatted = self._formatted(fmt, rng, hint)
            if formatted is not None and fits(formatted):
                return formatted
        if hint is not None:
            hinted = self._hinted_text(hint, rng)
            if hinted is not None and fits(hinted):
                return hinted
        if flat.patterns:
            matched = _xeger(rng, flat.patterns, low, fits)
            if matched is not None:
                return matched
        return _fit_length(self._lorem(rng), low, high, rng, self._pools.words())

    def _lorem(self, rng: Random) -> str:
        words = self._pools.words()
        return " ".join(words[rng.randrange(len(words))] for _ in range(rng.randint(1, 3)))

    def _sentence(self, rng: Random, low: int, high: int) -> str:
        words = self._pools.words()
        text = " ".join(words[rng.randrange(len(words))] for _ in range(rng.randint(low, high)))
        return text[:1].upper() + text[1:] + "."

    def _formatted(self, fmt: str, rng: Random, hint: str | None) -> str | None:
        match fmt:
            case "date":
                return _date_text(rng, hint)
            case "date-time":
                return _datetime_text(rng, hint)
            case "time":
                return f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z"
            case "email" | "idn-email":
                return self._email(rng)
            case "uuid":
                return str(uuid.UUID(int=rng.getrandbits(128), version=4))
            case "uri" | "url" | "iri":
                return self._url(rng, image=hint == "image")
            case "uri-reference" | "iri-reference":
                return "/" + self._slug(rng)
            case "hostname" | "idn-hostname":
                return self._pools.pick("domain", rng)
            case "ipv4":
                return _ipv4(rng)
            case "ipv6":
                return str(ipaddress.IPv6Address(rng.getrandbits(128)))
            case "byte":
                return base64.b64encode(self._lorem(rng).encode()).decode("ascii")
            case "binary":
                return f"{rng.getrandbits(64):016x}"
            case "password":
                return _password(rng)
            case "duration":
                return f"P{rng.randint(1, 30)}D"
            case "regex":
                return "^[a-z0-9-]+$"
            case "json-pointer":
                return "/" + self._slug(rng).replace("-", "/")
            case "uri-template":
                return f"https://{self._pools.pick('domain', rng)}/items/{{id}}"
        return None

    def _hinted_text(self, hint: str, rng: Random) -> str | None:
        pools = self._pools
        match hint:
            case "id":
                return str(uuid.UUID(int=rng.getrandbits(128), version=4))
            case "email":
                return self._email(rng)
            case "full_name":
                return f"{pools.pick('first_name', rng)} {pools.pick('last_name', rng)}"
            case "username":
                first = _ascii_word(pools.pick("first_name", rng))
                last = _ascii_word(pools.pick("last_name", rng))
                return f"{first}{last[:1]}{rng.randint(1, 99)}" if rng.random() < 0.5 else last
            case "text":
                return self._sentence(rng, 6, 14)
            case "url":
                return self._url(rng, image=False)
            case "image":
                return self._url(rng, image=True)
            case "datetime":
                return _datetime_text(rng, hint)
            case "date" | "birthdate":
                return _date_text(rng, hint)
            case "status":
                return _STATUSES[rng.randrange(len(_STATUSES))]
            case "currency":
                return _CURRENCIES[rng.randrange(len(_CURRENCIES))]
            case "color":
                return f"#{rng.getrandbits(24):06x}"
            case "sku":
                letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(3))
                return f"{letters}-{rng.randint(10_000, 99_999)}"
            case "slug":
                return self._slug(rng)
            case "token":
                return f"{rng.getrandbits(160):040x}"
            case "password":
                return _password(rng)
            case "ip":
                return _ipv4(rng)
            case "hostname":
                return pools.pick("domain", rng)
            case "version":
                return f"{rng.randint(0, 4)}.{rng.randint(0, 20)}.{rng.randint(0, 30)}"
            case "language":
                return _LANGUAGES[rng.randrange(len(_LANGUAGES))]
            case "filename":
                words = pools.words()
                stem = "_".join(words[rng.randrange(len(words))] for _ in range(2))
                return f"{stem}.{_FILE_EXTENSIONS[rng.randrange(len(_FILE_EXTENSIONS))]}"
            case "flag":
                return None
        if hint in _FAKER_METHODS:
            return pools.pick(hint, rng)
        if hint in _NUMERIC_HINTS:
            low, high, step = _NUMERIC_HINTS[hint]
            units = rng.randint(math.ceil(low / step), math.floor(high / step))
            value = units * step
            return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"
        return None

    def _email(self, rng: Random) -> str:
        first = _ascii_word(self._pools.pick("first_name", rng))
        last = _ascii_word(self._pools.pick("last_name", rng))
        local = (
            f"{first}.{last}" if rng.random() < 0.6 else f"{first[:1]}{last}{rng.randint(1, 99)}"
        )
        return f"{local}@{self._pools.pick('email_domain', rng)}"

    def _url(self, rng: Random, *, image: bool) -> str:
        words = self._pools.words()
        word = words[rng.randrange(len(words))]
        if image:
            return f"https://picsum.photos/seed/{word}{rng.randint(1, 999)}/640/480"
        return f"https://www.{self._pools.pick('domain', rng)}/{word}"

    def _slug(self, rng: Random) -> str:
        words = self._pools.words()
        return "-".join(words[rng.randrange(len(words))] for _ in range(rng.randint(2, 4)))


# -- per-call context ---------------------------------------------------------------------


class _Ctx:
    """What one ``generate`` call needs: the ref resolver, the seed hash and memoised costs."""

    __slots__ = ("_base", "_resolver", "_root", "costs", "direction", "flats", "owners", "reads")

    def __init__(
        self,
        resolver: SchemaResolver | None,
        root: Schema,
        direction: Direction,
        seed: str,
        flats: _FlatMemo,
    ) -> None:
        self._resolver = resolver
        self._root = root
        self.direction = direction
        raw = seed.encode()
        # Length-prefixed so that no (seed, path) pair can spell another one.
        self._base = hashlib.blake2b(b"%d:" % len(raw) + raw, digest_size=8)
        self.costs: dict[str, float] = {}
        # Names of the named schemas being filled, innermost last ("product" inside "order").
        self.owners: list[str] = []
        self.flats = flats
        # While a flat for the memo is built: the $refs it reads, with their targets' bytes.
        self.reads: list[tuple[str, bytes | None]] | None = None

    def seed_int(self, path: str) -> int:
        digest = self._base.copy()
        digest.update(path.encode())
        return int.from_bytes(digest.digest(), "big")

    def resolve(self, ref: str) -> Schema:
        target = self._lookup(ref)
        if self.reads is None:
            return target
        blob = _snapshot(target)
        self.reads.append((ref, blob))
        # A private copy, so that the memoised flat never shares objects with the caller.
        return target if blob is None else marshal.loads(blob)

    def _lookup(self, ref: str) -> Schema:
        if self._resolver is not None:
            try:
                return self._resolver(ref)
            except Exception:  # any resolver failure falls back to a local lookup
                pass
        if ref.startswith("#"):
            return _pointer(self._root, ref[1:])
        # An unresolvable reference constrains nothing we can honour.
        return True


def _pointer(root: Schema, pointer: str) -> Schema:
    node: Any = root
    for raw in pointer.split("/")[1:] if pointer else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return True
    return node if isinstance(node, Mapping | bool) else True


def _same_ref(mapped: str, ref: str) -> bool:
    return mapped == ref or mapped.rsplit("/", 1)[-1] == ref.rsplit("/", 1)[-1]


# -- flattening -----------------------------------------------------------------------------


class _FlatMemo:
    """Flattened schemas, by content: flattening them anew took a fifth of ``generate``.

    The key is the schema's marshal bytes (format 2, which writes no back-references, so the
    bytes depend on content alone): deep, exact about types where ``==`` is not (``True``, ``1``
    and ``1.0`` come out differently) and fast. An edited schema misses. A flat is built from
    private copies of the schema and of the ``$ref`` targets it reads, so no later edit of the
    caller's objects reaches it, and a hit first re-resolves those refs and compares their
    bytes: the resolver or the document may have changed, or a ref falls back to another root.
    oneOf/anyOf and discriminators are applied by editing the flat, so those are never shared.
    """

    def __init__(self, size: int) -> None:
        # Per key: the refs read and their targets' bytes, and the flat (None: never shared).
        self._entries: BoundedMemo[
            bytes, tuple[tuple[tuple[str, bytes | None], ...], _Flat | None]
        ] = BoundedMemo(size)

    def flatten(self, ctx: _Ctx, schema: Schema) -> _Flat:
        key = _snapshot(schema) if isinstance(schema, dict) else None
        if key is None:
            return _flatten(ctx, schema)
        entry = self._entries.get(key)
        if entry is not None:
            reads, shared = entry
            if shared is None:
                return _flatten(ctx, schema)  # its caller edits it: a fresh one each time
            if all(_snapshot(ctx.resolve(ref)) == blob for ref, blob in reads):
                return shared
        ctx.reads = []
        try:
            flat = _flatten(ctx, marshal.loads(key))
            reads = tuple(ctx.reads)
        finally:
            ctx.reads = None
        if any(blob is None for _, blob in reads):
            return flat  # a target marshal cannot copy: no private copy, so not shared
        editable = bool(flat.choices) or flat.discriminator is not None
        self._entries.put(key, (reads, None if editable else flat))
        return flat


def _snapshot(schema: Any) -> bytes | None:
    """The schema's bytes, or None for what marshal cannot write (subclasses, dates...)."""
    try:
        return marshal.dumps(schema, 2)
    except ValueError:  # also raised for nesting too deep to write
        return None


@dataclass(slots=True)
class _Flat:
    """Every constraint on one value, with allOf branches and $refs merged in."""

    types: tuple[str, ...] | None = None
    enum: list[Any] | None = None
    impossible: bool = False
    properties: dict[str, list[Schema]] = field(default_factory=dict)
    required: dict[str, None] = field(default_factory=dict)
    # (declared properties, declared patterns, additionalProperties) per schema that closes.
    closures: list[tuple[frozenset[str], tuple[str, ...], Schema]] = field(default_factory=list)
    pattern_props: list[tuple[str, Schema]] = field(default_factory=list)
    min_props: int = 0
    max_props: int | None = None
    # (prefixItems, items) per schema that constrains elements.
    item_rules: list[tuple[tuple[Schema, ...], Schema | None]] = field(default_factory=list)
    min_items: int = 0
    max_items: int | None = None
    unique: bool = False
    contains: list[Schema] = field(default_factory=list)
    min_contains: int = 1
    low: Fraction | None = None
    low_exclusive: bool = False
    high: Fraction | None = None
    high_exclusive: bool = False
    multiples: list[int | float] = field(default_factory=list)
    min_len: int = 0
    max_len: int | None = None
    patterns: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    choices: list[tuple[str, list[Schema], Any]] = field(default_factory=list)
    nots: list[Schema] = field(default_factory=list)
    examples: list[Any] = field(default_factory=list)
    default: tuple[Any] | None = None
    read_only: bool = False
    write_only: bool = False
    discriminator: Mapping[str, Any] | None = None
    identity: str | None = None
    # Derived from the fields above, by (hint, integer), once they are final (``_number`` runs
    # after oneOf/anyOf branches are merged in); a memoised flat keeps them for the next call.
    number_plans: dict[tuple[str | None, bool], _NumberPlan] | None = None


def _flatten(ctx: _Ctx, schema: Schema) -> _Flat:
    flat = _Flat()
    _merge(ctx, flat, schema, 0)
    return flat


def _merge(ctx: _Ctx, flat: _Flat, schema: Schema, hops: int) -> None:
    if schema is False:
        flat.impossible = True
        return
    if not isinstance(schema, Mapping) or hops > _MAX_REF_HOPS:
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if flat.identity is None:
            flat.identity = ref
        _merge(ctx, flat, ctx.resolve(ref), hops + 1)
        # Siblings of $ref count in 3.1; in 3.0 they are ignored, but in practice they are
        # annotations (description, example), and honouring them never breaks the target.

    kind = schema.get("type")
    if kind is not None:
        declared = [kind] if isinstance(kind, str) else [t for t in kind if isinstance(t, str)]
        if schema.get("nullable") is True and "null" not in declared:
            declared.append("null")
        flat.types = _intersect_types(flat.types, tuple(declared))
        if not flat.types:
            flat.impossible = True
    if "enum" in schema and isinstance(schema["enum"], list):
        flat.enum = _intersect_values(flat.enum, schema["enum"])
    if "const" in schema:
        flat.enum = _intersect_values(flat.enum, [schema["const"]])

    # Most schemas use a handful of keywords; skipping whole groups halves the cost of a leaf.
    keys = schema.keys()
    if not keys.isdisjoint(_OBJECT_KEYWORDS):
        _merge_object(flat, schema)
    if not keys.isdisjoint(_ARRAY_KEYWORDS):
        _merge_array(flat, schema)
    if not keys.isdisjoint(_NUMBER_KEYWORDS):
        _merge_number(flat, schema)
    if not keys.isdisjoint(_STRING_KEYWORDS):
        _merge_string(flat, schema)

    for branch in _schema_list(schema.get("allOf")):
        _merge(ctx, flat, branch, hops)
    for keyword in ("oneOf", "anyOf"):
        branches = _schema_list(schema.get(keyword))
        if branches:
            flat.choices.append((keyword, branches, schema.get("discriminator")))
    if "discriminator" in schema and not ("oneOf" in schema or "anyOf" in schema):
        discriminator = schema["discriminator"]
        if isinstance(discriminator, Mapping):
            flat.discriminator = discriminator
    if "not" in schema:
        _merge_not(flat, schema["not"])

    if "example" in schema:
        flat.examples.append(schema["example"])
    examples = schema.get("examples")
    if isinstance(examples, list):
        flat.examples.extend(examples)
    if "default" in schema and flat.default is None:
        flat.default = (schema["default"],)
    if schema.get("readOnly") is True:
        flat.read_only = True
    if schema.get("writeOnly") is True:
        flat.write_only = True


def _merge_not(flat: _Flat, negated: Any) -> None:
    flat.nots.append(negated)
    if negated is True or (isinstance(negated, Mapping) and not negated):
        flat.impossible = True
        return
    if not isinstance(negated, Mapping):
        return
    kind = negated.get("type")
    # A type may only be ruled out when nothing else in the `not` narrows it.
    if kind is not None and set(negated) <= _NOT_TYPE_KEYWORDS:
        excluded = {kind} if isinstance(kind, str) else set(kind)
        if negated.get("nullable") is True:
            excluded.add("null")
        if "number" in excluded:
            excluded.add("integer")
        remaining = tuple(t for t in _ALL_TYPES if t not in excluded)
        flat.types = _intersect_types(flat.types, remaining)
        if not flat.types:
            flat.impossible = True


def _excluded(ctx: _Ctx, flat: _Flat, value: Any) -> bool:
    """Whether a `not` rules the value out; checked while generating, so retries are rare."""
    return any(_is_valid(ctx, value, negated, 0) for negated in flat.nots)


def _merge_object(flat: _Flat, schema: Mapping[str, Any]) -> None:
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        for key, sub in properties.items():
            flat.properties.setdefault(key, []).append(sub)
    required = schema.get("required")
    if isinstance(required, list):
        for key in required:
            if isinstance(key, str):
                flat.required[key] = None
    patterns = schema.get("patternProperties")
    if isinstance(patterns, Mapping):
        flat.pattern_props.extend(patterns.items())
    additional = schema.get("additionalProperties")
    if additional is not None and additional is not True:
        declared = frozenset(properties) if isinstance(properties, Mapping) else frozenset()
        own_patterns = tuple(patterns) if isinstance(patterns, Mapping) else ()
        flat.closures.append((declared, own_patterns, additional))
    if isinstance(schema.get("minProperties"), int):
        flat.min_props = max(flat.min_props, schema["minProperties"])
    if isinstance(schema.get("maxProperties"), int):
        flat.max_props = _lesser(flat.max_props, schema["maxProperties"])


def _merge_array(flat: _Flat, schema: Mapping[str, Any]) -> None:
    items = schema.get("items")
    prefix = schema.get("prefixItems")
    if isinstance(items, list):
        # Draft 4 tuple form: positional schemas, the rest governed by additionalItems.
        flat.item_rules.append((tuple(items), schema.get("additionalItems")))
    elif isinstance(prefix, list):
        flat.item_rules.append((tuple(prefix), items))
    elif items is not None:
        flat.item_rules.append(((), items))
    if isinstance(schema.get("minItems"), int):
        flat.min_items = max(flat.min_items, schema["minItems"])
    if isinstance(schema.get("maxItems"), int):
        flat.max_items = _lesser(flat.max_items, schema["maxItems"])
    if schema.get("uniqueItems") is True:
        flat.unique = True
    if "contains" in schema:
        flat.contains.append(schema["contains"])
        if isinstance(schema.get("minContains"), int):
            flat.min_contains = max(flat.min_contains, schema["minContains"])


def _merge_number(flat: _Flat, schema: Mapping[str, Any]) -> None:
    minimum = _num(schema.get("minimum"))
    maximum = _num(schema.get("maximum"))
    ex_min = schema.get("exclusiveMinimum")
    ex_max = schema.get("exclusiveMaximum")
    if minimum is not None:
        _raise_low(flat, minimum, ex_min is True)
    if maximum is not None:
        _lower_high(flat, maximum, ex_max is True)
    if _num(ex_min) is not None:
        _raise_low(flat, _num(ex_min), True)
    if _num(ex_max) is not None:
        _lower_high(flat, _num(ex_max), True)
    multiple = _num(schema.get("multipleOf"))
    if multiple is not None and multiple > 0:
        flat.multiples.append(multiple)


def _merge_string(flat: _Flat, schema: Mapping[str, Any]) -> None:
    if isinstance(schema.get("minLength"), int):
        flat.min_len = max(flat.min_len, schema["minLength"])
    if isinstance(schema.get("maxLength"), int):
        flat.max_len = _lesser(flat.max_len, schema["maxLength"])
    if isinstance(schema.get("pattern"), str):
        flat.patterns.append(schema["pattern"])
    if isinstance(schema.get("format"), str):
        flat.formats.append(schema["format"])


def _num(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _raise_low(flat: _Flat, value: int | float | None, exclusive: bool) -> None:
    if value is None or not math.isfinite(value):
        return
    bound = Fraction(value)
    if flat.low is None or bound > flat.low or (bound == flat.low and exclusive):
        flat.low, flat.low_exclusive = bound, exclusive


def _lower_high(flat: _Flat, value: int | float | None, exclusive: bool) -> None:
    if value is None or not math.isfinite(value):
        return
    bound = Fraction(value)
    if flat.high is None or bound < flat.high or (bound == flat.high and exclusive):
        flat.high, flat.high_exclusive = bound, exclusive


def _lesser(current: int | None, value: int) -> int:
    return value if current is None else min(current, value)


def _schema_list(value: Any) -> list[Schema]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, Mapping | bool)]


def _intersect_types(current: tuple[str, ...] | None, new: tuple[str, ...]) -> tuple[str, ...]:
    if current is None:
        return new
    result = [t for t in current if t in new or (t == "integer" and "number" in new)]
    if "number" in current and "integer" in new and "integer" not in result:
        result.append("integer")
    return tuple(result)


def _intersect_values(current: list[Any] | None, new: list[Any]) -> list[Any]:
    if current is None:
        return list(new)
    return [v for v in current if any(_json_equal(v, n) for n in new)]


def _property_schema(flat: _Flat, key: str) -> Schema:
    parts: list[Schema] = list(flat.properties.get(key, ()))
    parts += [sub for pattern, sub in flat.pattern_props if _search(pattern, key)]
    for declared, patterns, additional in flat.closures:
        if key not in declared and not any(_search(p, key) for p in patterns):
            parts.append(additional)
    if not parts:
        return True
    return parts[0] if len(parts) == 1 else {"allOf": parts}


def _key_allowed(flat: _Flat, key: str) -> bool:
    return not any(
        additional is False and key not in declared and not any(_search(p, key) for p in pats)
        for declared, pats, additional in flat.closures
    )


def _item_schema(flat: _Flat, index: int, *, with_contains: bool) -> Schema:
    parts: list[Schema] = []
    for prefix, items in flat.item_rules:
        if index < len(prefix):
            parts.append(prefix[index])
        elif items is not None:
            parts.append(items)
    if with_contains:
        parts.extend(flat.contains)
    if not parts:
        return True
    return parts[0] if len(parts) == 1 else {"allOf": parts}


def _finite_domain(ctx: _Ctx, schema: Schema) -> list[Any] | None:
    """Every value ``schema`` allows, when they are few enough to list (enums, booleans)."""
    flat = ctx.flats.flatten(ctx, schema)
    if flat.choices or flat.impossible:
        return None
    if flat.enum is not None:
        candidates = flat.enum
    elif flat.types is not None and set(flat.types) <= {"boolean", "null"}:
        candidates = [
            v for v, t in ((False, "boolean"), (True, "boolean"), (None, "null")) if t in flat.types
        ]
    else:
        return None
    unique = {_canon(v): v for v in candidates if _is_valid(ctx, v, schema, 0)}
    return [_clone(v) for v in unique.values()]


def _pick_type(flat: _Flat, hint: str | None, minimal: bool) -> str:
    options = flat.types if flat.types is not None else (_infer_type(flat, hint),)
    concrete = [t for t in options if t != "null"]
    if not concrete or (minimal and "null" in options):
        return "null"
    if minimal:
        return min(concrete, key=lambda t: _CHEAP_ORDER.index(t) if t in _CHEAP_ORDER else 99)
    if len(concrete) > 1:
        wanted = _HINT_TYPES.get(hint or "", "string")
        if wanted in concrete:
            return wanted
        if wanted == "integer" and "number" in concrete:
            return "integer"
    return concrete[0]


def _infer_type(flat: _Flat, hint: str | None) -> str:
    if flat.properties or flat.required or flat.closures or flat.pattern_props or flat.min_props:
        return "object"
    if flat.item_rules or flat.min_items or flat.max_items is not None or flat.contains:
        return "array"
    if (
        flat.patterns
        or flat.min_len
        or flat.max_len is not None
        or any(f in _STRING_FORMATS for f in flat.formats)
    ):
        return "string"
    if flat.multiples or flat.low is not None or flat.high is not None or flat.formats:
        if any(f in _INT_FORMAT_BOUNDS for f in flat.formats):
            return "integer"
        return "integer" if _HINT_TYPES.get(hint or "") == "integer" else "number"
    return _HINT_TYPES.get(hint or "", "string")


# -- cost: how big the smallest valid value is, to steer away from endless recursion -------


def _cost(ctx: _Ctx, schema: Schema, visiting: frozenset[str], budget: int) -> float:
    if schema is False:
        return _INF
    if not isinstance(schema, Mapping):
        return 1.0
    if budget <= 0:
        return _DEEP_COST
    parts: list[float] = []
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in visiting:
            return _INF
        known = ctx.costs.get(ref)
        if known is None:
            known = _cost(ctx, ctx.resolve(ref), visiting | {ref}, budget - 1)
            # Only a cost computed outside any cycle is the true one for every caller.
            if not visiting:
                ctx.costs[ref] = known
        parts.append(known)
    parts.extend(_cost(ctx, b, visiting, budget - 1) for b in _schema_list(schema.get("allOf")))
    for keyword in ("oneOf", "anyOf"):
        branches = _schema_list(schema.get(keyword))
        if branches:
            parts.append(min(_cost(ctx, b, visiting, budget - 1) for b in branches))
    parts.append(_own_cost(ctx, schema, visiting, budget))
    return max(parts)


def _own_cost(ctx: _Ctx, schema: Mapping[str, Any], visiting: frozenset[str], budget: int) -> float:
    if "enum" in schema or "const" in schema:
        return 1.0
    kind = schema.get("type")
    declared = {kind} if isinstance(kind, str) else set(kind) if isinstance(kind, list) else None
    if declared is None or declared & _SCALARS or schema.get("nullable") is True:
        return 1.0
    options: list[float] = []
    if "array" in declared:
        needed = schema.get("minItems", 0)
        items = schema.get("items", True)
        if isinstance(needed, int) and needed > 0 and isinstance(items, Mapping | bool):
            options.append(1.0 + needed * _cost(ctx, items, visiting, budget - 1))
        else:
            options.append(1.0)
    if "object" in declared:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        required = schema.get("required")
        total = 1.0
        for key in required if isinstance(required, list) else []:
            if key in properties:
                total += _cost(ctx, properties[key], visiting, budget - 1)
        options.append(total)
    return min(options) if options else 1.0


# -- numbers ----------------------------------------------------------------------------------


def _number(
    flat: _Flat,
    rng: Random,
    hint: str | None,
    *,
    integer: bool,
    excluded: Callable[[Any], bool],
) -> int | float:
    plans = flat.number_plans
    if plans is None:
        plans = flat.number_plans = {}
    plan = plans.get((hint, integer))
    if plan is None:
        plan = plans[(hint, integer)] = _number_plan(flat, hint, integer=integer)
    low, low_ex, high, high_ex = plan.low, plan.low_ex, plan.high, plan.high_ex

    def acceptable(value: int | float) -> bool:
        fits = _number_fits(
            value, flat.multiples, low=low, low_ex=low_ex, high=high, high_ex=high_ex
        )
        return fits and not excluded(value)

    for step, first_k, last_k in plan.windows:
        k = rng.randint(first_k, last_k)
        # Float division in validators may reject k*step (12.34 / 0.01 != 1234): try neighbours.
        for offset in _offsets(k, first_k, last_k, 64):
            value = _as_number(offset * step, integer)
            if acceptable(value):
                return value
    if low is not None and high is not None:
        middle = _as_number((low + high) / 2, integer)
        if acceptable(middle):
            return middle
    fallback = low if low is not None else high if high is not None else Fraction(0)
    return _as_number(fallback, integer)


@dataclass(frozen=True, slots=True)
class _NumberPlan:
    """What ``_number`` draws from: the bounds with format limits, and each step's window."""

    low: Fraction | None
    low_ex: bool
    high: Fraction | None
    high_ex: bool
    # (step, first k, last k) per step in the order tried; steps with no window are left out.
    windows: tuple[tuple[Fraction, int, int], ...]


def _number_plan(flat: _Flat, hint: str | None, *, integer: bool) -> _NumberPlan:
    low, low_ex, high, high_ex = flat.low, flat.low_exclusive, flat.high, flat.high_exclusive
    for fmt in flat.formats:
        if fmt in _INT_FORMAT_BOUNDS:
            format_low, format_high = _INT_FORMAT_BOUNDS[fmt]
            if low is None or low < format_low:
                low, low_ex = Fraction(format_low), False
            if high is None or high > format_high:
                high, high_ex = Fraction(format_high), False
    spec = _NUMERIC_HINTS.get(hint or "")
    preferred = (spec[0], spec[1]) if spec else _DEFAULT_RANGE
    if flat.multiples:
        step = Fraction(str(flat.multiples[0]))
        for multiple in flat.multiples[1:]:
            step = _fraction_lcm(step, Fraction(str(multiple)))
        steps = [step]
    elif integer:
        steps = [Fraction(1)]
    else:
        first = spec[2] if spec else Fraction(1, 100)
        # A narrow range may hold no two-decimal number; finer steps still look tidy.
        steps = [first, Fraction(1, 10**4), Fraction(1, 10**8)]
    if integer:
        steps = [_fraction_lcm(s, Fraction(1)) for s in steps]
    windows = []
    for step in steps:
        window = _step_window(step, preferred, low=low, low_ex=low_ex, high=high, high_ex=high_ex)
        if window is not None:
            windows.append((step, *window))
    return _NumberPlan(low, low_ex, high, high_ex, tuple(windows))


@lru_cache(maxsize=4096)
def _step_window(
    step: Fraction,
    preferred: tuple[int, int],
    *,
    low: Fraction | None,
    low_ex: bool,
    high: Fraction | None,
    high_ex: bool,
) -> tuple[int, int] | None:
    first: int | None = None
    last: int | None = None
    if low is not None:
        first = math.ceil(low / step)
        if low_ex and first * step == low:
            first += 1
    if high is not None:
        last = math.floor(high / step)
        if high_ex and last * step == high:
            last -= 1
    if first is not None and last is not None and first > last:
        return None
    pref_first = math.ceil(preferred[0] / step)
    # A coarse step (multipleOf 10 for a 1-5 rating) may skip the whole preferred range.
    pref_last = max(math.floor(preferred[1] / step), pref_first)
    span = max(pref_last - pref_first, 10)
    lo_k = pref_first if first is None else max(first, pref_first)
    hi_k = pref_last if last is None else min(last, pref_last)
    if lo_k <= hi_k:
        return lo_k, hi_k
    if first is None:
        assert last is not None
        return last - span, last
    if last is None:
        return first, first + span
    return first, min(last, first + span)


def _offsets(k: int, first: int, last: int, limit: int) -> Iterable[int]:
    yield k
    for distance in range(1, limit):
        for candidate in (k + distance, k - distance):
            if first <= candidate <= last:
                yield candidate


def _as_number(value: Fraction, integer: bool) -> int | float:
    if integer:
        return math.floor(value) if value.denominator != 1 else value.numerator
    return float(value)


def _number_fits(
    value: int | float,
    multiples: Sequence[int | float],
    *,
    low: Fraction | None,
    low_ex: bool,
    high: Fraction | None,
    high_ex: bool,
) -> bool:
    if isinstance(value, float) and not math.isfinite(value):
        return False
    exact = Fraction(value)
    if low is not None and (exact < low or (low_ex and exact == low)):
        return False
    if high is not None and (exact > high or (high_ex and exact == high)):
        return False
    return all(_is_multiple(value, m) for m in multiples)


def _is_multiple(value: int | float, multiple: int | float) -> bool:
    """The check jsonschema makes, float division included, so its verdict matches ours."""
    if isinstance(multiple, float):
        try:
            quotient = value / multiple
            return int(quotient) == quotient
        except OverflowError:
            return Fraction(value) % Fraction(multiple) == 0
    return value % multiple == 0


def _fraction_lcm(a: Fraction, b: Fraction) -> Fraction:
    return Fraction(math.lcm(a.numerator, b.numerator), math.gcd(a.denominator, b.denominator))


# -- strings ----------------------------------------------------------------------------------


class _ShortXeger(Xeger):
    """rstr lets ``*`` and ``+`` repeat up to 100 times; short strings read better."""

    def __init__(self, rng: Random, span: int) -> None:
        super().__init__(rng)
        self._span = span

    def _handle_repeat(self, start_range: int, end_range: int, value: str) -> str:
        return super()._handle_repeat(start_range, min(end_range, start_range + self._span), value)


def _xeger(
    rng: Random, patterns: Sequence[str], low: int, accept: Callable[[str], bool]
) -> str | None:
    xeger = _ShortXeger(rng, max(_REPEAT_SPAN, low))
    for attempt in range(_PATTERN_ATTEMPTS):
        pattern = patterns[attempt % len(patterns)]
        try:
            text = xeger.xeger(pattern)
        except (re.error, KeyError, IndexError, ValueError, TypeError, OverflowError):
            return None
        candidates = [text]
        if len(text) < low:
            # Patterns match anywhere unless anchored, so padding can keep the match.
            pad = "x" * (low - len(text))
            candidates += [text + pad, pad + text]
        for candidate in candidates:
            if accept(candidate):
                return candidate
    return None


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except (re.error, OverflowError, RecursionError):
        return None


def _search(pattern: str, text: str) -> bool:
    compiled = _compiled(pattern)
    # A pattern Python cannot read (ECMA-only syntax) cannot be checked either; do not block.
    return compiled is None or compiled.search(text) is not None


def _fit_length(text: str, low: int, high: int | None, rng: Random, words: Sequence[str]) -> str:
    while len(text) < low:
        text += " " + words[rng.randrange(len(words))]
    if high is not None and len(text) > high:
        text = text[:high].rstrip()
    if len(text) < low:
        text += "x" * (low - len(text))
    return text


def _date_text(rng: Random, hint: str | None) -> str:
    if hint == "birthdate":
        start, days = date(1950, 1, 1), 55 * 365
    else:
        start, days = date(2020, 1, 1), 6 * 365
    return (start + timedelta(days=rng.randrange(days))).isoformat()


def _datetime_text(rng: Random, hint: str | None) -> str:
    low, high = (_EPOCH_1950, _EPOCH_2005) if hint == "birthdate" else (_EPOCH_2020, _EPOCH_2026)
    moment = datetime.fromtimestamp(rng.randrange(low, high), UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ipv4(rng: Random) -> str:
    first = rng.choice((23, 34, 52, 64, 81, 104, 142, 151, 172, 185, 203, 212))
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randint(1, 254)}"


def _password(rng: Random) -> str:
    chars = [
        rng.choice(string.ascii_uppercase),
        rng.choice(string.ascii_lowercase),
        rng.choice(string.digits),
        rng.choice(_PASSWORD_SYMBOLS),
    ]
    alphabet = string.ascii_letters + string.digits + _PASSWORD_SYMBOLS
    chars += [rng.choice(alphabet) for _ in range(rng.randint(8, 12))]
    rng.shuffle(chars)
    return "".join(chars)


def _ascii_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower()) or "user"


# -- field-name hints ---------------------------------------------------------------------------


def _owner_of(schema: Schema) -> str | None:
    """``product`` for a ``{"$ref": "#/components/schemas/Product"}``; None otherwise."""
    if not isinstance(schema, Mapping):
        return None
    ref = schema.get("$ref")
    if not isinstance(ref, str) or "/" not in ref:
        return None
    word = re.sub(r"(?<!^)(?=[A-Z])", "_", ref.rsplit("/", 1)[-1]).lower().split("_")[0]
    return word or None


def _is_person(owner: str) -> bool:
    return owner in _PERSON_WORDS or singular(owner) in _PERSON_WORDS


@lru_cache(maxsize=4096)
def _hint(name: str | None) -> str | None:
    if not name:
        return None
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", spaced)
    tokens = tuple(t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t)
    if not tokens:
        return None
    found = _classify(tokens)
    if found is None and tokens[-1].endswith("s"):
        found = _classify((*tokens[:-1], singular(tokens[-1])))
    return found


def _classify(tokens: tuple[str, ...]) -> str | None:
    last = tokens[-1]
    kind: str | None = None
    if len(tokens) >= 2:
        kind = _PAIR_HINTS.get((tokens[-2], last))
    if kind is None and last == "name":
        before = tokens[-2] if len(tokens) >= 2 else ""
        kind = "title" if before in _THING_WORDS else _LAST_HINTS.get(before + "name", "full_name")
        if before in ("company", "organization", "organisation", "business"):
            kind = "company"
    if kind is None:
        kind = _LAST_HINTS.get(last)
        if kind is None and len(tokens) >= 2:
            kind = _LAST_HINTS.get(tokens[-2] + last)
    if kind is None:
        kind = next((_ANY_HINTS[t] for t in tokens if t in _ANY_HINTS), None)
    if kind is None and tokens[0] in _FLAG_PREFIXES and len(tokens) > 1:
        kind = "flag"
    if kind == "url" and _IMAGE_WORDS.intersection(tokens):
        kind = "image"
    if kind in ("date", "datetime") and {"birth", "dob"} & set(tokens):
        kind = "birthdate"
    return kind


# -- Faker pools --------------------------------------------------------------------------------


class _Pools:
    """Faker output sampled once per kind with a fixed seed, so every process sees the same."""

    def __init__(self, locale: str) -> None:
        self._locale = locale
        self._lock = threading.Lock()
        self._pools: dict[str, tuple[str, ...]] = {}
        self._faker: Any = None

    def pick(self, kind: str, rng: Random) -> str:
        pool = self._pools.get(kind)
        if pool is None:
            pool = self._fill(kind)
        return pool[rng.randrange(len(pool))]

    def words(self) -> tuple[str, ...]:
        pool = self._pools.get("word")
        return pool if pool is not None else self._fill("word")

    def _fill(self, kind: str) -> tuple[str, ...]:
        with self._lock:
            pool = self._pools.get(kind)
            if pool is not None:
                return pool
            fake = self._fake()
            values: Iterable[str]
            if kind == "word":
                try:
                    values = [w for w in fake.get_words_list() if w.isalpha()]
                except AttributeError:
                    values = _FALLBACK_WORDS
            else:
                # A per-kind seed keeps each pool the same whatever order pools are filled in.
                fake.seed_instance(int.from_bytes(hashlib.blake2b(kind.encode()).digest()[:8]))
                try:
                    method = getattr(fake, _FAKER_METHODS[kind])
                    values = [str(method()) for _ in range(_POOL_SIZE)]
                except AttributeError:
                    values = _FALLBACK_WORDS
            pool = tuple(dict.fromkeys(values)) or _FALLBACK_WORDS
            self._pools[kind] = pool
            return pool

    def _fake(self) -> Any:
        if self._faker is None:
            # Imported here: Faker takes a while to load, and many processes never need it.
            from faker import Faker  # noqa: PLC0415

            self._faker = Faker(self._locale)
        return self._faker


# -- validation: a small checker for the keywords above -----------------------------------------


def _is_valid(ctx: _Ctx, value: Any, schema: Schema, hops: int) -> bool:
    if schema is True:
        return True
    if schema is False:
        return False
    if not isinstance(schema, Mapping) or hops > _MAX_REF_HOPS:
        return True
    ref = schema.get("$ref")
    if isinstance(ref, str) and not _is_valid(ctx, value, ctx.resolve(ref), hops + 1):
        return False
    kind = schema.get("type")
    if kind is not None:
        declared = [kind] if isinstance(kind, str) else list(kind)
        if schema.get("nullable") is True:
            declared.append("null")
        if not any(_is_type(value, t) for t in declared):
            return False
    if isinstance(schema.get("enum"), list) and not any(
        _json_equal(value, e) for e in schema["enum"]
    ):
        return False
    if "const" in schema and not _json_equal(value, schema["const"]):
        return False
    if _is_type(value, "number"):
        if not _number_valid(value, schema):
            return False
    elif isinstance(value, str):
        if not _string_valid(value, schema):
            return False
    elif isinstance(value, list):
        if not _array_valid(ctx, value, schema):
            return False
    elif isinstance(value, dict) and not _object_valid(ctx, value, schema):
        return False
    if not all(_is_valid(ctx, value, s, hops) for s in _schema_list(schema.get("allOf"))):
        return False
    any_of = _schema_list(schema.get("anyOf"))
    if any_of and not any(_is_valid(ctx, value, s, hops) for s in any_of):
        return False
    one_of = _schema_list(schema.get("oneOf"))
    if one_of and sum(1 for s in one_of if _is_valid(ctx, value, s, hops)) != 1:
        return False
    negated = schema.get("not")
    return not (isinstance(negated, Mapping | bool) and _is_valid(ctx, value, negated, hops))


def _is_type(value: Any, kind: str) -> bool:
    match kind:
        case "null":
            return value is None
        case "boolean":
            return isinstance(value, bool)
        case "integer":
            if isinstance(value, bool):
                return False
            return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        case "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
        case "string":
            return isinstance(value, str)
        case "array":
            return isinstance(value, list)
        case "object":
            return isinstance(value, dict)
    return True


def _number_valid(value: int | float, schema: Mapping[str, Any]) -> bool:
    fmt = schema.get("format")
    bounds = _INT_FORMAT_BOUNDS.get(fmt) if isinstance(fmt, str) else None
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        return False
    flat = _Flat()
    _merge_number(flat, schema)
    return _number_fits(
        value,
        flat.multiples,
        low=flat.low,
        low_ex=flat.low_exclusive,
        high=flat.high,
        high_ex=flat.high_exclusive,
    )


def _string_valid(value: str, schema: Mapping[str, Any]) -> bool:
    low = schema.get("minLength")
    high = schema.get("maxLength")
    if isinstance(low, int) and len(value) < low:
        return False
    if isinstance(high, int) and len(value) > high:
        return False
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not _search(pattern, value):
        return False
    fmt = schema.get("format")
    return not isinstance(fmt, str) or _format_ok(fmt, value)


def _array_valid(ctx: _Ctx, value: list[Any], schema: Mapping[str, Any]) -> bool:
    low = schema.get("minItems")
    high = schema.get("maxItems")
    if isinstance(low, int) and len(value) < low:
        return False
    if isinstance(high, int) and len(value) > high:
        return False
    if schema.get("uniqueItems") is True and len({_canon(v) for v in value}) != len(value):
        return False
    items = schema.get("items")
    prefix = schema.get("prefixItems")
    if isinstance(items, list):
        prefix, items = items, schema.get("additionalItems")
    positional = prefix if isinstance(prefix, list) else []
    for index, element in enumerate(value):
        if index < len(positional):
            rule = positional[index]
        elif isinstance(items, Mapping | bool):
            rule = items
        else:
            continue
        if not _is_valid(ctx, element, rule, 0):
            return False
    contains = schema.get("contains")
    if isinstance(contains, Mapping | bool):
        found = sum(1 for element in value if _is_valid(ctx, element, contains, 0))
        at_least = schema.get("minContains", 1)
        at_most = schema.get("maxContains")
        if isinstance(at_least, int) and found < at_least:
            return False
        if isinstance(at_most, int) and found > at_most:
            return False
    return True


def _object_valid(ctx: _Ctx, value: dict[str, Any], schema: Mapping[str, Any]) -> bool:
    low = schema.get("minProperties")
    high = schema.get("maxProperties")
    if isinstance(low, int) and len(value) < low:
        return False
    if isinstance(high, int) and len(value) > high:
        return False
    required = schema.get("required")
    if isinstance(required, list) and any(k not in value for k in required):
        return False
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    patterns = schema.get("patternProperties")
    patterns = patterns if isinstance(patterns, Mapping) else {}
    additional = schema.get("additionalProperties", True)
    for key, element in value.items():
        matched = False
        if key in properties:
            matched = True
            if not _is_valid(ctx, element, properties[key], 0):
                return False
        for pattern, sub in patterns.items():
            if _search(pattern, key):
                matched = True
                if not _is_valid(ctx, element, sub, 0):
                    return False
        if not matched and not _is_valid(ctx, element, additional, 0):
            return False
    return True


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_TIME = re.compile(r"^\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
# Stricter than RFC 3986 on purpose: an example is only reused when no validator would balk.
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#]+[^\s]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _format_ok(fmt: str, text: str) -> bool:
    """The formats generated here, checked as strictly as common validators do."""
    try:
        match fmt:
            case "date":
                return len(text) == 10 and date.fromisoformat(text) is not None
            case "date-time":
                return bool(_DATE_TIME.match(text)) and _parses_datetime(text)
            case "time":
                return bool(_TIME.match(text))
            case "email" | "idn-email":
                return bool(_EMAIL.match(text))
            case "uuid":
                uuid.UUID(text)
                return all(text[i] == "-" for i in (8, 13, 18, 23))
            case "ipv4":
                ipaddress.IPv4Address(text)
                return True
            case "ipv6":
                ipaddress.IPv6Address(text)
                return True
            case "hostname":
                return bool(_HOSTNAME.match(text))
            case "uri" | "url" | "iri":
                return bool(_URI.match(text))
            case "byte":
                base64.b64decode(text, validate=True)
                return True
    except (ValueError, IndexError):
        return False
    return True


def _parses_datetime(text: str) -> bool:
    datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    return True


def _json_equal(a: Any, b: Any) -> bool:
    return bool(_canon(a) == _canon(b))


def _canon(value: Any) -> Any:
    """A hashable form in which JSON-equal values are equal (1 == 1.0, but True != 1)."""
    if isinstance(value, bool) or value is None:
        return ("k", value)
    if isinstance(value, int | float):
        if isinstance(value, float) and value.is_integer():
            return ("n", int(value))
        return ("n", value)
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, list | tuple):
        return ("a", tuple(_canon(v) for v in value))
    if isinstance(value, Mapping):
        return ("o", frozenset((k, _canon(v)) for k, v in value.items()))
    return ("?", repr(value))


def _clone(value: Any) -> Any:
    """Schema values handed out must not let a caller edit the schema through them."""
    if isinstance(value, Mapping):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clone(v) for v in value]
    return value


@lru_cache(maxsize=1)
def _faker_version() -> str:
    # From its metadata: importing Faker to ask costs a tenth of a second.
    try:
        return importlib.metadata.version("faker")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
