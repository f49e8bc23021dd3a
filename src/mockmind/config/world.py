"""Compile the config's rules, resources, state machines and login into the domain's World.

Everything that can be wrong in them (a condition that does not parse, a machine for an
unknown resource, a transition to an undeclared state) is found here, at start-up, and
reported with the config key, line and column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from mockmind.config.loader import LoadedConfig
from mockmind.config.models import (
    ConsistencyRule,
    DelayAction,
    FaultAction,
    RequireAuthAction,
    ResourceConfig,
    RespondAction,
    SetStateAction,
    TransitionAction,
    ValidateAction,
)
from mockmind.domain import rules as rule_lang
from mockmind.domain.auth import AuthSettings, TokenIssuer
from mockmind.domain.engine import World
from mockmind.domain.errors import ConfigError, ConfigIssue
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.resources import (
    ResourceService,
    ResourceSpec,
    creates_on_put,
    infer_resources,
    path_segments,
)
from mockmind.domain.rules import actions
from mockmind.domain.rules.book import Rule, RuleBook
from mockmind.domain.rules.expressions import (
    Expression,
    ExpressionSyntaxError,
    parse_expression,
)
from mockmind.domain.state_machines import (
    StateMachine,
    Transition,
    initial_states,
    split_trigger,
    starting_states,
)
from mockmind.ports.api_description import ApiDescription
from mockmind.ports.entity_store import EntityStore

_RULES = ("intelligent_behavior", "behavior_model", "rules")


def assemble_world(
    loaded: LoadedConfig,
    api: ApiDescription,
    store: EntityStore,
    generator: OfflineGenerator,
    *,
    entity_ttl_seconds: float,
) -> World:
    issues: list[ConfigIssue] = []
    rules_config = loaded.config.intelligent_behavior.behavior_model.rules
    specs = _resources(loaded, api, issues)
    names = {spec.name for spec in specs.values()}
    machines = _machines(loaded, names, issues)
    service = ResourceService(
        specs,
        store,
        generator,
        api.resolve_ref,
        entity_ttl_seconds=entity_ttl_seconds,
        on_write=(initial_states(machines),),
        on_generate=(starting_states(machines),),
    )
    book = RuleBook(
        [
            rule
            for index, config in enumerate(rules_config.consistency_rules)
            if (rule := _rule(loaded, index, config, machines, api, issues)) is not None
        ]
    )
    auth_config = rules_config.auth
    auth = TokenIssuer(
        store,
        AuthSettings.from_triggers(
            auth_config.login,
            auth_config.logout,
            token_field=auth_config.token_field,
            token_ttl_seconds=auth_config.token_ttl_seconds,
            username_field=auth_config.username_field,
            password_field=auth_config.password_field,
            users=auth_config.users,
        ),
    )
    if issues:
        raise ConfigError(issues)
    return World(resources=service, rules=book, machines=machines, auth=auth)


def _expression(
    loaded: LoadedConfig, loc: tuple[Any, ...], text: str, issues: list[ConfigIssue]
) -> Expression | None:
    try:
        return parse_expression(text)
    except ExpressionSyntaxError as exc:
        issues.append(loaded.issue(loc, f"expression {text!r}: {exc}"))
        return None


def _resources(
    loaded: LoadedConfig, api: ApiDescription, issues: list[ConfigIssue]
) -> dict[str, ResourceSpec]:
    specs = infer_resources(api.operations(), api.resolve_ref)
    declared = loaded.config.intelligent_behavior.behavior_model.rules.resources
    for name, config in declared.items():
        loc = (*_RULES, "resources", name)
        path = config.path or _path_of(name, specs)
        if path is None:
            issues.append(
                loaded.issue(loc, f"resource {name!r} has no path and no API path ends in /{name}")
            )
            continue
        base = specs.pop(path, None) or ResourceSpec(name=name, collection_path=path)
        specs[path] = _refine(loaded, loc, name, base, config, api, issues)
    return specs


def _path_of(name: str, specs: Mapping[str, ResourceSpec]) -> str | None:
    matches = [p for p in specs if path_segments(p) and path_segments(p)[-1] == name]
    return min(matches, key=len) if matches else None


def _refine(
    loaded: LoadedConfig,
    loc: tuple[Any, ...],
    name: str,
    spec: ResourceSpec,
    config: ResourceConfig,
    api: ApiDescription,
    issues: list[ConfigIssue],
) -> ResourceSpec:
    def expressions(key: str, items: Mapping[str, str]) -> dict[str, Expression]:
        compiled = {
            field: _expression(loaded, (*loc, key, field), text, issues)
            for field, text in items.items()
        }
        return {k: v for k, v in compiled.items() if v is not None}

    schema = spec.schema
    if config.schema_name:
        schema = api.named_schema(config.schema_name)
        if schema is None:
            issues.append(loaded.issue((*loc, "schema"), f"no schema named {config.schema_name!r}"))
    item_path = config.item_path or spec.item_path
    id_param = spec.id_param
    put_creates = spec.put_creates
    if item_path and item_path != spec.item_path:
        last = path_segments(item_path)[-1]
        id_param = last.strip("{}") if last.startswith("{") else None
        puts = (op for op in api.operations() if op.method == "PUT")
        put_creates = creates_on_put(
            next((op for op in puts if op.path_template == item_path), None)
        )
    seed = config.seed if isinstance(config.seed, list) else []
    return replace(
        spec,
        name=name,
        item_path=item_path,
        id_param=id_param,
        id_field=config.id_field or spec.id_field,
        singleton=config.singleton or spec.singleton,
        schema=schema,
        computed=expressions("computed", config.computed),
        on_create=expressions("on_create", config.on_create),
        clears=tuple(config.clears),
        seed=tuple(seed),
        seed_count=config.seed if isinstance(config.seed, int) else 0,
        prefill=spec.prefill if config.prefill is None else config.prefill,
        parent_field=config.parent_field or spec.parent_field,
        put_creates=put_creates,
    )


def _machines(
    loaded: LoadedConfig, resources: set[str], issues: list[ConfigIssue]
) -> dict[str, StateMachine]:
    machines: dict[str, StateMachine] = {}
    configs = loaded.config.intelligent_behavior.behavior_model.rules.state_machines
    for name, config in configs.items():
        loc = (*_RULES, "state_machines", name)
        if config.resource not in resources:
            known = ", ".join(sorted(resources)) or "none"
            issues.append(
                loaded.issue(
                    (*loc, "resource"),
                    f"state machine {name!r}: unknown resource {config.resource!r} "
                    f"(resources: {known})",
                )
            )
        states = list(config.states) or sorted(
            {config.initial}
            | {t.to for t in config.transitions}
            | {s for t in config.transitions for s in t.from_states}
        )
        transitions: list[Transition] = []
        for index, t in enumerate(config.transitions):
            tloc = (*loc, "transitions", index)
            for state in [*t.from_states, t.to]:
                if state not in states:
                    issues.append(
                        loaded.issue(tloc, f"state machine {name!r}: unknown state {state!r}")
                    )
            guard = None
            if t.guard:
                guard = _condition(loaded, (*tloc, "guard"), f"{name} guard", t.guard, issues)
            method, path = split_trigger(t.on)
            set_fields = {
                field: expr
                for field, text in t.set.items()
                if (expr := _expression(loaded, (*tloc, "set", field), text, issues)) is not None
            }
            transitions.append(
                Transition(frozenset(t.from_states), t.to, method, path, guard, set_fields)
            )
        if config.initial not in states:
            issues.append(loaded.issue((*loc, "initial"), f"unknown state {config.initial!r}"))
        machines[name] = StateMachine(
            name, config.resource, config.field, config.initial, tuple(states), tuple(transitions)
        )
    return machines


def _condition(
    loaded: LoadedConfig, loc: tuple[Any, ...], name: str, text: str, issues: list[ConfigIssue]
) -> rule_lang.Condition | None:
    try:
        return rule_lang.parse_condition(text)
    except rule_lang.ConditionSyntaxError as exc:
        issues.append(loaded.issue(loc, f"rule {name!r}: condition {text!r}: {exc}"))
        return None


def _rule(
    loaded: LoadedConfig,
    index: int,
    config: ConsistencyRule,
    machines: Mapping[str, StateMachine],
    api: ApiDescription,
    issues: list[ConfigIssue],
) -> Rule | None:
    loc = (*_RULES, "consistency_rules", index)
    condition = _condition(loaded, (*loc, "condition"), config.name, config.condition, issues)
    action = _action(loaded, loc, config, machines, api, issues)
    if condition is None or action is None:
        return None
    return Rule(config.name, condition, action, config.priority)


def _action(
    loaded: LoadedConfig,
    loc: tuple[Any, ...],
    config: ConsistencyRule,
    machines: Mapping[str, StateMachine],
    api: ApiDescription,
    issues: list[ConfigIssue],
) -> actions.Action | None:
    action = config.action
    match action:
        case RequireAuthAction():
            return actions.RequireAuth(action.message, action.realm)
        case ValidateAction():
            name = action.schema_name
            if api.named_schema(name) is None:
                issues.append(
                    loaded.issue(
                        (*loc, "action", "schema"), f"rule {config.name!r}: no schema {name!r}"
                    )
                )
                return None
            return actions.Validate(
                name, action.message, lambda body: api.named_schema_errors(name, body)
            )
        case RespondAction():
            return actions.Respond(action.status, action.headers, action.body)
        case TransitionAction():
            machine = machines.get(action.machine)
            if machine is None or action.to not in machine.states:
                issues.append(
                    loaded.issue(
                        (*loc, "action"),
                        f"rule {config.name!r}: no state machine {action.machine!r} "
                        f"with a state {action.to!r}",
                    )
                )
                return None
            return actions.Transition(action.machine, action.to)
        case SetStateAction():
            return actions.SetState(action.key, action.value)
        case DelayAction():
            if action.distribution == "fixed" and action.ms is None:
                issues.append(loaded.issue((*loc, "action"), "a fixed delay needs ms"))
                return None
            return actions.Delay(
                action.distribution,
                action.ms or 0.0,
                action.min_ms,
                action.max_ms,
                action.mean_ms,
                action.stddev_ms,
            )
        case FaultAction():
            return actions.Fault(action.kind, action.status, action.probability, action.message)
    return None
