"""Media types: matching a request's ``Content-Type`` to the spec's content keys (which may be
ranges such as ``application/*``) and negotiating a response's against ``Accept``."""

from __future__ import annotations

from collections.abc import Sequence

from mockmind.lean_dataclass import dataclass


def parse_media_type(text: str) -> tuple[str, dict[str, str]]:
    """``Application/JSON; charset=UTF-8`` -> (``application/json``, {``charset``: ``UTF-8``})."""
    base, *rest = text.split(";")
    params: dict[str, str] = {}
    for part in rest:
        name, _, value = part.partition("=")
        if name.strip():
            params[name.strip().lower()] = value.strip().strip('"')
    return base.strip().lower(), params


def is_json(media_type: str | None) -> bool:
    if not media_type:
        return False
    base = parse_media_type(media_type)[0]
    return base in ("application/json", "text/json") or base.endswith("+json")


def covers(pattern: str, media_type: str) -> bool:
    """Whether the range ``pattern`` (``*/*``, ``image/*`` or concrete) includes ``media_type``."""
    pattern_type, _, pattern_sub = pattern.partition("/")
    kind, _, sub = media_type.partition("/")
    if pattern_type == "*":
        return True
    if pattern_type != kind:
        return False
    return pattern_sub in ("*", sub)


def _specificity(pattern: str) -> int:
    if pattern.startswith("*/"):
        return 0
    return 1 if pattern.endswith("/*") else 2


def match_request_type(actual: str, declared: Sequence[str]) -> str | None:
    """The most specific declared content key that accepts ``actual`` (a concrete type)."""
    base = parse_media_type(actual)[0]
    best: tuple[int, str] | None = None
    for key in declared:
        pattern = parse_media_type(key)[0]
        if covers(pattern, base):
            rank = _specificity(pattern)
            if best is None or rank > best[0]:
                best = (rank, key)
    return best[1] if best else None


@dataclass(frozen=True)
class _AcceptRange:
    pattern: str
    q: float


def parse_accept(header: str | None) -> list[_AcceptRange]:
    ranges: list[_AcceptRange] = []
    for part in (header or "").split(","):
        if not part.strip():
            continue
        pattern, params = parse_media_type(part)
        if "/" not in pattern:
            pattern = "*/*" if pattern == "*" else f"{pattern}/*"
        try:
            q = float(params.get("q", "1"))
        except ValueError:
            q = 1.0
        ranges.append(_AcceptRange(pattern, q))
    return ranges or [_AcceptRange("*/*", 1.0)]


def _json_preference(media_type: str) -> int:
    if media_type == "application/json":
        return 2
    return 1 if is_json(media_type) else 0


def _concrete(declared: str, wanted: str) -> str:
    """The type to label the response with when the spec declares a range like ``*/*``."""
    if "*" not in declared:
        return declared
    if "*" not in wanted and covers(declared, wanted):
        return wanted
    for candidate in ("application/json", "text/plain"):
        if covers(declared, candidate) and covers(wanted, candidate):
            return candidate
    return "application/octet-stream"


def negotiate(accept: str | None, available: Sequence[str]) -> tuple[str, str] | None:
    """(content key, media type to send) that suits ``Accept`` best, or None.

    Higher ``q`` wins, then the more specific ``Accept`` range, then JSON (so ``*/*`` or no
    header gets ``application/json`` when the spec has it), then declaration order."""
    ranges = parse_accept(accept)
    best: tuple[tuple[float, int, int, int], str, str] | None = None

    def consider(score: tuple[float, int, int, int], key: str, concrete: str) -> None:
        nonlocal best
        if best is None or score > best[0]:
            best = (score, key, concrete)

    for index, key in enumerate(available):
        declared = parse_media_type(key)[0]
        if "*" not in declared:
            # The most specific range that covers a type decides its q (so q=0 excludes it).
            covering = [r for r in ranges if covers(r.pattern, declared)]
            if not covering:
                continue
            accepted = max(covering, key=lambda r: _specificity(r.pattern))
            if accepted.q > 0:
                spec = _specificity(accepted.pattern)
                consider((accepted.q, spec, _json_preference(declared), -index), key, declared)
            continue
        for accepted in ranges:
            if accepted.q <= 0 or not (
                covers(accepted.pattern, declared) or covers(declared, accepted.pattern)
            ):
                continue
            concrete = _concrete(declared, accepted.pattern)
            spec = _specificity(accepted.pattern)
            consider((accepted.q, spec, _json_preference(concrete), -index), key, concrete)
    if best is None:
        return None
    return best[1], best[2]
