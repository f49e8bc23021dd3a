"""``LazyPattern``: a module's regular expression, compiled when it is first matched.

Compiling a pattern costs ~0.1-1 ms of CPU; a module that holds a dozen for paths a start may
never take (the string formats a request may never use, a model's answer offline) pays that at
every Lambda cold start (bench/RESULTS.md, section 2). A ``LazyPattern`` is written where the
``re.compile`` was and matched the same way; its first ``match``, ``fullmatch``, ``search``
or ``finditer`` compiles it. Two threads matching it first at once may each compile it;
either result stays, and both are the same pattern, so no lock is taken. A pattern that does
not compile is a programming error, found by the first test that matches it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator


class LazyPattern:
    __slots__ = ("_compiled", "flags", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self.pattern, self.flags)
        return compiled

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.match(text, pos)

    def fullmatch(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.fullmatch(text, pos)

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.search(text, pos)

    def finditer(self, text: str, pos: int = 0) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text, pos)

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r}, {self.flags!r})"
