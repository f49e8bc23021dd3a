"""Where API keys come from: the environment on a laptop, Secrets Manager on AWS."""

from __future__ import annotations

from typing import Protocol


class SecretProvider(Protocol):
    def get(self, name: str) -> str | None:
        """The secret's value, or None when this source does not have it."""
        ...
