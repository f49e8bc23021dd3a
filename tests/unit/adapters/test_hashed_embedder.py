from __future__ import annotations

import asyncio
import subprocess
import sys

import numpy as np
import pytest

from mockmind.adapters.llm.hashed_embedder import LocalHashedEmbedder


def cosine(embedder: LocalHashedEmbedder, a: str, b: str) -> float:
    return float(embedder.vector(a) @ embedder.vector(b))


def test_vectors_are_normalised_and_deterministic() -> None:
    embedder = LocalHashedEmbedder(512)
    [vector] = asyncio.run(embedder.embed(["POST /orders created order 42"]))
    assert len(vector) == embedder.dimensions == 512
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert embedder.embed_sync(["same text"]) == embedder.embed_sync(["same text"])
    assert embedder.embed_sync([""]) == [[0.0] * 512]


def test_stable_across_processes() -> None:
    # str hashes are salted per process; the embedder must not depend on them.
    code = (
        "from mockmind.adapters.llm.hashed_embedder import LocalHashedEmbedder;"
        "print(LocalHashedEmbedder(64).embed_sync(['order shipped'])[0][:8])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1


@pytest.mark.parametrize(
    ("query", "similar", "unrelated"),
    [
        ("GET /orders/42 returned a shipped order", "order 42 was shipped", "user Ada logged in"),
        ("create a new user account", "created user accounts", "delete the shopping cart"),
        ("the colour of the product", "product color", "payment declined by the bank"),
        ("add two mugs to the cart", "cart has mugs", "list followers of a post"),
    ],
)
def test_similar_texts_score_higher_than_unrelated(
    query: str, similar: str, unrelated: str
) -> None:
    embedder = LocalHashedEmbedder()
    assert cosine(embedder, query, similar) > cosine(embedder, query, unrelated) + 0.1


def test_word_order_matters_a_little() -> None:
    embedder = LocalHashedEmbedder()
    same = cosine(embedder, "paid order shipped", "paid order shipped")
    swapped = cosine(embedder, "paid order shipped", "shipped order paid")
    assert same == pytest.approx(1.0, abs=1e-5)
    assert 0.5 < swapped < same


def test_too_few_dimensions_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 8"):
        LocalHashedEmbedder(4)
