"""Secrets from environment variables: the embedded default for API keys."""

from __future__ import annotations

from collections.abc import Mapping


class EnvSecretProvider:
    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def get(self, name: str) -> str | None:
        return self._env.get(name) or None
