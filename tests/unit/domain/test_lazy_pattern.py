"""A lazy pattern matches as its compiled pattern does, compiled on its first match only."""

from __future__ import annotations

import re

import pytest

from mockmind.domain import json_extraction
from mockmind.lazy_pattern import LazyPattern
from mockmind.openapi import formats


def test_it_matches_as_the_compiled_pattern() -> None:
    lazy = LazyPattern(r"(\d+)-(\d+)", re.ASCII)
    assert lazy._compiled is None
    assert lazy.fullmatch("12-34") is not None
    assert lazy._compiled is re.compile(r"(\d+)-(\d+)", re.ASCII)
    assert lazy.fullmatch("12-34x") is None
    assert lazy.match("x12-3", 1)[0] == "12-3"  # type: ignore[index]
    assert lazy.search("a 1-2 b")[0] == "1-2"  # type: ignore[index]
    assert [m[0] for m in lazy.finditer("1-2 3-4", 1)] == ["3-4"]
    assert repr(lazy) == "LazyPattern('(\\\\d+)-(\\\\d+)', re.ASCII)"


def test_a_pattern_that_does_not_compile_fails_on_its_first_match() -> None:
    broken = LazyPattern("(")
    with pytest.raises(re.error):
        broken.match("x")


@pytest.mark.parametrize(
    "lazy",
    [
        *(v for v in vars(formats).values() if isinstance(v, LazyPattern)),
        *(v for v in vars(json_extraction).values() if isinstance(v, LazyPattern)),
    ],
    ids=repr,
)
def test_every_lazy_pattern_of_the_package_compiles(lazy: LazyPattern) -> None:
    assert lazy.compiled.pattern == lazy.pattern
