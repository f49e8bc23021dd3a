"""The prompt an LLM gets: a pure function of the request, the schema and the session's past.

The engine already guarantees consistency (stored entities, rules, state machines); the prompt
asks only for the content the engine cannot know, and tells the model what it must respect.
Sections are added by importance until the token budget is spent: the request and schema
always, then the entities the request touches, the session state, recent interactions, and
relevant older ones found by semantic search (those not already shown as recent).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from mockmind.domain.memory import describe
from mockmind.domain.sessions import Interaction, StateValue
from mockmind.domain.tokens import estimate_tokens
from mockmind.lean_dataclass import dataclass
from mockmind.ports.api_description import SchemaResolver

_JSON_ONLY = (
    "Answer with one JSON value only: no prose, no Markdown fences. The value must validate "
    "against the JSON Schema given. Keep every fact consistent with the entities, state and "
    "history shown; invent only what they do not say."
)


@dataclass(frozen=True)
class PromptInput:
    system_prompt: str
    method: str
    path: str
    status: int
    schema: Any
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None
    entities: Sequence[Mapping[str, Any]] = ()
    state: Mapping[str, StateValue] = field(default_factory=dict)
    history: Sequence[Interaction] = ()
    relevant: Sequence[str] = ()
    rules: Sequence[str] = ()
    token_budget: int = 3000


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str

    @property
    def estimated_tokens(self) -> int:
        return estimate_tokens(self.system) + estimate_tokens(self.user)


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)


def build_prompt(data: PromptInput) -> Prompt:
    system = f"{data.system_prompt.strip()}\n\n{_JSON_ONLY}"
    if data.rules:
        system += "\n\nRules the answer must respect:\n" + "\n".join(f"- {r}" for r in data.rules)

    request = f"Request: {data.method} {data.path}"
    if data.query:
        request += f"\nQuery: {_compact(dict(data.query))}"
    if data.body is not None:
        request += f"\nBody: {_compact(data.body)}"
    required = [
        request,
        f"Respond with HTTP status {data.status}. The response body must match this JSON Schema:\n"
        + _compact(data.schema),
    ]
    budget = data.token_budget - estimate_tokens(system) - sum(map(estimate_tokens, required))

    optional: list[str] = []

    def add(section: str) -> bool:
        nonlocal budget
        cost = estimate_tokens(section)
        if cost > budget:
            return False
        optional.append(section)
        budget -= cost
        return True

    if data.entities:
        add(
            "Entities this request touches (exact, do not change them):\n"
            + "\n".join(_compact(e) for e in data.entities)
        )
    if data.state:
        add(
            "Session state:\n"
            + "\n".join(
                f"- {key} = {_compact(value.value)}" for key, value in sorted(data.state.items())
            )
        )
    recent = _fit_lines(
        [_history_line(i) for i in data.history],
        budget // 2,
        newest_last=True,
    )
    shown: set[str] = set()
    if recent and add("Recent interactions in this session (oldest first):\n" + "\n".join(recent)):
        # Semantic recall finds recent interactions too (and is them when it falls back):
        # each is shown once. The lines fitted are the newest, a suffix of the history.
        shown = {describe(i) for i in data.history[len(data.history) - len(recent) :]}
    relevant = _fit_lines(
        [f"- {text}" for text in data.relevant if text not in shown], budget, newest_last=False
    )
    if relevant:
        add("Related earlier interactions:\n" + "\n".join(relevant))

    return Prompt(system=system, user="\n\n".join([*required[:1], *optional, required[1]]))


def _history_line(i: Interaction) -> str:
    return f"- {i.method} {i.target} -> {i.status} {_compact(i.response_body)}"


def _fit_lines(lines: list[str], budget: int, *, newest_last: bool) -> list[str]:
    """As many lines as fit, keeping the newest (history) or the first (ranked search hits)."""
    chosen: list[str] = []
    ordered = list(reversed(lines)) if newest_last else lines
    for line in ordered:
        cost = estimate_tokens(line)
        if cost > budget:
            break
        chosen.append(line)
        budget -= cost
    return list(reversed(chosen)) if newest_last else chosen


def inline_schema(schema: Any, resolve: SchemaResolver, depth: int = 4) -> Any:
    """The schema with ``$ref`` replaced by its target, to a depth; deeper refs become ``{}``.

    The model sees no ``$ref`` it could not follow, and a circular schema stays finite.
    """
    if isinstance(schema, Mapping):
        if "$ref" in schema:
            if depth <= 0:
                return {}
            return inline_schema(resolve(str(schema["$ref"])), resolve, depth - 1)
        return {k: inline_schema(v, resolve, depth) for k, v in schema.items() if k != "example"}
    if isinstance(schema, list):
        return [inline_schema(v, resolve, depth) for v in schema]
    return schema
