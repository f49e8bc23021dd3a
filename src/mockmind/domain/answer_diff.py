"""Where two JSON answers differ, leaving out the paths a caller says to ignore.

Paths are written as JSONPath's simple subset: ``$`` the whole body, ``.name`` or ``['name']``
a member, ``[0]`` an item, ``[*]`` or ``.*`` any member or item, and ``..name`` a member at
any depth (``$..created_at``). A difference is reported at the deepest path where the two
answers part: ``$.items[1].price``, a member only one of them has, or a list one item longer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from mockmind.domain.errors import RequestError
from mockmind.lean_dataclass import dataclass

# One step of a path: a member name, an item index, or any of them ("*").
_Step = str | int
_ANY = "*"
# A pattern's steps: ("child", step) or ("descendant", step): a step that may come after any
# number of others.
_Part = tuple[Literal["child", "descendant"], _Step]

_NAME = r"[A-Za-z_$@\-][A-Za-z0-9_$@\-]*"
_TOKEN = re.compile(
    r"\.\.(?P<deep>" + _NAME + r"|\*)"
    r"|\.(?P<name>" + _NAME + r"|\*)"
    r"|\[(?P<index>-?[0-9]+|\*)\]"
    r"|\['(?P<single>[^']*)'\]"
    r"|\[\"(?P<double>[^\"]*)\"\]"
)
_PLAIN = re.compile(_NAME)
# The whole language of paths to ignore, as a JSON Schema pattern (no named groups: clients'
# regex engines read it too): the admin document promises exactly what ``parse_path`` takes.
# ``(?!\n)`` because Python's ``$`` also matches before a final newline, which no path has.
PATH_PATTERN = (
    r"^\$(?:\.\.(?:" + _NAME + r"|\*)|\.(?:" + _NAME + r"|\*)|\[(?:-?[0-9]+|\*)\]"
    r"|\['[^']*'\]|\[\"[^\"]*\"\])*(?!\n)$"
)

DifferenceKind = Literal["changed", "added", "removed"]


@dataclass(frozen=True)
class Difference:
    """``recorded`` and ``now`` at ``path``; ``added``: only ``now`` has it, ``removed``: only
    ``recorded`` (the value it lacks is None)."""

    path: str
    recorded: Any
    now: Any
    kind: DifferenceKind = "changed"


@dataclass(frozen=True)
class IgnoredPath:
    text: str
    parts: tuple[_Part, ...]

    def matches(self, steps: Sequence[_Step]) -> bool:
        """Whether the pattern matches ``steps`` or a path ``steps`` is inside of (ignoring
        ``$.a`` ignores everything under it too)."""
        return _match(self.parts, 0, steps, 0)


def parse_path(text: str) -> IgnoredPath:
    """A path to ignore; a 400 naming what is wrong with it when it is not one."""
    if not text.startswith("$"):
        raise _bad(text, "it must start with $")
    parts: list[_Part] = []
    at = 1
    while at < len(text):
        found = _TOKEN.match(text, at)
        if found is None:
            raise _bad(text, f"unexpected {text[at : at + 10]!r} at character {at + 1}")
        if found.group("deep") is not None:
            parts.append(("descendant", found.group("deep")))
        elif found.group("name") is not None:
            parts.append(("child", found.group("name")))
        elif found.group("index") is not None:
            index = found.group("index")
            parts.append(("child", _ANY if index == _ANY else int(index)))
        else:
            quoted = found.group("single")
            parts.append(("child", found.group("double") if quoted is None else quoted))
        at = found.end()
    return IgnoredPath(text, tuple(parts))


def _bad(text: str, why: str) -> RequestError:
    return RequestError(
        400,
        "Bad Request",
        f"{text!r} is not a path to ignore: {why} (write paths as $.id, $..created_at, "
        "$.items[*].id or $['odd name'])",
    )


def _match(parts: Sequence[_Part], i: int, steps: Sequence[_Step], j: int) -> bool:
    if i == len(parts):
        return True  # the pattern ends at or above the path: everything under it is ignored
    kind, want = parts[i]
    if kind == "child":
        return j < len(steps) and _fits(want, steps[j]) and _match(parts, i + 1, steps, j + 1)
    return any(
        _fits(want, steps[k]) and _match(parts, i + 1, steps, k + 1) for k in range(j, len(steps))
    )


def _fits(want: _Step, step: _Step) -> bool:
    if want == _ANY:
        return True
    if isinstance(want, int):
        return isinstance(step, int) and want == step
    return isinstance(step, str) and want == step


def path_text(steps: Sequence[_Step]) -> str:
    out = ["$"]
    for step in steps:
        if isinstance(step, int):
            out.append(f"[{step}]")
        elif _PLAIN.fullmatch(step):
            out.append(f".{step}")
        elif "'" in step and '"' not in step:
            out.append(f'["{step}"]')
        else:
            out.append(f"['{step}']")
    return "".join(out)


def differences(
    recorded: Any, now: Any, ignore: Sequence[IgnoredPath] = (), *, limit: int | None = None
) -> tuple[list[Difference], int]:
    """The differences (in document order, at most ``limit``) and how many more there were."""
    found: list[Difference] = []
    more = [0]

    def add(steps: list[_Step], difference: Difference) -> None:
        if any(pattern.matches(steps) for pattern in ignore):
            return
        if limit is not None and len(found) >= limit:
            more[0] += 1
            return
        found.append(difference)

    def walk(a: Any, b: Any, steps: list[_Step]) -> None:
        if any(pattern.matches(steps) for pattern in ignore):
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in [*a, *(k for k in b if k not in a)]:
                inner = [*steps, str(key)]
                if key not in b:
                    add(inner, Difference(path_text(inner), a[key], None, "removed"))
                elif key not in a:
                    add(inner, Difference(path_text(inner), None, b[key], "added"))
                else:
                    walk(a[key], b[key], inner)
            return
        if isinstance(a, list) and isinstance(b, list):
            for index in range(max(len(a), len(b))):
                inner = [*steps, index]
                if index >= len(b):
                    add(inner, Difference(path_text(inner), a[index], None, "removed"))
                elif index >= len(a):
                    add(inner, Difference(path_text(inner), None, b[index], "added"))
                else:
                    walk(a[index], b[index], inner)
            return
        if not _same_value(a, b):
            add(steps, Difference(path_text(steps), a, b))

    walk(recorded, now, [])
    return found, more[0]


def _same_value(a: Any, b: Any) -> bool:
    # JSON does not tell 1 from 1.0, but Python tells True from 1 only by type.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)
