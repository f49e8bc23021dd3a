"""all-MiniLM-L6-v2 on onnxruntime (the ``minilm`` extra): real model files, no network.

The extra is a dev dependency (`make test` installs it), so the tests that run the model fail,
saying what to install, when it is missing; the fallback to the hashed embedder is tested
either way.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from mockmind.adapters.llm.hashed_embedder import LocalHashedEmbedder
from mockmind.adapters.llm.minilm_embedder import (
    DIMENSIONS,
    MODEL_ID,
    MiniLMEmbedder,
    MiniLMFiles,
    MiniLMUnavailableError,
    installed_files,
)
from mockmind.adapters.vectors.memory import MemoryVectorMemory
from mockmind.app.providers import build_llm_services
from mockmind.config.models import BehaviorModelConfig, VectorStoreConfig
from mockmind.domain.memory import SemanticMemory
from mockmind.domain.sessions import Interaction
from mockmind.ports.llm import EmbeddingProvider, ProviderError

PARAPHRASES = Path(__file__).resolve().parent.parent / "fixtures" / "paraphrases.jsonl"


@pytest.fixture(scope="module")
def files() -> MiniLMFiles:
    try:
        return installed_files()
    except MiniLMUnavailableError as exc:
        pytest.fail(
            f"the minilm extra is not installed ({exc}): run `pip install -e '.[dev]'` "
            "(`make test` does)",
            pytrace=False,
        )


class _NoSecrets:
    def get(self, name: str) -> str | None:
        return None


def _services(vectors: dict[str, Any]) -> Any:
    return build_llm_services(
        BehaviorModelConfig(), VectorStoreConfig.model_validate(vectors), _NoSecrets(), {}
    )


@pytest.fixture(scope="module")
def minilm(files: MiniLMFiles) -> MiniLMEmbedder:
    # One per module: the model loads once (about 0.3 s), as in a server process.
    return MiniLMEmbedder(files)


def _embed(embedder: EmbeddingProvider, texts: list[str]) -> npt.NDArray[np.float32]:
    return np.asarray(asyncio.run(embedder.embed(texts)), dtype=np.float32)


def test_vectors_are_unit_length_with_384_dimensions(minilm: MiniLMEmbedder) -> None:
    vectors = _embed(minilm, ["POST /orders created order 42", "", "x " * 2_000])
    assert vectors.shape == (3, DIMENSIONS) == (3, minilm.dimensions)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert (minilm.name, minilm.model) == ("minilm", MODEL_ID)


def test_a_text_has_one_vector_whatever_it_is_embedded_with(
    minilm: MiniLMEmbedder, files: MiniLMFiles
) -> None:
    # Vectors outlive the process (the S3 index): the same text must give the same vector in
    # another instance and in any batch.
    alone = _embed(MiniLMEmbedder(files), ["Cancel my order"])[0]
    batch = _embed(minilm, ["a much longer text " * 20, "Cancel my order", "hi"])[1]
    assert np.array_equal(alone, batch)


def test_a_paraphrase_is_nearer_than_shared_words(minilm: MiniLMEmbedder) -> None:
    query, paraphrase, lookalike = _embed(
        minilm,
        [
            "Cancel my order",
            "I no longer want the purchase I made, please call it off.",
            "Order a new printer cartridge for the office.",
        ],
    )
    assert query @ paraphrase > query @ lookalike + 0.2
    hashed = _embed(LocalHashedEmbedder(), ["Cancel my order", "I no longer want it", "Order it"])
    # The hashed embedder, by design, prefers the shared word.
    assert hashed[0] @ hashed[2] > hashed[0] @ hashed[1]


def _scores(embedder: EmbeddingProvider) -> dict[str, float]:
    rows = [json.loads(line) for line in PARAPHRASES.read_text(encoding="utf-8").splitlines()]
    queries = [r["query"] for r in rows if "query" in r]
    documents = [r["match"] for r in rows if "match" in r]
    documents += [r["distractor"] for r in rows if "distractor" in r]
    scores = _embed(embedder, queries) @ _embed(embedder, documents).T
    own = np.diagonal(scores)
    ranks = (scores >= own[:, None]).sum(axis=1)
    return {
        "recall@1": float((ranks <= 1).mean()),
        "recall@5": float((ranks <= 5).mean()),
        "mrr": float((1.0 / ranks).mean()),
    }


@pytest.mark.slow
def test_it_retrieves_paraphrases_far_better_than_the_hashed_embedder(
    minilm: MiniLMEmbedder,
) -> None:
    # Measured: MiniLM R@1 0.79, R@5 0.98, MRR 0.88; hashed 0.08, 0.20, 0.14
    # (bench/embedders.py prints the figures). Margins leave room for other onnxruntime builds.
    model, hashed = _scores(minilm), _scores(LocalHashedEmbedder())
    assert model["recall@1"] >= 0.7
    assert model["recall@5"] >= 0.9
    assert model["mrr"] >= 0.8
    assert model["mrr"] >= hashed["mrr"] + 0.5


def test_semantic_memory_recalls_a_reworded_request(minilm: MiniLMEmbedder) -> None:
    memory = SemanticMemory(minilm, MemoryVectorMemory(), limit=1, threshold=0.2)
    calls = [
        Interaction(1.0, "POST", "/orders/7/cancel", 200, None, {"status": "cancelled"}),
        Interaction(2.0, "GET", "/weather/tomorrow", 200, None, {"forecast": "rain"}),
        Interaction(3.0, "PUT", "/users/3/password", 204, {"password": "***"}, None),
    ]
    for i, call in enumerate(calls):
        asyncio.run(memory.remember("s1", f"i{i}", call))
    hits = asyncio.run(memory.recall("s1", "Will it be sunny the next day?", tuple(calls)))
    assert hits == ['GET /weather/tomorrow -> 200 {"forecast": "rain"}']


def test_a_file_that_does_not_match_its_digest_is_refused(
    tmp_path: Path, files: MiniLMFiles
) -> None:
    tampered = tmp_path / "tokenizer.json"
    shutil.copyfile(files.tokenizer, tampered)
    with tampered.open("a") as f:
        f.write(" ")
    embedder = MiniLMEmbedder(MiniLMFiles(files.model, tampered, None, files.tokenizer_sha256))
    with pytest.raises(ProviderError, match="does not match its pinned SHA-256"):
        asyncio.run(embedder.embed(["hello"]))


def test_a_broken_model_file_is_a_provider_error(tmp_path: Path, files: MiniLMFiles) -> None:
    broken = tmp_path / "model.onnx"
    broken.write_bytes(b"not an onnx model")
    embedder = MiniLMEmbedder(MiniLMFiles(broken, files.tokenizer))
    with pytest.raises(ProviderError, match="model load failed"):
        asyncio.run(embedder.embed(["hello"]))


def test_the_pinned_digests_are_the_installed_files(files: MiniLMFiles) -> None:
    for path, expected in (
        (files.model, files.model_sha256),
        (files.tokenizer, files.tokenizer_sha256),
    ):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == expected


@pytest.mark.usefixtures("files")
def test_providers_use_it_when_configured() -> None:
    built = _services({"enabled": True, "embedding_provider": "minilm"})
    assert isinstance(built.embedder, MiniLMEmbedder)
    status = built.health()["embeddings"]
    assert (status["configured"], status["in_use"], status["model"]) == (
        "minilm",
        "minilm",
        MODEL_ID,
    )


def test_without_the_extra_the_hashed_embedder_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", not_installed)
    built = _services({"enabled": True, "embedding_provider": "minilm"})
    assert isinstance(built.embedder, LocalHashedEmbedder)
    status = built.embedding_status
    assert (status.configured, status.in_use) == ("minilm", "local")
    assert status.reason.startswith("minilm is unavailable: ")
    assert "pip install 'mockmind[minilm]'" in status.reason
