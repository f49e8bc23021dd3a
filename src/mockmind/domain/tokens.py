"""How many tokens a text is, roughly: for prompt budgets and when a provider counts none."""

from __future__ import annotations


def estimate_tokens(text: str) -> int:
    """About four characters a token for English and JSON; good enough to keep under budget."""
    return len(text) // 4 + 1
