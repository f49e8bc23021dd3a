"""A body as a recording keeps it: masked, and only what can be masked.

JSON as its value (secrets masked field by field), a form as text masked by field, other
text as it is; no body as null. A body that cannot be kept (longer than the kept limit,
binary, in a coding the proxy does not decode, or JSON that cannot be read to mask it) is
left out with a note saying why, as the journal notes a body it leaves out.
"""

from __future__ import annotations

from typing import Any

from mockmind.domain.client_input import DEFAULT_LIMITS, read_json
from mockmind.domain.errors import UnreadableInput
from mockmind.lean_dataclass import dataclass
from mockmind.openapi.media import is_json, parse_media_type
from mockmind.proxy.exchange import Body
from mockmind.proxy.masking import Masking

_TEXT_TYPES = ("application/xml", "application/javascript", "application/x-ndjson")
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class LeftOut:
    """A body not kept, and why."""

    why: str

    def as_json(self) -> dict[str, str]:
        return {"left_out": self.why}


def body_text(body: Body, encoding: str | None) -> str | None:
    """The body as text, when it is UTF-8 text the recording can keep whole; else None."""
    raw = body.decoded(encoding)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def body_value(body: Body, content_type: str | None, encoding: str | None, masking: Masking) -> Any:
    """A body as a journal event keeps it (masked); a body left out as its note."""
    kept = kept_body(body, content_type, encoding, masking)
    return kept.as_json() if isinstance(kept, LeftOut) else kept


def kept_body(body: Body, content_type: str | None, encoding: str | None, masking: Masking) -> Any:
    """The masked value (JSON) or text of a body, None for none, or why it is left out."""
    if body.size == 0:
        return None
    if body.truncated:
        return LeftOut(f"a body of {body.size} bytes, over the {body.limit} a recording keeps")
    text = body_text(body, encoding)
    if text is None:
        coding = (encoding or "").strip().lower()
        if coding not in ("", "identity") and body.decoded(encoding) is None:
            return LeftOut(f"a body of {body.size} bytes in the {coding} coding")
        return LeftOut(f"a binary body of {body.size} bytes ({content_type or 'no type'})")
    return masked_text(text, content_type, masking)


def masked_text(text: str, content_type: str | None, masking: Masking) -> Any:
    """Text as kept: JSON as its (masked) value, a form masked by field, other text as it is."""
    media = parse_media_type(content_type)[0] if content_type else ""
    if media == FORM:
        return masking.form(text)
    if is_json(content_type) or not media:
        try:
            return masking.json(read_json(text, DEFAULT_LIMITS))
        except (UnreadableInput, ValueError):
            if is_json(content_type):
                # JSON that cannot be read cannot be masked field by field: not kept.
                return LeftOut(f"a body of {len(text)} characters that is not readable JSON")
    if media.startswith("text/") or media in _TEXT_TYPES or not media or media.endswith("+xml"):
        return text
    return LeftOut(f"a body of {len(text)} characters ({content_type})")
