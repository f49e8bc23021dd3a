"""A lazy pattern matches as its compiled pattern does, compiled on its first match only."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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


# Each named by its module and attribute. Ids that pytest escapes (a repr's backslashes) came
# out escaped once more when one process collected the tests a second time, as mutmut does (it
# lists the tests, then runs the new ones, in one process): those tests were then "not found"
# and mutmut's collection of the new tests' stats failed.
LAZY_PATTERNS = [
    pytest.param(value, id=f"{module.__name__.rpartition('.')[2]}.{name}")
    for module in (formats, json_extraction)
    for name, value in vars(module).items()
    if isinstance(value, LazyPattern)
]


@pytest.mark.parametrize("lazy", LAZY_PATTERNS)
def test_every_lazy_pattern_of_the_package_compiles(lazy: LazyPattern) -> None:
    assert lazy.compiled.pattern == lazy.pattern


def test_its_ids_are_the_same_when_one_process_collects_them_twice() -> None:
    """As mutmut's stats of new tests do: a test must be found under the id it was listed by."""
    script = """
import sys, pytest
class Ids:
    def __init__(self): self.ids = []
    def pytest_collection_modifyitems(self, items): self.ids += [i.nodeid for i in items]
runs = [Ids(), Ids()]
for run in runs:
    pytest.main(["-q", "--collect-only", "-p", "no:cacheprovider", sys.argv[1]], plugins=[run])
print(runs[0].ids == runs[1].ids, len(runs[0].ids))
"""
    here = Path(__file__)
    done = subprocess.run(
        [sys.executable, "-c", script, str(here)],
        cwd=here.parents[3],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines()[-1] == f"True {2 + len(LAZY_PATTERNS) + 1}"
