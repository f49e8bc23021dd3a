"""``${VAR}`` and ``${VAR:-default}`` in config strings, resolved from an environment mapping."""

from __future__ import annotations

import re
from collections.abc import Mapping

_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\$")


def substitute(text: str, env: Mapping[str, str]) -> str:
    """Replace every reference; an unset variable without a default becomes "".

    ``$$`` escapes a literal dollar sign. A variable set to "" also takes the default, as in
    POSIX shells' ``:-``.
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        value = env.get(name)
        if value:
            return value
        return default if default is not None else ""

    return _PATTERN.sub(replace, text)


def references(text: str) -> list[str]:
    """The variable names a string refers to (for "which variables are unset" messages)."""
    return [m.group(1) for m in _PATTERN.finditer(text) if m.group(1)]
