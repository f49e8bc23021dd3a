"""The language model's turn: with ``choose: llm`` it picks each virtual user's next request.

The model is shown the API description's operations (method, path template, query
parameters, a sketch of the JSON body), the flow's persona, and the user's last steps with the
start of each answer. It answers one JSON object::

    {"method": "POST", "path": "/cart/items", "json": {"product_id": "p-1", "quantity": 1}}

(``query`` for query parameters), or ``{"done": true}`` when the persona has done what it came
for. The answer is checked as the server checks a request: the description routes it, so a
path no operation has, a missing parameter or a body that breaks its schema is refused before
anything is sent. A refused answer is asked for again once, with the reason; a second refusal,
or a provider that does not answer, is a failed step with that reason, and the run goes on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mockmind.domain.errors import FlowError, RequestError
from mockmind.domain.http import MockRequest
from mockmind.domain.json_extraction import JsonExtractionError, extract_json
from mockmind.lean_dataclass import dataclass
from mockmind.ports.api_description import ApiDescription, OperationInfo
from mockmind.ports.llm import ChatProvider, ChatRequest, ProviderError

# What the model is shown: the last steps of the user, the start of each answer, a bounded
# sketch of each body schema and of the operations (a big document would fill the context).
HISTORY_STEPS = 8
ANSWER_CHARS = 1000
SCHEMA_CHARS = 400
OPERATIONS_CHARS = 24_000
# The next request is a small JSON object; a body the model writes stays well within this.
MAX_TOKENS = 600
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# Characters a path may carry as they are; the rest is percent-encoded before it is checked,
# so the path checked is the path sent.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"

SYSTEM = """You play one user of an HTTP API, so that the API is tested the way real users \
would use it.

Persona: {persona}

Each turn, choose the user's next request from the operations below, given what the user did \
and saw so far. Use ids and values from earlier answers; put real values in place of path \
parameters such as {{id}}. Answer with one JSON object and nothing else:
{{"method": "GET", "path": "/things/123", "query": {{"name": "value"}}, "json": {{"field": 1}}}}
Leave out "query" when the request has no query parameters and "json" when it has no body.
When the persona has done what they came for, answer {{"done": true}}.

Operations:
{operations}"""


class NextStepRefused(FlowError):
    """The model gave no usable next step, twice, or did not answer; the message says why."""


@dataclass(frozen=True)
class Seen:
    """One request of a user and the start of its answer, as the model is shown it."""

    method: str
    target: str
    # None: no answer came (a transport error, said in ``answer``).
    status: int | None
    answer: str

    def line(self) -> str:
        status = "no answer" if self.status is None else str(self.status)
        return f"{self.method} {self.target} -> {status} {_cut(self.answer, ANSWER_CHARS)}"


@dataclass(frozen=True)
class ChosenRequest:
    method: str
    # Percent-encoded, without the query; what the description routed.
    path: str
    query: dict[str, str]
    body: bytes | None
    # How the report names the step: the operation, so each groups its requests.
    operation: str


@dataclass
class ChooserUsage:
    """What choosing cost: calls, answers refused (each asked again once), tokens."""

    calls: int = 0
    refused: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "calls": self.calls,
            "refused_answers": self.refused,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: str | None = None
    path: str | None = None
    query: dict[str, str | int | float | bool] = Field(default_factory=dict)
    json_body: Any = Field(None, alias="json")
    done: bool = False


class _Refusal(FlowError):
    """One answer of the model that is not a usable step (asked for again once)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StepChooser:
    """Asks ``chat`` for a user's next request; one for every user of a run (it keeps no
    user's state: each call gets that user's history)."""

    def __init__(
        self,
        chat: ChatProvider,
        api: ApiDescription,
        persona: str,
        *,
        temperature: float = 0.7,
    ) -> None:
        self._chat = chat
        self._api = api
        self._system = SYSTEM.format(persona=persona.strip(), operations=describe_operations(api))
        self._temperature = temperature
        self.usage = ChooserUsage()

    async def next(self, history: Sequence[Seen]) -> ChosenRequest | None:
        """The next request, or None when the model says the persona is done.

        Raises NextStepRefused when no usable answer came (after one more try).
        """
        prompt = _prompt(history)
        text = await self._ask(prompt)
        try:
            return self._checked(text)
        except _Refusal as first:
            self.usage.refused += 1
            again = (
                f"{prompt}\n\nYour answer was refused: {first.reason}\n"
                f"It was: {_cut(text, ANSWER_CHARS)}\n"
                "Answer again with one JSON object."
            )
            text = await self._ask(again)
            try:
                return self._checked(text)
            except _Refusal as second:
                self.usage.refused += 1
                raise NextStepRefused(
                    f"the LLM's next step was refused twice: {second.reason} "
                    f"(its answer: {_cut(text, 160)})"
                ) from None

    async def _ask(self, prompt: str) -> str:
        self.usage.calls += 1
        request = ChatRequest(
            self._system, prompt, max_tokens=MAX_TOKENS, temperature=self._temperature
        )
        try:
            result = await self._chat.complete(request)
        except ProviderError as exc:
            raise NextStepRefused(f"the LLM did not answer: {exc}") from None
        self.usage.prompt_tokens += result.prompt_tokens
        self.usage.completion_tokens += result.completion_tokens
        return result.text

    def _checked(self, text: str) -> ChosenRequest | None:
        try:
            value = extract_json(text)
        except JsonExtractionError as exc:
            raise _Refusal(exc.reason) from None
        if not isinstance(value, dict):
            raise _Refusal(f"the answer is a JSON {type(value).__name__}, not an object")
        try:
            answer = _Answer.model_validate(value)
        except ValidationError as exc:
            raise _Refusal(_validation_reason(exc)) from None
        if answer.done:
            return None
        if not answer.method or not answer.path:
            raise _Refusal('"method" and "path" are required (or "done": true)')
        method = answer.method.upper()
        if method not in _METHODS:
            raise _Refusal(f"{answer.method!r} is not an HTTP method ({', '.join(_METHODS)})")
        if not answer.path.startswith("/"):
            raise _Refusal(f"the path {_cut(answer.path, 80)!r} does not start with /")
        path, _, in_path = answer.path.partition("?")
        query = dict(parse_qsl(in_path, keep_blank_values=True))
        query.update({name: _text(value) for name, value in answer.query.items()})
        body = None if answer.json_body is None else json.dumps(answer.json_body).encode()
        return self._routed(method, quote(path, safe=_PATH_SAFE), query, body)

    def _routed(
        self, method: str, path: str, query: dict[str, str], body: bytes | None
    ) -> ChosenRequest:
        headers = {"content-type": "application/json"} if body is not None else {}
        request = MockRequest(
            method,
            path,
            query={name: [value] for name, value in query.items()},
            headers=headers,
            body=body or b"",
        )
        try:
            routed = self._api.route(request)
        except RequestError as exc:
            raise _Refusal(_request_reason(exc)) from None
        except Exception as exc:  # a made-up request must not end the run, whatever it breaks
            raise _Refusal(f"the request cannot be checked ({type(exc).__name__}: {exc})") from None
        return ChosenRequest(method, request.path, query, body, f"{method} {routed.path_template}")


def _prompt(history: Sequence[Seen]) -> str:
    if not history:
        return "The user has sent no request yet. Their first request?"
    recent = list(history)[-HISTORY_STEPS:]
    lines = [f"{number}. {seen.line()}" for number, seen in enumerate(recent, 1)]
    return "The user's last requests, oldest first:\n" + "\n".join(lines) + "\nTheir next request?"


def _request_reason(exc: RequestError) -> str:
    reason = f"{exc.status} {exc.title}: {exc.detail}".rstrip(": ")
    details = [
        f"{error.get('location', '')}: {error.get('message', '')}".lstrip(": ")
        for error in exc.errors[:3]
    ]
    allowed = exc.headers.get("Allow")
    if allowed:
        details.append(f"allowed: {allowed}")
    return reason + (f" ({'; '.join(details)})" if details else "")


def _validation_reason(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(part) for part in error["loc"]) or "the answer"
        message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def describe_operations(api: ApiDescription) -> str:
    """One line per operation: method, path template, id, query parameters, body sketch."""
    lines: list[str] = []
    used = 0
    operations = api.operations()
    for index, operation in enumerate(operations):
        line = _operation_line(api, operation)
        if used + len(line) > OPERATIONS_CHARS:
            lines.append(f"(and {len(operations) - index} more operations not shown)")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def _operation_line(api: ApiDescription, operation: OperationInfo) -> str:
    line = f"- {operation.method.upper()} {operation.path_template}"
    if operation.operation_id:
        line += f" ({operation.operation_id})"
    if operation.query_params:
        line += f"; query: {', '.join(operation.query_params)}"
    schema = operation.request_schema
    if isinstance(schema, Mapping):
        line += f"; json: {_cut(sketch(api, schema), SCHEMA_CHARS)}"
    return line


def sketch(api: ApiDescription, schema: Mapping[str, Any], depth: int = 3) -> str:
    """A short, TypeScript-like picture of a JSON schema: ``{name: string, age?: integer}``
    (``?``: not required), ``"a"|"b"`` for an enum, ``[item]`` for an array."""
    schema = _resolved(api, schema)
    if "enum" in schema and isinstance(schema["enum"], list):
        return "|".join(json.dumps(value) for value in schema["enum"][:8])
    for combined in ("oneOf", "anyOf", "allOf"):
        options = schema.get(combined)
        if isinstance(options, list) and options and depth > 0:
            joiner = " & " if combined == "allOf" else " | "
            return joiner.join(
                sketch(api, option, depth - 1)
                for option in options[:4]
                if isinstance(option, Mapping)
            )
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    properties = schema.get("properties")
    if kind == "object" or isinstance(properties, Mapping):
        if not isinstance(properties, Mapping) or not properties:
            return "object"
        if depth <= 0:
            return "{…}"
        required = set(schema.get("required") or ())
        fields = [
            f"{name}{'' if name in required else '?'}: "
            f"{sketch(api, value, depth - 1) if isinstance(value, Mapping) else 'any'}"
            for name, value in properties.items()
        ]
        return "{" + ", ".join(fields) + "}"
    if kind == "array":
        items = schema.get("items")
        inner = sketch(api, items, depth - 1) if isinstance(items, Mapping) and depth > 0 else "any"
        return f"[{inner}]"
    if isinstance(kind, str):
        form = schema.get("format")
        return kind + (f" {form}" if isinstance(form, str) else "") + _bounds(schema)
    return "any"


def _bounds(schema: Mapping[str, Any]) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is None and high is None:
        return ""
    return f" {'' if low is None else low}..{'' if high is None else high}"


def _resolved(api: ApiDescription, schema: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while isinstance(schema.get("$ref"), str) and seen < 8:
        try:
            schema = api.resolve_ref(schema["$ref"])
        except LookupError:
            return {}
        seen += 1
    return schema


def _text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _cut(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
