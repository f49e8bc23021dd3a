"""State machines: an enum-like field of one resource's entities whose value changes.

Every answer that shows an entity (its collection's list, its item, a create, an action
under its item path) is a snapshot of it. Between two snapshots of one entity whose field
differs, the entity moved: the trigger is the request that answered the new value when it
was not a read, else the one write to the entity's paths made in between (a move whose
cause was not recorded is reported as ambiguous). The states are the values seen, the
initial state the value creates answered, and a field that a move makes appear holding a
timestamp is set by it (``set: {paid_at: "now()"}``).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import field
from typing import Any

from mockmind.domain.words import singular
from mockmind.lean_dataclass import dataclass
from mockmind.learning.resources import LearnedResource, Snapshot, entity_snapshots, owns
from mockmind.learning.schemas import ENUM_MAX, FORMATS, enum_like
from mockmind.learning.traffic import Traffic, succeeded

_STATE_NAMES = ("status", "state", "stage", "phase", "lifecycle")
_DATE_TIME = dict(FORMATS)["date-time"]


@dataclass(frozen=True)
class LearnedTransition:
    from_states: tuple[str, ...]
    to: str
    on: str
    set: dict[str, str] = field(default_factory=dict)
    seen: int = 0


@dataclass(frozen=True)
class LearnedMachine:
    name: str
    resource: str
    field: str
    initial: str
    states: tuple[str, ...]
    transitions: tuple[LearnedTransition, ...]


@dataclass
class MachineFindings:
    machines: list[LearnedMachine] = field(default_factory=list)
    ambiguities: list[str] = field(default_factory=list)


def infer_machines(traffic: Traffic, resources: Sequence[LearnedResource]) -> MachineFindings:
    findings = MachineFindings()
    for resource in resources:
        snapshots = entity_snapshots(traffic, resource)
        fields = _candidate_fields(snapshots)
        writes = _writes(traffic, resource) if fields else {}
        machines = [
            m
            for f in fields
            if (m := _machine(traffic, resource, f, snapshots, writes, findings, len(fields)))
            is not None
        ]
        findings.machines += machines
    return findings


def _candidate_fields(snapshots: dict[str, list[Snapshot]]) -> list[str]:
    """Enum-like string fields whose value changed for at least one entity; fields named
    like a state first."""
    values: dict[str, set[Any]] = {}
    changed: set[str] = set()
    for shots in snapshots.values():
        for before, after in itertools.pairwise(shots):
            for key, value in after.entity.items():
                if key in before.entity and before.entity[key] != value:
                    changed.add(key)
        for shot in shots:
            for key, value in shot.entity.items():
                if isinstance(value, str):
                    values.setdefault(key, set()).add(value)
    fields = [
        key
        for key in changed
        if 2 <= len(values.get(key, ())) <= ENUM_MAX and enum_like(values[key])
    ]
    return sorted(fields, key=lambda k: (k not in _STATE_NAMES, k))


def _machine(
    traffic: Traffic,
    resource: LearnedResource,
    state_field: str,
    snapshots: dict[str, list[Snapshot]],
    writes: dict[str, list[tuple[int, str]]],
    findings: MachineFindings,
    field_count: int,
) -> LearnedMachine | None:
    states: list[str] = []
    initials: list[str] = []
    moves: dict[tuple[str, str], list[tuple[str, Snapshot, Snapshot]]] = {}
    for entity_id, shots in snapshots.items():
        for shot in shots:
            value = shot.entity.get(state_field)
            if isinstance(value, str) and value not in states:
                states.append(value)
        first = shots[0]
        if (
            first.exchange.method == "POST"
            and traffic.paths.template_of(first.exchange.path) == resource.path
        ):
            initials.append(str(first.entity.get(state_field)))
        for before, after in itertools.pairwise(shots):
            old, new = before.entity.get(state_field), after.entity.get(state_field)
            if old == new or not isinstance(old, str) or not isinstance(new, str):
                continue
            cause = _cause(traffic, writes.get(entity_id, []), before, after)
            if cause is None:
                findings.ambiguities.append(
                    f"{resource.name} {entity_id}: {state_field} went from {old!r} to {new!r} "
                    "with no recorded write to it in between; that move is left out"
                )
                continue
            moves.setdefault((cause, new), []).append((old, before, after))
    if not moves:
        return None
    initial = max(set(initials), key=initials.count) if initials else states[0]
    if len(set(initials)) > 1:
        findings.ambiguities.append(
            f"{resource.name}.{state_field}: created in states {sorted(set(initials))}; "
            f"{initial!r} (the most frequent) is the initial one"
        )
    for seen in moves.values():
        seen.sort(key=lambda move: move[2].exchange.order)  # in the order they happened
    transitions = []
    for (on, to), seen in sorted(moves.items(), key=lambda kv: kv[1][0][2].exchange.order):
        froms = list(dict.fromkeys(old for old, _, _ in seen))
        transitions.append(
            LearnedTransition(
                from_states=tuple(froms),
                to=to,
                on=on,
                set=_set_fields(seen, state_field),
                seen=len(seen),
            )
        )
    if initial in states:
        states.remove(initial)
    suffix = "lifecycle" if field_count == 1 else state_field
    return LearnedMachine(
        name=f"{singular(resource.name.split('_')[-1])}_{suffix}",
        resource=resource.name,
        field=state_field,
        initial=initial,
        states=(initial, *states),
        transitions=tuple(transitions),
    )


def _writes(traffic: Traffic, resource: LearnedResource) -> dict[str, list[tuple[int, str]]]:
    """Each entity's successful writes to its own paths (its item path and those under it,
    with its id): (order, trigger), in order; looked up once per resource."""
    writes: dict[str, list[tuple[int, str]]] = {}
    for exchange in traffic.exchanges:
        if exchange.method in ("GET", "HEAD", "OPTIONS") or not succeeded(exchange):
            continue
        template = traffic.paths.template_of(exchange.path)
        if not owns(resource, template) or template == resource.path:
            continue
        named = traffic.paths.values_of(exchange.path).get(resource.id_param)
        if named is not None:
            trigger = traffic.operation(exchange).trigger
            writes.setdefault(named, []).append((exchange.order, trigger))
    return writes


def _cause(
    traffic: Traffic,
    writes: list[tuple[int, str]],
    before: Snapshot,
    after: Snapshot,
) -> str | None:
    """The request that moved the entity: the one that answered the new value, unless that
    was a read; then the only kind of write to the entity's own paths made in between."""
    if after.exchange.method not in ("GET", "HEAD"):
        return traffic.operation(after.exchange).trigger
    start = bisect.bisect_right(writes, before.exchange.order, key=lambda w: w[0])
    between = {trigger for order, trigger in writes[start:] if order < after.exchange.order}
    return between.pop() if len(between) == 1 else None


def _set_fields(seen: list[tuple[str, Snapshot, Snapshot]], state_field: str) -> dict[str, str]:
    """Fields every such move made appear (absent or null before) holding a timestamp."""
    common: set[str] | None = None
    for _, before, after in seen:
        appeared = {
            key
            for key, value in after.entity.items()
            if key != state_field
            and before.entity.get(key) is None
            and isinstance(value, str)
            and _DATE_TIME.fullmatch(value)
        }
        common = appeared if common is None else common & appeared
    return dict.fromkeys(sorted(common or ()), "now()")
