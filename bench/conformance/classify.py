"""Failure classes: what schemathesis found, sorted into issue 15's classes.

A failure is one check that failed on one answer. Its class is read from the answer (status,
the body's problem details, mockmind's `X-Mockmind-Source`) and the check:

  1  a valid request refused (400/406/415/422 the operation does not document)
  2  a route missed (404 "no operation matches", 405 for a documented method)
  3  an operation without responses answered 500
  4  an answer the engine decided (401, 404 for an unknown id, 409...) breaks the document:
     a status it does not document, or a body that breaks the documented error schema
  5  a generated (or stored) body that breaks its own schema
  6  a spec example served that breaks its own schema
  7  a Content-Type the operation does not document
and classes the issue's list does not have:
  L  the server refused the document (Swagger 2.0, or a load error), nothing was served
  E  another 5xx
  S  a stateful check: use_after_free (a deleted resource still answers) or
     ensure_resource_availability (a created resource is not found)
  X  schemathesis could not test (its own error, a time-out), or the request it sent was not
     valid (a value its resource pool reused from an earlier answer, which the parameter's
     schema refuses), or the operation documents no final status (no responses, or only
     1xx) so no answer can conform, or a use_after_free on a read that documents no 404,
     4XX or default (a 2xx breaks use_after_free, a 404 status_code_conformance; the issue
     asks for the read-through entity there), or the request that reached the server is not
     the one drawn (a ``..`` path parameter the client removed, a made-up Content-Length or
     Transfer-Encoding that broke the HTTP message), or the value schemathesis sent breaks
     the pattern it drew from (by Python's ``re`` as well), or the schema's pattern is a
     JavaScript literal (``/^[a-z]+$/``) no string matches, or a 204 is documented with a
     body, which HTTP does not allow, or the documented response schema has no finite
     instance (a required property that recurses with no base case): not a verdict on the
     server
Prism's answers carry no source header: a schema failure on a 2xx is put in 5 (generated) or 6
(when the document has an example there the server may have served); the table says "5/6".
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import Any

REQUEST_VALIDATION = frozenset({400, 406, 415, 422})
NO_FINAL = "where the operation documents no final status"
NO_NOT_FOUND = "use_after_free on a read that documents no 404 (no answer conforms)"
REUSED = "a value schemathesis reused from an earlier answer is refused"
DOT_SEGMENT = "a path parameter serialised as a dot segment, which the client removed"
FRAMING = "the operation lists a framing header as a parameter; its made-up value broke the HTTP"
OFF_PATTERN = "schemathesis sent a value its pattern refuses (checked with Python's re)"
JS_LITERAL = "a pattern written as a JavaScript literal (/^…$/): no string matches it"
NO_CONTENT = "a 204 documented with content: HTTP allows no body there (RFC 9110 15.3.5)"
BOTTOMLESS = "a response schema no finite value satisfies (a required property recursing forever)"
# The text uvicorn (h11 or httptools) answers a request it cannot parse as HTTP with, before
# any application sees it.
UNPARSABLE_HTTP = "Invalid HTTP request received."

CLASS_TITLES = {
    "1": "valid request refused",
    "2": "route missed",
    "3": "no responses: 500",
    "4": "engine's answer breaks the document",
    "5": "generated body breaks its schema",
    "6": "example breaks its schema",
    "7": "undocumented Content-Type",
    "L": "document refused at load",
    "E": "server error",
    "S": "stateful check",
    "X": "not tested (harness)",
}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def source(self) -> str:
        return self.headers.get("x-mockmind-source", "")

    def problem(self) -> dict[str, Any]:
        try:
            parsed = json.loads(self.body)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}


@dataclass(frozen=True)
class Failure:
    check: str
    code: str
    title: str
    message: str
    operation: str
    answer: Answer | None
    # Parameters (``path.id``) whose values schemathesis drew from an earlier answer.
    drawn: tuple[str, ...] = ()
    # The statuses the checked request's operation documents (``200``, ``4XX``, ``default``);
    # None when not known.
    documented: tuple[str, ...] | None = None
    # A path parameter serialised as ``.`` or ``..`` (a label-style array of empty strings):
    # the HTTP client removes such dot segments (RFC 3986 5.2.4) before the request is sent.
    dot_segment: bool = False
    # The message-framing headers (Content-Length, Transfer-Encoding) the operation lists as
    # parameters: schemathesis sends made-up values for them, which break the HTTP message.
    framing: tuple[str, ...] = ()
    # The documented response schema for the answer's status has no finite instance
    # (bottomless.py): any answer breaks it.
    bottomless: bool = False


def classify(failure: Failure) -> tuple[str, str]:
    """The failure's class and a short reason that groups it with failures of the same cause."""
    answer = failure.answer
    check = failure.check
    if check == "use_after_free" and not _documents_not_found(failure.documented):
        return "X", NO_NOT_FOUND
    if check in {"use_after_free", "ensure_resource_availability"}:
        return "S", f"{check}: {_first_line(failure.message)}"
    if answer is None:
        return "X", f"{check}: {_first_line(failure.message)}"
    status = answer.status
    if status == 400 and failure.framing and _unparsable(answer):
        return "X", f"{FRAMING} ({', '.join(failure.framing)})"
    if check == "content_type_conformance":
        media = answer.headers.get("content-type", "none").split(";")[0]
        return "7", f"{status} answered as {media}"
    if check == "not_a_server_error":
        detail = _detail(answer)
        if "declares no responses" in detail:
            return "3", "an operation without responses answers 500"
        return "E", f"{status} {_normalise(detail)}"
    if check == "status_code_conformance":
        if status == 200 and not _documents_a_final_status(failure.message):
            # No responses (3.1 allows it) or only 1xx ones: no status can conform, and an
            # empty 200 is the answer the issue asks for.
            return "X", f"{status} {NO_FINAL}"
        return _undocumented_status(answer, failure)
    if check == "response_schema_conformance":
        if _JS_LITERAL.search(failure.message):
            return "X", JS_LITERAL
        if failure.bottomless:
            return "X", BOTTOMLESS
        if status == 204 and not answer.body.strip():
            return "X", NO_CONTENT
        reason = _schema_reason(failure.message)
        if status >= 400 and (answer.source == "rule" or _is_problem(answer)):
            return "4", f"{status} body breaks the documented schema: {reason}"
        if answer.source == "example":
            return "6", reason
        return "5", reason
    return "?", f"{check}: {_first_line(failure.message)}"


def _documents_not_found(documented: tuple[str, ...] | None) -> bool:
    """Whether a 404 is among the statuses (True when they are not known)."""
    if documented is None:
        return True
    return any(code.upper() in {"404", "4XX", "DEFAULT"} for code in documented)


def _documents_a_final_status(message: str) -> bool:
    """From schemathesis's ``Received: 200\nDocumented: 100, 101``; True when unsure."""
    found = re.search(r"^Documented:(.*)$", message, re.MULTILINE)
    if found is None:
        return True
    codes = [code.strip() for code in found.group(1).split(",") if code.strip()]
    return any(not code.startswith("1") for code in codes)


def _undocumented_status(answer: Answer, failure: Failure) -> tuple[str, str]:
    status = answer.status
    detail = _detail(answer)
    drawn = failure.drawn
    if status in REQUEST_VALIDATION:
        refused = _refused_locations(answer)
        if refused and drawn and all(_drawn_from(where, drawn) for where in refused):
            names = ", ".join(sorted(set(refused)))
            return "X", f"{REUSED} ({names})"
        if _off_pattern(answer):
            return "X", OFF_PATTERN
        return "1", f"{status} {_normalise(_validation_message(answer) or detail)}"
    if status == 404 and ("no operation matches" in detail or "NO_PATH_MATCHED" in answer.body):
        if failure.dot_segment:
            return "X", DOT_SEGMENT
        return "2", "404: no operation matches the path"
    if status == 405:
        return "2", "405 for a documented method"
    if status >= 500:
        if "declares no responses" in detail:
            return "3", "an operation without responses answers 500"
        return "E", f"{status} {_normalise(detail)}"
    if detail.endswith("does not exist"):
        # "pets 7 does not exist": the store's answer for an id it never saw, whatever the id.
        return "4", f"{status} not documented (an unknown id: the store's answer)"
    return "4", f"{status} not documented ({_normalise(detail) or 'no detail'})"


def _unparsable(answer: Answer) -> bool:
    """Whether the HTTP server refused the bytes before the application (uvicorn's text, or a
    bare 400 without a body type, as Node's parser answers)."""
    return answer.body.strip() == UNPARSABLE_HTTP or "content-type" not in answer.headers


# jsonschema's "'value' does not match 'pattern'", each quoted as Python's repr quotes it.
_QUOTED_TEXT = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
_PATTERN_ERROR = re.compile(
    rf"^(?P<value>{_QUOTED_TEXT}) does not match (?P<pattern>{_QUOTED_TEXT})$"
)
# A pattern that starts with ``/^``: a ``^`` after a character never matches without the
# multiline flag, which JSON Schema's patterns do not have.
_JS_LITERAL = re.compile(r'does not match "/\^')


def _off_pattern(answer: Answer) -> bool:
    """Whether every error of a refusal is a pattern the value indeed breaks, by Python's own
    ``re`` as well as by the server: schemathesis sent it although the schema refuses it."""
    problem = answer.problem()
    errors = problem.get("errors")
    if not isinstance(errors, list) or not errors:
        return False
    for error in errors:
        if not isinstance(error, dict) or error.get("keyword") != "pattern":
            return False
        found = _PATTERN_ERROR.match(str(error.get("message", "")))
        if found is None:
            return False
        try:
            value, pattern = ast.literal_eval(found["value"]), ast.literal_eval(found["pattern"])
            if re.search(pattern, value) is not None:
                return False
        except (ValueError, SyntaxError, re.error):
            return False
    return True


def _refused_locations(answer: Answer) -> list[str]:
    """Where each validation error of the answer is (``path.id``, ``body.items[0]``)."""
    problem = answer.problem()
    found = []
    for key in ("errors", "validation"):
        errors = problem.get(key)
        for error in errors if isinstance(errors, list) else []:
            where = error.get("location", "") if isinstance(error, dict) else ""
            if isinstance(where, list):
                where = ".".join(str(part) for part in where)
            found.append(str(where))
    return found


def _drawn_from(where: str, drawn: tuple[str, ...]) -> bool:
    return any(where == d or where.startswith((d + ".", d + "[")) for d in drawn)


def _detail(answer: Answer) -> str:
    problem = answer.problem()
    for key in ("detail", "title", "message", "error"):
        value = problem.get(key)
        if isinstance(value, str) and value:
            return value
    return answer.body[:200]


def _validation_message(answer: Answer) -> str:
    """mockmind's first validation error (`errors[0]`), or Prism's first one (`validation`)."""
    problem = answer.problem()
    for key in ("errors", "validation"):
        errors = problem.get(key)
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            where = first.get("location", "")
            if isinstance(where, list):
                where = ".".join(str(part) for part in where)
            return f"{where}: {_elide_subject(str(first.get('message', '')))}"
    return ""


def _is_problem(answer: Answer) -> bool:
    return "problem+json" in answer.headers.get("content-type", "")


def _schema_reason(message: str) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    # schemathesis: "Response does not conform to the defined schema", then the validator's line.
    useful = [line for line in lines if not line.lower().startswith("response does not conform")]
    return _normalise(_elide_subject(useful[0] if useful else message))


# A JSON Schema validator's message starts with the value it refused ("'x' is not of type
# 'integer'", "{...} is not valid under any of the given schemas"): the value goes, the verb
# and what follows stay. "'id' is a required property" names a property, and stays whole.
_SUBJECT = re.compile(
    r"^(?P<value>.+?) (?P<verb>is not |does not |is valid under|has (less|more|fewer|non-unique)|"
    r"is too |is greater |is less |should |is expected )",
    re.DOTALL,
)


# Values that say what went wrong by themselves (a null where the schema allows one).
_KEPT_VALUES = frozenset({"None", "null", "True", "False", "true", "false", "[]", "{}", "''"})


def _elide_subject(message: str) -> str:
    if "is a required property" in message or "were unexpected" in message:
        return message
    found = _SUBJECT.match(message)
    if found is None or message.startswith("Property ") or found["value"] in _KEPT_VALUES:
        return message
    return "… " + message[found.start("verb") :]


def _first_line(text: str) -> str:
    return _normalise(text.strip().splitlines()[0] if text.strip() else "")


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_NAME = re.compile(r"[A-Za-z_][\w-]{0,30}")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(\.\d+)?(?![\w.])")


def _unquote_values(found: re.Match[str]) -> str:
    """A quoted name (a property, a type) stays; any other quoted value goes."""
    text = found.group(0)
    return text if _NAME.fullmatch(text[1:-1]) else text[0] + "…" + text[0]


def _normalise(text: str) -> str:
    """Values out of a message, so failures with the same cause group together."""
    short = _NUMBER.sub("N", _QUOTED.sub(_unquote_values, text)).strip()
    return short if len(short) <= 110 else short[:107] + "…"
