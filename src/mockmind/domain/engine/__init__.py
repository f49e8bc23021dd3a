"""The engine: the request flow (``flow``) and the named steps it sequences."""

from mockmind.domain.engine.flow import EngineResult, MockEngine
from mockmind.domain.engine.route_plan import RoutePlan, RoutePlanner
from mockmind.domain.engine.settings import EngineSettings, PromptSettings
from mockmind.domain.engine.world import World

__all__ = [
    "EngineResult",
    "EngineSettings",
    "MockEngine",
    "PromptSettings",
    "RoutePlan",
    "RoutePlanner",
    "World",
]
