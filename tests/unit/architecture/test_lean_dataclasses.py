"""Every dataclass in the package comes from ``mockmind.lean_dataclass``: the standard
library's compiles five methods per class at import, a quarter of a mock-only Lambda start's CPU
(bench/RESULTS.md, section 2). A module that imports ``dataclasses.dataclass`` brings that cost
back without anyone noticing; this test notices."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "src" / "mockmind"


def _plain_dataclass_imports(source: Path) -> list[int]:
    tree = ast.parse(source.read_text(), filename=str(source))
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "dataclasses":
            lines += [node.lineno for alias in node.names if alias.name == "dataclass"]
        elif isinstance(node, ast.Attribute) and node.attr == "dataclass":
            value = node.value
            if isinstance(value, ast.Name) and value.id == "dataclasses":
                lines.append(node.lineno)
    return lines


def test_no_module_defines_dataclasses_with_the_standard_librarys_decorator() -> None:
    found = {
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "lean_dataclass.py"
        for line in _plain_dataclass_imports(path)
    }
    assert found == set(), "use `from mockmind.lean_dataclass import dataclass`"


def test_the_check_sees_both_spellings(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import dataclasses\nfrom dataclasses import dataclass, field\n\n"
        "@dataclasses.dataclass\nclass A:\n    x: int\n"
    )
    assert sorted(_plain_dataclass_imports(module)) == [2, 4]
