"""What only the ``mockmind`` command may import, so that the Lambda layer can go without it.

``rich`` draws the command's tables and progress bars (the admin commands, ``simulate``,
``learn``). It
is a dependency of the package but not in the layer (layers/README.md): the function would
fail to import a module that needs it. So rich is imported by the command's packages only
(``mockmind.cli``, ``mockmind.simulation``, ``mockmind.learning``), and nothing else imports
those. Every module is
parsed (nothing imported); imports inside functions count too.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from tests.unit.architecture.test_import_cycles import module_files

CLI_PACKAGE = "mockmind.cli"
COMMAND_LINE = ("mockmind.cli", "mockmind.simulation", "mockmind.learning")
CLI_ONLY = {"rich"}


def _imported(path: Path, module: str) -> set[str]:
    """Every module name an import statement of the file names, relative ones resolved."""
    names: set[str] = set()
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                names.add(".".join([*base, node.module] if node.module else base))
            else:
                names.add(node.module or "")
    return names


def _in(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def _outside_the_cli() -> dict[str, set[str]]:
    return {
        module: _imported(path, module)
        for module, path in module_files().items()
        if not _in(module, COMMAND_LINE)
    }


def test_only_the_cli_imports_rich() -> None:
    found = sorted(
        f"{module} imports {name}"
        for module, names in _outside_the_cli().items()
        for name in names
        if name.split(".")[0] in CLI_ONLY
    )
    assert found == []


def test_nothing_outside_the_cli_imports_it() -> None:
    found = sorted(
        f"{module} imports {name}"
        for module, names in _outside_the_cli().items()
        for name in names
        if _in(name, COMMAND_LINE)
    )
    assert found == []


def test_the_checks_see_the_cli_and_its_imports() -> None:
    # Guards the guards: they would pass vacuously if the walk missed the CLI's modules.
    modules = module_files()
    assert "rich.table" in _imported(modules["mockmind.cli.output"], "mockmind.cli.output")
    assert "mockmind.cli.exits" in _imported(modules[CLI_PACKAGE], CLI_PACKAGE)
    assert "mockmind.app.api" in _outside_the_cli()


def test_the_lambda_handlers_modules_load_no_cli_module() -> None:
    # What handler.py imports, in a fresh interpreter: neither rich nor the CLI gets loaded.
    code = (
        "import sys\n"
        "import mockmind.app.lambda_entry, mockmind.app.api, mockmind.app.bootstrap\n"
        "import mockmind.app.cold_start, mockmind.app.snapstart\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'"
        " or m.startswith(('mockmind.cli', 'mockmind.simulation'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
