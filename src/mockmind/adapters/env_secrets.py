"""Secrets from environment variables: the embedded default for API keys."""

from __future__ import annotations

import os
from collections.abc import Mapping


class EnvSecretProvider:
    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = os.environ if env is None else env

    def get(self, name: str) -> str | None:
        return self._env.get(name) or None
