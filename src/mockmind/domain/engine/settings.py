"""What the engine is told at start-up: session keeping, caching, limits and prompting."""

from __future__ import annotations

from dataclasses import field

from mockmind.domain.client_input import DEFAULT_LIMITS, InputLimits
from mockmind.domain.prompt_experiment import PromptVariant
from mockmind.domain.sessions import SessionTracking
from mockmind.lean_dataclass import dataclass


@dataclass(frozen=True)
class EngineSettings:
    tracking: SessionTracking = field(default_factory=SessionTracking)
    cache_ttl_seconds: int = 300
    enable_response_cache: bool = True
    max_history_length: int = 50
    session_timeout_seconds: int = 3600
    max_body_bytes: int = 1_048_576
    # What a client's body may be (how deep its JSON nests), wherever the engine reads it.
    limits: InputLimits = DEFAULT_LIMITS
    # Whether an example that breaks its schema is served repaired (the default) or as is.
    repair_examples: bool = True

    @property
    def caches_responses(self) -> bool:
        return self.enable_response_cache and self.cache_ttl_seconds > 0


@dataclass(frozen=True)
class PromptSettings:
    system_prompt: str = "You are simulating a realistic API."
    # What the model must respect, in words (state machines, computed fields).
    rules: tuple[str, ...] = ()
    token_budget: int = 3000
    # Prompts under experiment: each session's content is asked with its variant's system
    # prompt (domain/prompt_experiment.py); none: ``system_prompt`` for every session.
    variants: tuple[PromptVariant, ...] = ()
