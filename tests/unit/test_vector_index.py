"""The quantized index on small data: recall against float32, exact filtering after re-ranking."""

from __future__ import annotations

import random

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockmind.adapters.llm.hashed_embedder import LocalHashedEmbedder
from mockmind.adapters.vector_index import RERANK, Quantization, VectorIndex, dequantize, quantize

DIMS = 96


def _units(n: int, seed: int, dims: int = DIMS) -> npt.NDArray[np.float32]:
    rows = np.random.default_rng(seed).standard_normal((n, dims), dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def _index(rows: npt.NDArray[np.float32], quantization: Quantization = "int8") -> VectorIndex:
    index = VectorIndex(rows.shape[1], quantization)
    index.extend(
        [f"v{n}" for n in range(rows.shape[0])],
        rows,
        [{"session_id": f"s{n % 7}", "n": n} for n in range(rows.shape[0])],
    )
    return index


def _embedded(n: int, seed: int, dims: int = DIMS) -> npt.NDArray[np.float32]:
    """The local embedder's vectors of deterministic sentences, sharing words in varied ways."""
    rng = random.Random(seed)
    words = [f"{a}{b}" for a in ("ka", "lo", "mi", "nu") for b in range(200)]
    nouns = ["order", "invoice", "refund", "cart", "ticket", "account", "shipment", "review"]
    embedder = LocalHashedEmbedder(dims)
    return np.array(
        [
            embedder.vector(
                f"{rng.choice(nouns)} {rng.choice(words)} {rng.choice(words)} "
                f"#{rng.randrange(1000)} {rng.choice(nouns)}"
            )
            for _ in range(n)
        ]
    )


@pytest.mark.parametrize(
    "make",
    [
        _units,
        pytest.param(
            _embedded,
            marks=pytest.mark.xfail(
                strict=True,
                reason="short sparse texts have near-ties closer than the int8 reconstruction "
                "error (measured 0.97): re-ranking them needs float32 rows",
            ),
        ),
    ],
)
def test_recall_at_10_against_float32_is_at_least_099(make: object) -> None:
    # The dimensions of the embeddings this targets: codes of 96 components are coarser.
    rows = make(3000, 5, 1536)  # type: ignore[operator]
    queries = make(40, 6, 1536)  # type: ignore[operator]
    index = _index(rows)
    found = 0
    for query in queries:
        exact = rows @ query
        # Rows tied with the 10th best count as found: either is a right answer.
        tenth = np.sort(exact)[-10]
        hits = index.search(query, limit=10, threshold=-1.0)
        found += sum(exact[int(h.id[1:])] >= tenth - 1e-6 for h in hits)
    assert found / (10 * len(queries)) >= 0.99


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 3 * RERANK),
    limit=st.integers(1, 40),
    threshold=st.floats(-0.3, 0.5),
    session=st.sampled_from([None, "s0", "s3", "nobody"]),
)
def test_hits_are_exactly_the_best_reconstructed_scores_over_the_filter(
    seed: int, n: int, limit: int, threshold: float, session: str | None
) -> None:
    """After re-ranking: best first, each >= threshold, only the session's, none better left out.

    Scores are exact cosines with the codes' reconstructions, and the coarse pass keeps
    RERANK candidates, far more than ``limit``: so the answer must match brute force over the
    reconstructions, filtered by session and threshold.
    """
    rows = _units(n, seed)
    query = _units(1, seed + 1)[0]
    index = _index(rows)
    hits = index.search(query, limit=limit, threshold=threshold, session_id=session)

    scores = dequantize(quantize(rows)) @ query
    allowed = [i for i in range(n) if session is None or f"s{i % 7}" == session]
    eligible = sorted((i for i in allowed if scores[i] >= threshold), key=lambda i: -scores[i])
    assert [h.score for h in hits] == pytest.approx([scores[i] for i in eligible[:limit]], abs=1e-5)
    assert all(h.score >= threshold for h in hits)
    assert all(h.metadata["session_id"] == session for h in hits if session)
    # Ties aside, the very same items.
    if len(eligible) <= limit or scores[eligible[limit - 1]] - scores[eligible[limit]] > 1e-5:
        assert {h.id for h in hits} == {f"v{i}" for i in eligible[:limit]}


def test_a_session_filter_ranks_as_an_index_of_that_session_alone() -> None:
    rows = _units(5 * RERANK, 9)
    query = _units(1, 10)[0]
    whole = _index(rows)
    alone = VectorIndex(DIMS, "int8")
    mine = [n for n in range(rows.shape[0]) if n % 7 == 3]
    alone.extend([f"v{n}" for n in mine], rows[mine], [{"session_id": "s3", "n": n} for n in mine])
    assert whole.search(query, limit=15, threshold=-1, session_id="s3") == alone.search(
        query, limit=15, threshold=-1
    )


def test_int8_scores_are_within_1e3_of_float32_on_1536_dims() -> None:
    rows = _units(300, 11, dims=1536)
    query = _units(1, 12, dims=1536)[0]
    hits = _index(rows).search(query, limit=300, threshold=-1)
    exact = rows @ query
    assert max(abs(h.score - exact[int(h.id[1:])]) for h in hits) < 1e-3


def test_put_replaces_row_metadata_and_session() -> None:
    index = _index(_units(40, 13))
    index.put("v5", _units(1, 14)[0], {"session_id": "new"})
    assert len(index) == 40
    (hit,) = index.search(_units(1, 14)[0], limit=1, threshold=0.99, session_id="new")
    assert (hit.id, hit.metadata) == ("v5", {"session_id": "new"})
    assert all(
        h.id != "v5"
        for h in index.search(_units(1, 14)[0], limit=40, threshold=-1, session_id="s5")
    )


def test_int8_holds_about_a_quarter_of_float32s_bytes() -> None:
    rows = _units(1000, 15, dims=1536)
    ratio = _index(rows).nbytes / _index(rows, "none").nbytes
    assert 0.25 <= ratio < 0.26


def test_codes_reconstruct_unit_rows_and_shards_load_as_is() -> None:
    rows = _units(50, 16)
    codes = quantize(rows)
    assert np.abs(codes).max(axis=1).tolist() == [127] * 50
    assert np.allclose(np.linalg.norm(dequantize(codes), axis=1), 1.0, atol=1e-6)
    from_codes, from_rows = VectorIndex(DIMS, "int8"), _index(rows)
    from_codes.extend(
        [f"v{n}" for n in range(50)],
        codes,
        [{"session_id": f"s{n % 7}", "n": n} for n in range(50)],
    )
    assert from_codes.search(rows[0], limit=5, threshold=-1) == from_rows.search(
        rows[0], limit=5, threshold=-1
    )
