"""pydantic without its plugin search, when the environment turns plugins off.

The first time pydantic builds a validator it imports its plugin loader, whose first line
imports ``importlib.metadata`` (and with it the ``email`` package and ``csv``, which a mock-only
Lambda start otherwise does without), and only then reads ``PYDANTIC_DISABLE_PLUGINS``, which
the template sets to ``__all__``: the metadata machinery is imported to be left unused.

``skip_plugin_discovery`` puts a stand-in for that loader module where Python's import looks
first (``sys.modules``), before any model is built. Its ``get_plugins`` answers as pydantic's
own does while plugins are off (no plugins); should the variable be changed later, it hands the
call to pydantic's loader, imported then. With plugins on at the start, or pydantic's loader
already imported, it does nothing. The unit tests build models with the installed pydantic
and the stand-in in a fresh interpreter and check that ``importlib.metadata`` stays out, so an
upgrade that searches for plugins some other way shows there, not as a slower start.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from collections.abc import Iterable

LOADER = "pydantic.plugin._loader"
# The values pydantic's get_plugins reads as "no plugins at all".
_OFF = ("__all__", "1", "true")


def plugins_off() -> bool:
    return os.environ.get("PYDANTIC_DISABLE_PLUGINS") in _OFF


def _get_plugins() -> Iterable[object]:
    if plugins_off():
        return ()
    # Turned on since the start: pydantic's own loader, in place of this one from now on.
    del sys.modules[LOADER]
    loader = importlib.import_module(LOADER)
    plugins: Iterable[object] = loader.get_plugins()
    return plugins


def skip_plugin_discovery() -> bool:
    """Install the stand-in loader; True if it was installed."""
    if not plugins_off() or LOADER in sys.modules:
        return False
    stand_in = types.ModuleType(LOADER, __doc__)
    vars(stand_in)["get_plugins"] = _get_plugins
    sys.modules[LOADER] = stand_in
    return True
