"""String and integer formats: which formats name strings, the bounds integer formats set, and
how strictly a string is checked against its format."""

from __future__ import annotations

import base64
import ipaddress
import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Final

INT_FORMAT_BOUNDS: Final[Mapping[str, tuple[int, int]]] = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}
STRING_FORMATS: Final = frozenset(
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
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_TIME = re.compile(r"^\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
# Stricter than RFC 3986 on purpose: an example is only reused when no validator would balk.
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#]+[^\s]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def format_ok(fmt: str, text: str) -> bool:
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
