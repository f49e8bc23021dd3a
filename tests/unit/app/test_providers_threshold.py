"""The similarity threshold recall uses: the config's, else the embedder's measured default."""

from __future__ import annotations

import pytest

from mockmind.app.bootstrap import build
from mockmind.app.providers import similarity_threshold
from mockmind.config import parse_config


@pytest.mark.parametrize(
    ("configured", "embedder", "expected"),
    [
        (0.7, "local", (0.7, "vector_store.similarity_threshold")),
        (-0.2, "minilm", (-0.2, "vector_store.similarity_threshold")),
        (None, "local", (0.4, "the local embedder's default")),
        (None, "minilm", (0.5, "the minilm embedder's default")),
        (None, "openai", (0.5, "the default for a remote embedder (openai)")),
    ],
)
def test_threshold_and_why(
    configured: float | None, embedder: str, expected: tuple[float, str]
) -> None:
    assert similarity_threshold(configured, embedder) == expected


def test_the_memory_recalls_at_the_embedder_default_unless_the_config_names_one() -> None:
    on = "storage: {backend: memory}\nintelligent_behavior:\n  vector_store: {enabled: true}\n"
    container = build(parse_config(on, env={}), env={})
    assert container.memory is not None
    assert (container.memory.threshold, container.memory_threshold_from) == (
        0.4,
        "the local embedder's default",
    )
    named = on.replace("{enabled: true}", "{enabled: true, similarity_threshold: 0.65}")
    container = build(parse_config(named, env={}), env={})
    assert container.memory is not None
    assert (container.memory.threshold, container.memory_threshold_from) == (
        0.65,
        "vector_store.similarity_threshold",
    )
