"""The ``format`` checks: JSON Schema's formats as its specification (and the official test
suite) defines them, OpenAPI's own, and every other name passing.

All in the standard library (``idna``, which httpx brings, for internationalised host names
when present), so a Lambda layer checks exactly what a laptop checks: jsonschema's own checks
depend on which optional packages happen to be installed, and its ``time`` without them is
draft 3's (no offset allowed).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import unicodedata
from collections.abc import Callable
from datetime import date

from jsonschema import FormatChecker

from mockmind.domain.ecma_regex import is_ecma_regex
from mockmind.lazy_pattern import LazyPattern

FORMAT_CHECKER = FormatChecker(formats=())


def _checks(name: str) -> Callable[[Callable[[str], bool]], Callable[[str], bool]]:
    """Registers a check of strings; a value of another type passes (``type`` judges it)."""

    def register(check: Callable[[str], bool]) -> Callable[[str], bool]:
        def checker(value: object) -> bool:
            return not isinstance(value, str) or check(value)

        FORMAT_CHECKER.checks(name)(checker)
        return check

    return register


# -- OpenAPI's formats (``float``, ``double``, ``binary``, ``password`` constrain nothing)


def _integer_within(bits: int) -> Callable[[object], bool]:
    def checker(value: object) -> bool:
        if not isinstance(value, int) or isinstance(value, bool):
            return True
        bound: int = 1 << (bits - 1)
        return -bound <= value < bound

    return checker


FORMAT_CHECKER.checks("int32")(_integer_within(32))
FORMAT_CHECKER.checks("int64")(_integer_within(64))


@_checks("byte")
def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


# -- dates and times (RFC 3339)

_DATE = LazyPattern(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_TIME = LazyPattern(r"(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))", re.ASCII)


def _real_date(text: str) -> bool:
    found = _DATE.fullmatch(text)
    if found is None:
        return False
    try:
        date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return False
    return True


def _real_time(text: str) -> bool:
    found = _TIME.fullmatch(text)
    if found is None:
        return False
    hour, minute, second = int(found[1]), int(found[2]), int(found[3])
    offset = 0
    if found[5]:
        offset_hours, offset_minutes = int(found[6]), int(found[7])
        if offset_hours > 23 or offset_minutes > 59:
            return False
        offset = (offset_hours * 60 + offset_minutes) * (1 if found[5] == "+" else -1)
    if hour > 23 or minute > 59 or second > 60:
        return False
    # A leap second is the last second of a UTC day only.
    return second < 60 or (hour * 60 + minute - offset) % 1440 == 23 * 60 + 59


@_checks("date")
def _is_date(value: str) -> bool:
    return _real_date(value)


@_checks("time")
def _is_time(value: str) -> bool:
    return _real_time(value)


@_checks("date-time")
def _is_date_time(value: str) -> bool:
    day, sep, time = value[:10], value[10:11], value[11:]
    return sep in ("T", "t") and _real_date(day) and _real_time(time)


# RFC 3339 appendix A: units in order, none skipped between the first and the last given.
_DURATION_TIME = r"T(?:\d+H(?:\d+M(?:\d+S)?)?|\d+M(?:\d+S)?|\d+S)"
_DURATION = LazyPattern(
    rf"P(?:(?:\d+Y(?:\d+M(?:\d+D)?)?|\d+M(?:\d+D)?|\d+D)(?:{_DURATION_TIME})?"
    rf"|{_DURATION_TIME}|\d+W)",
    re.ASCII,
)


@_checks("duration")
def _is_duration(value: str) -> bool:
    return _DURATION.fullmatch(value) is not None


# -- host names and addresses

_LABEL = LazyPattern(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)", re.ASCII)


def _ascii_hostname(text: str) -> bool:
    if not text or len(text) > 253:
        return False
    for label in text.split("."):
        if not _LABEL.fullmatch(label):
            return False
        if label[2:4] == "--" and not _valid_a_label(label):
            return False
    return True


def _valid_a_label(label: str) -> bool:
    """``xn--`` labels must decode as Punycode; other ``??--`` labels are reserved."""
    if label[:4].lower() != "xn--":
        return False
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        return False
    return _idn_label(decoded)


@_checks("hostname")
def _is_hostname(value: str) -> bool:
    return _ascii_hostname(value)


def _idn_label(label: str) -> bool:
    try:
        import idna  # noqa: PLC0415 - httpx's dependency, optional here
    except ImportError:  # pragma: no cover - the layer and the venv both have it
        return unicodedata.is_normalized("NFC", label)
    try:
        idna.encode(label, uts46=True)
    except (idna.IDNAError, UnicodeError, ValueError):
        return False
    return True


@_checks("idn-hostname")
def _is_idn_hostname(value: str) -> bool:
    # The UTS 46 mapping first (case folded, full stops unified), as browsers and resolvers
    # read a name: ``Bücher.example`` is the host ``bücher.example``.
    if not value or len(value) > 253:
        return False
    labels = re.split("[.\u3002\uff0e\uff61]", value)
    if not all(labels) or not all(_idn_label(label) for label in labels):
        return False
    # RFC 5893: in a name with a right-to-left label, every label starts with a letter.
    if any(unicodedata.bidirectional(c) in ("R", "AL", "AN") for label in labels for c in label):
        return all(unicodedata.bidirectional(label[0]) in ("L", "R", "AL") for label in labels)
    return True


@_checks("ipv4")
def _is_ipv4(value: str) -> bool:
    if not value.isascii():
        return False
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


@_checks("ipv6")
def _is_ipv6(value: str) -> bool:
    if not value.isascii() or "%" in value:
        return False
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


# -- e-mail addresses (RFC 5321 Mailbox; RFC 6531 for the internationalised one)

_ATOM = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+"
_ATOM_UTF8 = r"(?:[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]|[^\x00-\x7f])+"
_QUOTED = r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"'
_QUOTED_UTF8 = r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|[^\x00-\x7f]|\\[\x20-\x7e])*"'
_LOCAL = LazyPattern(rf"{_ATOM}(?:\.{_ATOM})*|{_QUOTED}")
_LOCAL_UTF8 = LazyPattern(rf"{_ATOM_UTF8}(?:\.{_ATOM_UTF8})*|{_QUOTED_UTF8}")


def _mailbox(value: str, local: LazyPattern, domain: Callable[[str], bool]) -> bool:
    at = value.rfind("@")
    if at <= 0 or not local.fullmatch(value[:at]):
        return False
    host = value[at + 1 :]
    if host.startswith("[") and host.endswith("]"):
        literal = host[1:-1]
        if literal.lower().startswith("ipv6:"):
            return _is_ipv6(literal[5:])
        return _is_ipv4(literal)
    return domain(host)


@_checks("email")
def _is_email(value: str) -> bool:
    return _mailbox(value, _LOCAL, _ascii_hostname)


@_checks("idn-email")
def _is_idn_email(value: str) -> bool:
    return _mailbox(value, _LOCAL_UTF8, _is_idn_hostname)


# -- URIs and IRIs (RFC 3986, RFC 3987)

_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_IPRIVATE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
_UCS = (
    "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef\U00010000-\U0001fffd\U00020000-\U0002fffd"
    "\U00030000-\U0003fffd\U00040000-\U0004fffd\U00050000-\U0005fffd\U00060000-\U0006fffd"
    "\U00070000-\U0007fffd\U00080000-\U0008fffd\U00090000-\U0009fffd\U000a0000-\U000afffd"
    "\U000b0000-\U000bfffd\U000c0000-\U000cfffd\U000d0000-\U000dfffd\U000e1000-\U000efffd"
)


def _reference_source(iri: bool) -> str:
    extra = _UCS if iri else ""
    pchar = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@{extra}]|{_PCT})"
    query_extra = _IPRIVATE if iri else ""
    query = rf"(?:{pchar}|[/?{query_extra}])*"
    fragment = rf"(?:{pchar}|[/?])*"
    reg_name = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}{extra}]|{_PCT})*"
    ip_literal = r"\[[0-9A-Fa-f:.vV]+\]"
    userinfo = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:{extra}]|{_PCT})*"
    authority = rf"(?:{userinfo}@)?(?:{ip_literal}|{reg_name})(?::\d*)?"
    segment = rf"{pchar}*"
    hier = (
        rf"(?://{authority}(?:/{segment})*|/(?:{pchar}+(?:/{segment})*)?|{pchar}+(?:/{segment})*|)"
    )
    relative_first = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}@{extra}]|{_PCT})+"
    relative = (
        rf"(?://{authority}(?:/{segment})*|/(?:{pchar}+(?:/{segment})*)?"
        rf"|{relative_first}(?:/{segment})*|)"
    )
    scheme = r"[A-Za-z][A-Za-z0-9+\-.]*"
    return (
        rf"(?P<absolute>{scheme}:{hier})(?:\?{query})?(?:#{fragment})?"
        rf"|(?P<relative>{relative})(?:\?{query})?(?:#{fragment})?"
    )


# Compiled on first use: the two patterns' Unicode ranges cost ~60 ms to compile, a third of
# a mock-only Lambda's cold start, and most APIs never check a uri.
_REFERENCE = {iri: LazyPattern(_reference_source(iri)) for iri in (False, True)}


def _reference(value: str, *, iri: bool, absolute: bool) -> bool:
    found = _REFERENCE[iri].fullmatch(value)
    if found is None:
        return False
    if absolute and found["absolute"] is None:
        return False
    return _ip_literal_ok(value)


def _ip_literal_ok(value: str) -> bool:
    """An authority's ``[...]`` holds an IPv6 address (or an IPvFuture)."""
    found = re.match(r"(?:[A-Za-z][A-Za-z0-9+\-.]*:)?//(?:[^@/?#\[]*@)?\[([^\]]*)\]", value)
    if found is None:
        return True
    literal = found[1]
    return literal[:1] in ("v", "V") or _is_ipv6(literal)


@_checks("uri")
def _is_uri(value: str) -> bool:
    return _reference(value, iri=False, absolute=True)


@_checks("uri-reference")
def _is_uri_reference(value: str) -> bool:
    return _reference(value, iri=False, absolute=False)


@_checks("iri")
def _is_iri(value: str) -> bool:
    return _reference(value, iri=True, absolute=True)


@_checks("iri-reference")
def _is_iri_reference(value: str) -> bool:
    return _reference(value, iri=True, absolute=False)


_VARSPEC = r"(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*"
_EXPRESSION = LazyPattern(
    rf"[+#./;?&=,!@|]?{_VARSPEC}(?::[1-9]\d{{0,3}}|\*)?(?:,{_VARSPEC}(?::[1-9]\d{{0,3}}|\*)?)*"
)


@_checks("uri-template")
def _is_uri_template(value: str) -> bool:
    for literal, expression in re.findall(r"([^{}]*)(?:\{([^{}]*)\})?", value):
        if expression and not _EXPRESSION.fullmatch(expression):
            return False
        if any(c <= " " or c in '\x7f"<>\\^`|' for c in literal):
            return False
    return value.count("{") == value.count("}") and re.search(r"\{\}|\{[^}]*\{", value) is None


# -- identifiers and pointers

_UUID = LazyPattern(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@_checks("uuid")
def _is_uuid(value: str) -> bool:
    return _UUID.fullmatch(value) is not None


_JSON_POINTER = LazyPattern(r"(?:/(?:[^~/]|~[01])*)*")
_RELATIVE_POINTER = LazyPattern(
    r"(?:0|[1-9][0-9]*)(?:[+-](?:0|[1-9][0-9]*))?(?:#|(?:/(?:[^~/]|~[01])*)*)"
)


@_checks("json-pointer")
def _is_json_pointer(value: str) -> bool:
    return _JSON_POINTER.fullmatch(value) is not None


@_checks("relative-json-pointer")
def _is_relative_json_pointer(value: str) -> bool:
    return _RELATIVE_POINTER.fullmatch(value) is not None


@_checks("regex")
def _is_regex(value: str) -> bool:
    return is_ecma_regex(value)


# OpenAPI 3.0's schemas are JSON Schema draft Wright-00 (draft 5), whose formats are draft 4's
# (plus ``uriref``); JSON pointers came with draft 6 (json-schema-spec issue 109). A 3.0
# document's ``json-pointer`` names no format of its dialect, so it passes, as any unknown
# format does: ``#/a~1b`` (RFC 6901's URI-fragment form) is what such documents write.
_AFTER_OPENAPI_30 = frozenset({"json-pointer", "relative-json-pointer"})
OPENAPI_30_FORMAT_CHECKER = FormatChecker(formats=())
OPENAPI_30_FORMAT_CHECKER.checkers = {
    name: found for name, found in FORMAT_CHECKER.checkers.items() if name not in _AFTER_OPENAPI_30
}
