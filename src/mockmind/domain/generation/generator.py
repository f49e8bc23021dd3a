"""The offline generator: walks a schema and builds a value that satisfies it.

Every random choice comes from the value's ``Draws``, bits of a hash of the caller's seed and
the value's path in the document, so a value is a pure function of (schema, seed, name) in
every process, and adding a property leaves its siblings unchanged.

Each value's schema is flattened (``flattening``, memoised in a ``FlatMemo``); ``oneOf`` and
``anyOf`` are resolved by picking a branch and merging it in (``choices``); objects and
arrays are walked here, numbers come from ``number_planning`` and strings from ``strings``.
``validation`` checks examples, enum members and what cannot be made correct by construction
(``oneOf`` exclusivity, ``not``), and a failed check is retried another way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Final

from mockmind.domain.generation.choices import inherited_discriminator, resolve_choices
from mockmind.domain.generation.context import GenerationContext
from mockmind.domain.generation.draws import Draws
from mockmind.domain.generation.exclusivity import made_exclusive
from mockmind.domain.generation.faker_pools import FakerPools
from mockmind.domain.generation.flat_memo import FLAT_MEMO_SIZE, FlatMemo, reads_hold
from mockmind.domain.generation.flattening import (
    Flat,
    Member,
    element_schema,
    key_allowed,
    pick_type,
)
from mockmind.domain.generation.hints import field_hint, is_person, owner_of
from mockmind.domain.generation.json_values import canon, clone
from mockmind.domain.generation.layouts import element_member, new_member, object_layout
from mockmind.domain.generation.number_planning import fallback_number, pick_number
from mockmind.domain.generation.patterns import matching_text, search
from mockmind.domain.generation.repairing import repaired
from mockmind.domain.generation.schemas import Direction, Schema, SchemaResolver
from mockmind.domain.generation.strings import TextMaker
from mockmind.domain.generation.validation import is_valid
from mockmind.domain.generation.version import settings_key
from mockmind.domain.generation.vouching import vouched
from mockmind.domain.memo import BoundedMemo

_ATTEMPTS: Final = 4
_MAX_ATTEMPTS: Final = 12
_UNIQUE_ATTEMPTS: Final = 8
# Past max_depth values shrink to their cheapest form; this margin only stops schemas that
# demand infinite data (a required property that requires itself) from exhausting the stack.
_HARD_DEPTH_MARGIN: Final = 24


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
        flat_memo: FlatMemo | None = None,
    ) -> None:
        """``flat_memo`` keeps flattened schemas between calls; by default the generator has
        its own. One memo may serve several generators (hits re-check the refs they read)."""
        self._resolve_ref = resolve_ref
        self._pools = FakerPools(locale)
        self._texts = TextMaker(self._pools)
        self._max_depth = max(0, max_depth)
        self._flats = flat_memo if flat_memo is not None else FlatMemo()
        self._locale = locale
        # Immutable roots' flats, owners and whether their values are valid by construction
        # (``vouching``), by the schema's id (``generate``).
        self._kept: BoundedMemo[int, tuple[Schema, Flat, str | None, bool]] = BoundedMemo(
            FLAT_MEMO_SIZE
        )

    def settings_key(self) -> str:
        """What, beside a schema and a seed, decides what is generated: this generator's
        version and settings, and Faker's version (its word lists fill the pools)."""
        return settings_key(self._locale, self._max_depth)

    def generate(
        self,
        schema: Mapping[str, Any] | bool,
        *,
        seed: str,
        name: str | None = None,
        direction: Direction = "response",
        immutable: bool = False,
    ) -> Any:
        """A value that validates against ``schema``, the same for the same inputs.

        ``name`` is the field the value is for; it steers realism when the schema says little.
        ``direction`` hides ``writeOnly`` properties in responses and ``readOnly`` in requests.
        ``immutable``: the caller vouches that ``schema``, and every schema this generator's
        resolver gives for its refs, never change (a loaded document's); its flat is then
        kept by the schema's identity, without the memo's check of its content and refs.
        """
        ctx = GenerationContext(self._resolve_ref, schema, direction, seed)
        if immutable:
            kept = self._kept_flat(ctx, schema)
            value = self._value(
                ctx, schema, "", name, 0, as_property=False, flat=kept[1], owner=kept[2]
            )
        else:
            value = self._value(ctx, schema, "", name, 0, as_property=False)
        return None if isinstance(value, _Omit) else value

    def generate_vouched(
        self, schema: Mapping[str, Any] | bool, *, seed: str, name: str | None = None
    ) -> tuple[Any, bool]:
        """``generate(schema, seed=seed, name=name, immutable=True)`` for a response, and
        whether the value is valid by construction (``vouching``): when True the caller need
        not check it; when False it may break ``schema`` and is worth checking."""
        ctx = GenerationContext(self._resolve_ref, schema, "response", seed)
        _, flat, owner, constructed = self._kept_flat(ctx, schema)
        value = self._value(ctx, schema, "", name, 0, as_property=False, flat=flat, owner=owner)
        if isinstance(value, _Omit):
            return None, False
        return value, constructed and not ctx.unchecked

    def _kept_flat(
        self, ctx: GenerationContext, schema: Schema
    ) -> tuple[Schema, Flat, str | None, bool]:
        """An immutable root's entry: the schema, its flat and owner, and whether its values
        are vouched for. The entry holds the schema, so its id is not reused while kept; a
        flat that the walk edits (choices) is never kept, and then nothing is vouched for."""
        kept = self._kept.get(id(schema))
        if kept is not None and kept[0] is schema:
            return kept
        flat, reads = self._flats.flatten_shared(schema, ctx.resolve)
        entry = (schema, flat, owner_of(schema), False)
        if reads is not None:
            entry = (schema, flat, entry[2], vouched(schema, ctx.resolve))
            self._kept.put(id(schema), entry)
        return entry

    def repair(
        self,
        schema: Mapping[str, Any] | bool,
        value: Any,
        *,
        seed: str,
        direction: Direction = "response",
    ) -> Any:
        """``value`` when it validates against ``schema``, else the closest value that does:
        what fits is kept, forbidden properties dropped, the rest generated (``repairing``)."""
        ctx = GenerationContext(self._resolve_ref, schema, direction, seed)

        def generate(sub: Schema, sub_seed: str) -> Any:
            # A part of ``schema`` is generated with ``schema`` as the root its "#/..." name.
            sub_ctx = GenerationContext(self._resolve_ref, schema, direction, sub_seed)
            made = self._value(sub_ctx, sub, "", None, 0, as_property=False)
            return None if isinstance(made, _Omit) else made

        return repaired(
            value,
            schema,
            resolve=ctx.resolve,
            generate=generate,
            flats=self._flats,
            seed=seed,
            direction=direction,
        )

    def is_valid(self, schema: Mapping[str, Any] | bool, value: Any) -> bool:
        """Whether ``value`` validates against ``schema`` (the generator's own strict check)."""
        ctx = GenerationContext(self._resolve_ref, schema, "response", "")
        return is_valid(ctx.resolve, value, schema, 0)

    # -- schema walking -------------------------------------------------------------------

    def _value(
        self,
        ctx: GenerationContext,
        schema: Schema,
        path: str,
        name: str | None,
        depth: int,
        *,
        as_property: bool,
        flat: Flat | None = None,
        owner: str | None = None,
    ) -> Any:
        """The value at ``path``; ``flat`` is ``schema``'s when the caller has it (an object's
        member), and ``owner`` is then ``schema``'s owner."""
        if depth > self._max_depth + _HARD_DEPTH_MARGIN:
            return None
        if flat is None:
            owner = owner_of(schema)
        # While a named schema (Product, User) is filled, its fields know whose they are.
        if owner is not None:
            ctx.owners.append(owner)
        try:
            if flat is None:
                flat = self._flats.flatten(schema, ctx.resolve)
            if as_property and (flat.write_only if ctx.direction == "response" else flat.read_only):
                return _OMIT
            minimal = depth >= self._max_depth
            if not flat.choices and not flat.nots:
                if flat.discriminator is not None:
                    inherited_discriminator(ctx, flat, ctx.draws(path + "|d"))
                return self._from_flat(
                    ctx, flat, schema, path=path, name=name, depth=depth, minimal=minimal
                )

            value: Any = None
            # At least one try per branch of the first choice, so a satisfiable branch is found
            # when the others only give values several branches accept.
            widest = max((len(branches) for _, branches, _ in flat.choices), default=0)
            for attempt in range(min(max(_ATTEMPTS, widest), _MAX_ATTEMPTS)):
                current = flat if attempt == 0 else self._flats.flatten(schema, ctx.resolve)
                choice_rng = ctx.draws(f"{path}|c{attempt}")
                resolve_choices(ctx, current, path, choice_rng, minimal=minimal, attempt=attempt)
                inherited_discriminator(ctx, current, choice_rng)
                sub_path = path if attempt == 0 else f"{path}~{attempt}"
                value = self._from_flat(
                    ctx, current, schema, path=sub_path, name=name, depth=depth, minimal=minimal
                )
                # oneOf exclusivity and `not` cannot be built in; check and try another way.
                if is_valid(ctx.resolve, value, schema, 0):
                    return value
                exclusive = made_exclusive(ctx.resolve, self._flats, value, schema)
                if exclusive is not None:
                    return exclusive
            # No branch gives a value on its own (each object fits several branches): null,
            # where the schema allows it beside its choices (3.0's `nullable` without a type).
            if isinstance(schema, Mapping) and schema.get("nullable") is True:
                return None
            return value
        finally:
            if owner is not None:
                ctx.owners.pop()

    def _from_flat(
        self,
        ctx: GenerationContext,
        flat: Flat,
        raw: Schema,
        *,
        path: str,
        name: str | None,
        depth: int,
        minimal: bool,
    ) -> Any:
        if flat.impossible:
            return None
        hint = field_hint(name)
        if flat.enum is not None:
            return self._pick_enum(ctx, flat, flat.enum, raw, ctx.draws(path), minimal)
        kinds = flat.kinds
        if kinds is None:
            kinds = flat.kinds = {}
        kind = kinds.get((hint, minimal))
        if kind is None:
            kind = kinds[(hint, minimal)] = pick_type(flat, hint, minimal)
        if kind == "null":
            return None
        structured = (
            kind == "object"
            and bool(flat.properties or flat.required or flat.closures or flat.pattern_props)
        ) or (kind == "array" and bool(flat.item_rules))
        # An object rarely draws (only for extra keys): its draws are made when needed, and
        # the ones made first are the ones used after.
        rng: Draws | None = None
        if not structured and not minimal and (flat.examples or flat.default):
            rng = ctx.draws(path)
            example = self._pick_example(ctx, flat, raw, rng, hint)
            if not isinstance(example, _Omit):
                return example
        if kind == "object":
            return self._object(ctx, flat, rng, path=path, depth=depth, minimal=minimal)
        if rng is None:
            rng = ctx.draws(path)
        if kind == "array":
            return self._array(ctx, flat, rng, path=path, name=name, depth=depth, minimal=minimal)
        if kind == "boolean":
            choice = rng.random() < (0.7 if hint == "flag" else 0.5)
            return not choice if _excluded(ctx, flat, choice) else choice
        # What rules a value out: the flat's `not`s, and nothing at all when it has none.
        rules = partial(_excluded, ctx, flat) if flat.nots else _nothing
        if kind in ("integer", "number"):
            integer = kind == "integer"
            number = pick_number(flat, rng, hint, integer=integer, excluded=rules)
            if number is None:
                ctx.unchecked = True
                number = fallback_number(flat, hint, integer=integer, excluded=rules)
            return number
        return self._texts.text(flat, rng, hint, rules)

    @staticmethod
    def _pick_enum(
        ctx: GenerationContext,
        flat: Flat,
        options: Sequence[Any],
        raw: Schema,
        rng: Draws,
        minimal: bool,
    ) -> Any:
        if not options:
            return None
        start = 0 if minimal else rng.randrange(len(options))
        verdicts = _enum_verdicts(ctx, flat, options, raw)
        for offset in range(len(options)):
            index = (start + offset) % len(options)
            candidate = options[index]
            valid = (
                verdicts[index]
                if verdicts is not None
                else is_valid(ctx.resolve, candidate, raw, 0)
            )
            if valid:
                return clone(candidate)
        ctx.unchecked = True
        return clone(options[start])

    @staticmethod
    def _pick_example(
        ctx: GenerationContext, flat: Flat, raw: Schema, rng: Draws, hint: str | None
    ) -> Any:
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
        if is_valid(ctx.resolve, candidate, raw, 0):
            return clone(candidate)
        return _OMIT

    # -- objects and arrays ---------------------------------------------------------------

    def _object(
        self,
        ctx: GenerationContext,
        flat: Flat,
        rng: Draws | None,
        *,
        path: str,
        depth: int,
        minimal: bool,
    ) -> dict[str, Any]:
        layout = object_layout(flat, minimal=minimal)
        result: dict[str, Any] = {}
        for member in layout.members:
            self._put(ctx, member, result, path=f"{path}/{member.key}", depth=depth)

        for member in layout.leftovers:
            if len(result) >= flat.min_props:
                break
            self._put(ctx, member, result, path=f"{path}/{member.key}", depth=depth)

        extra = max(0, flat.min_props - len(result), layout.map_keys)
        if flat.max_props is not None:
            extra = min(extra, flat.max_props - len(result))
        if extra > 0:
            rng = rng if rng is not None else ctx.draws(path)
            self._extra_keys(ctx, flat, result, rng, count=extra, path=path, depth=depth)
        return result

    def _put(
        self,
        ctx: GenerationContext,
        member: Member,
        result: dict[str, Any],
        *,
        path: str,
        depth: int,
    ) -> None:
        key = member.key
        hint_name = key
        if member.label and ctx.owners and not is_person(ctx.owners[-1]):
            # A product's or an order's "name" is a label, not a person's name.
            hint_name = "item_name"
        # _member_flat's first test inline: a member kept with a flat that read no refs.
        known = member.known
        value = self._value(
            ctx,
            member.schema,
            path,
            hint_name,
            depth + 1,
            as_property=True,
            flat=known[0] if known is not None and not known[1] else self._member_flat(ctx, member),
            owner=member.owner,
        )
        if isinstance(value, _Omit):
            return
        if (
            member.optional
            and isinstance(value, str)
            and not self._matches_patterns(ctx, member, value)
        ):
            # No text was found for its pattern (peertube's ``/^[a-z0-9._]+$/``, written as a
            # JavaScript literal, matches nothing): an optional field is left out rather than
            # answered with text that breaks it.
            return
        result[key] = value

    def _member_flat(self, ctx: GenerationContext, member: Member) -> Flat:
        """The flat of a member's schema: the one kept on the member while the refs it read
        name targets of the same bytes (checked once per call: an array's items share one
        member), else the memo's, kept on the member when it is shared."""
        known = member.known
        if known is not None:
            reads = known[1]
            if not reads or ctx.held.get(id(reads)) is reads:
                return known[0]
            if reads_hold(reads, ctx.resolve):
                # Held by the call, so that its id is not another tuple's while it runs.
                ctx.held[id(reads)] = reads
                return known[0]
        flat, shared_reads = self._flats.flatten_shared(member.schema, ctx.resolve)
        member.known = None if shared_reads is None else (flat, shared_reads)
        return flat

    def _matches_patterns(self, ctx: GenerationContext, member: Member, value: str) -> bool:
        # A shared flat is as it was made; another was made for this value, and the branches
        # of its oneOf/anyOf merged into it: the patterns are those of a fresh one.
        known = member.known
        flat = known[0] if known is not None else self._flats.flatten(member.schema, ctx.resolve)
        return all(search(pattern, value) for pattern in flat.patterns)

    def _extra_keys(
        self,
        ctx: GenerationContext,
        flat: Flat,
        result: dict[str, Any],
        rng: Draws,
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
                key = matching_text(rng, [pattern], 1, partial(search, pattern))
            if key is None:
                key = words[rng.randrange(len(words))]
            if key in result or not key_allowed(flat, key):
                continue
            self._put(
                ctx,
                new_member(flat, key, optional=False),
                result,
                path=f"{path}/+{key}",
                depth=depth,
            )
            added += 1

    def _array(
        self,
        ctx: GenerationContext,
        flat: Flat,
        rng: Draws,
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
            domain = self._finite_domain(ctx, element_schema(flat, 0, with_contains=False))
            if domain is not None:
                rng.shuffle(domain)
                return domain[:count]

        # Past the contains-checked ones, elements without prefixItems share one schema: one
        # member, whose flat is found once.
        element = None if any(p for p, _ in flat.item_rules) else element_member(flat)
        values: list[Any] = []
        seen: set[Any] = set()
        for index in range(count):
            member = element if index >= with_contains else None
            item_schema = (
                member.schema
                if member is not None
                else element_schema(flat, index, with_contains=index < with_contains)
            )
            value: Any = None
            fresh = False
            tries = _UNIQUE_ATTEMPTS if flat.unique else 1
            for attempt in range(tries):
                item_path = f"{path}/{index}" if attempt == 0 else f"{path}/{index}~{attempt}"
                value = self._value(
                    ctx,
                    item_schema,
                    item_path,
                    name,
                    depth + 1,
                    as_property=False,
                    flat=None if member is None else self._member_flat(ctx, member),
                    owner=None if member is None else member.owner,
                )
                if not flat.unique or canon(value) not in seen:
                    fresh = True
                    break
            if not fresh and len(values) >= low:
                break
            values.append(value)
            if flat.unique:
                seen.add(canon(value))
        return values

    def _finite_domain(self, ctx: GenerationContext, schema: Schema) -> list[Any] | None:
        """Every value ``schema`` allows, when they are few enough to list (enums, booleans)."""
        flat = self._flats.flatten(schema, ctx.resolve)
        if flat.choices or flat.impossible:
            return None
        if flat.enum is not None:
            candidates = flat.enum
        elif flat.types is not None and set(flat.types) <= {"boolean", "null"}:
            candidates = [
                v
                for v, t in ((False, "boolean"), (True, "boolean"), (None, "null"))
                if t in flat.types
            ]
        else:
            return None
        unique = {canon(v): v for v in candidates if is_valid(ctx.resolve, v, schema, 0)}
        return [clone(v) for v in unique.values()]


_SCALAR_TYPES: Final = (str, int, float, bool, type(None))


def _enum_verdicts(
    ctx: GenerationContext, flat: Flat, options: Sequence[Any], raw: Schema
) -> tuple[bool, ...] | None:
    """Whether each enum member satisfies ``raw``, worked out once for a shared flat; None
    when it is to be checked each time.

    A scalar is checked against what flattening reads too: the keywords of ``raw`` and of
    the ``$ref`` and ``allOf`` schemas it reaches (a shared flat is taken only while those
    refs name the same targets); items and properties apply to lists and objects only, and
    a flat with `not` or a choice (whose branches may hold other refs) is left out."""
    if not flat.shared or flat.nots:
        return None
    verdicts = flat.enum_verdicts
    if verdicts is None:
        if not all(type(option) in _SCALAR_TYPES for option in options):
            return None
        verdicts = flat.enum_verdicts = tuple(
            is_valid(ctx.resolve, option, raw, 0) for option in options
        )
    return verdicts


def _nothing(_value: Any) -> bool:
    return False


def _excluded(ctx: GenerationContext, flat: Flat, value: Any) -> bool:
    """Whether a `not` rules the value out; checked while generating, so retries are rare."""
    return any(is_valid(ctx.resolve, value, negated, 0) for negated in flat.nots)
