"""The stand-in for pydantic's plugin loader: what pydantic's own answers, without its import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types

import pytest

from mockmind.app import pydantic_plugins
from mockmind.app.pydantic_plugins import LOADER, skip_plugin_discovery

# In a fresh interpreter: pytest has imported importlib.metadata long before any test runs.
BUILD_A_MODEL = """
import json, sys
from mockmind.app.pydantic_plugins import LOADER, skip_plugin_discovery
installed = skip_plugin_discovery()
from pydantic import BaseModel, TypeAdapter
class Item(BaseModel):
    name: str
    quantity: int = 1
item = Item.model_validate({"name": "pen", "quantity": "3"})
TypeAdapter(list[int]).validate_python(["1"])
print(json.dumps([installed, item.quantity, "importlib.metadata" in sys.modules,
                  type(sys.modules[LOADER].get_plugins()).__name__]))
"""


def _run(plugins: str | None) -> list[object]:
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if plugins is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = plugins
    out = subprocess.run(
        [sys.executable, "-c", BUILD_A_MODEL],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: list[object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("off", ["__all__", "1", "true"])
def test_with_plugins_off_pydantic_builds_models_without_importlib_metadata(off: str) -> None:
    # Fails if the installed pydantic reaches its plugins some other way (an upgrade).
    assert _run(off) == [True, 3, False, "tuple"]


@pytest.mark.parametrize("plugins", [None, "", "some_plugin"])
def test_otherwise_pydantic_searches_as_it_always_did(plugins: str | None) -> None:
    # pydantic's loader answers with the plugins it found (a dict's values).
    assert _run(plugins) == [False, 3, True, "dict_values"]


def test_plugins_turned_on_after_the_start_are_searched_by_pydantics_loader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "__all__")
    monkeypatch.delitem(sys.modules, LOADER, raising=False)
    assert skip_plugin_discovery()
    stand_in = sys.modules[LOADER]
    assert stand_in.get_plugins() == ()
    assert not skip_plugin_discovery()  # once is enough
    assert sys.modules[LOADER] is stand_in

    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "")
    found = stand_in.get_plugins()
    real = sys.modules[LOADER]
    assert real is not stand_in
    assert str(real.__file__).endswith("_loader.py")
    assert list(found) == list(real.get_plugins())


def test_an_already_imported_loader_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "__all__")
    loaded = types.ModuleType(LOADER)
    monkeypatch.setitem(sys.modules, LOADER, loaded)
    assert not skip_plugin_discovery()
    assert sys.modules[LOADER] is loaded


def test_plugins_off_reads_the_values_pydantic_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, off in [
        ("__all__", True),
        ("1", True),
        ("true", True),
        ("True", False),
        ("x", False),
    ]:
        monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", value)
        assert pydantic_plugins.plugins_off() is off
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS")
    assert not pydantic_plugins.plugins_off()
