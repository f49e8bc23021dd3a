"""The quantized index: the same answers as float32, from codes and a few float32 rows."""

from __future__ import annotations

import random

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockmind.adapters.llm.hashed_embedder import LocalHashedEmbedder
from mockmind.adapters.vectors.index import (
    Quantization,
    RowSource,
    VectorIndex,
    _floor,
    dequantize,
    error_bounds,
    quantize,
)

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


@pytest.mark.slow
@pytest.mark.parametrize("make", [_units, _embedded])
def test_top_10_is_float32s_top_10_on_1536_dims(make: object) -> None:
    # The dimensions of the embeddings this targets; short sparse texts have near-ties far
    # closer than the int8 reconstruction error, which only the float32 re-scoring separates.
    rows = make(3000, 5, 1536)  # type: ignore[operator]
    queries = make(40, 6, 1536)  # type: ignore[operator]
    index = _index(rows)
    for query in queries:
        exact = rows @ query
        # Rows tied with the 10th best count as found: either is a right answer.
        tenth = np.sort(exact)[-10]
        hits = index.search(query, limit=10, threshold=-1.0)
        assert len(hits) == 10
        assert all(exact[int(h.id[1:])] >= tenth - 1e-6 for h in hits)
        assert [h.score for h in hits] == pytest.approx(
            [float(exact[int(h.id[1:])]) for h in hits], abs=1e-6
        )


class _Shard:
    """float32 rows as an S3 shard's object holds them, counting the rows read."""

    def __init__(self, rows: npt.NDArray[np.float32]) -> None:
        self.rows = rows
        self.read_rows = 0

    def read(self, offsets: npt.NDArray[np.intp]) -> npt.NDArray[np.float32]:
        self.read_rows += offsets.shape[0]
        return self.rows[offsets]


def _from_shard(rows: npt.NDArray[np.float32]) -> tuple[VectorIndex, _Shard]:
    shard = _Shard(rows)
    codes = quantize(rows)
    index = VectorIndex(rows.shape[1], "int8")
    n = rows.shape[0]
    index.extend(
        [f"v{i}" for i in range(n)],
        codes,
        [{"session_id": f"s{i % 7}", "n": i} for i in range(n)],
        RowSource(shard, np.arange(n), error_bounds(rows, codes)),
    )
    return index, shard


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 600),
    limit=st.integers(1, 40),
    threshold=st.floats(-0.3, 0.5),
    session=st.sampled_from([None, "s0", "s3", "nobody"]),
    loaded=st.booleans(),
)
def test_hits_are_exactly_float32s_over_the_filter_and_threshold(
    seed: int, n: int, limit: int, threshold: float, session: str | None, loaded: bool
) -> None:
    """Best first, each >= threshold, only the session's, none better left out: brute force.

    Every pass drops only rows it proves cannot be among the best, so the answer is float32's,
    whether the rows came as float32 (spilled to the row file) or as a shard's codes.
    """
    rows = _units(n, seed)
    query = _units(1, seed + 1)[0]
    index = _from_shard(rows)[0] if loaded else _index(rows)
    hits = index.search(query, limit=limit, threshold=threshold, session_id=session)

    scores = rows @ query
    allowed = [i for i in range(n) if session is None or f"s{i % 7}" == session]
    eligible = sorted((i for i in allowed if scores[i] >= threshold), key=lambda i: -scores[i])
    assert [h.score for h in hits] == pytest.approx([scores[i] for i in eligible[:limit]], abs=1e-5)
    assert all(h.score >= threshold for h in hits)
    assert all(h.metadata["session_id"] == session for h in hits if session)
    # The very same items, but for ties at the cut: every item better than the last one kept
    # is in, and nothing worse than it (by more than float error) is.
    cutoff = scores[eligible[limit - 1]] if len(eligible) >= limit else -np.inf
    must = {f"v{i}" for i in eligible[:limit] if scores[i] > cutoff + 1e-5}
    may = {f"v{i}" for i in eligible if scores[i] >= cutoff - 1e-5}
    assert must <= {h.id for h in hits} <= may


def test_only_a_few_dozen_float32_rows_are_read_per_search() -> None:
    rows = _units(5000, 21, dims=1536)
    index, shard = _from_shard(rows)
    for query in _units(20, 22, dims=1536):
        index.search(query, limit=10, threshold=-1)
    # Measured 20-30 a search on random unit vectors, the hardest case (no clear winners).
    assert shard.read_rows / 20 < 200


def test_codes_without_a_float32_source_are_scored_by_their_reconstruction() -> None:
    rows = _units(50, 23)
    codes = quantize(rows)
    index = VectorIndex(DIMS, "int8")
    index.extend([f"v{n}" for n in range(50)], codes, [{"n": n} for n in range(50)])
    hits = index.search(rows[3], limit=50, threshold=-1)
    reconstructed = dequantize(codes) @ rows[3]
    assert [h.score for h in hits] == pytest.approx(
        sorted(reconstructed.tolist(), reverse=True), abs=1e-5
    )


def test_a_session_filter_ranks_as_an_index_of_that_session_alone() -> None:
    rows = _units(1280, 9)
    query = _units(1, 10)[0]
    whole = _index(rows)
    alone = VectorIndex(DIMS, "int8")
    mine = [n for n in range(rows.shape[0]) if n % 7 == 3]
    alone.extend([f"v{n}" for n in mine], rows[mine], [{"session_id": "s3", "n": n} for n in mine])
    assert whole.search(query, limit=15, threshold=-1, session_id="s3") == alone.search(
        query, limit=15, threshold=-1
    )


def test_put_over_a_loaded_row_re_scores_it_from_the_new_row() -> None:
    rows = _units(40, 11)
    index, shard = _from_shard(rows)
    index.put("v5", rows[9], {"session_id": "s5"})
    index.put("v5", rows[8], {"session_id": "s5"})  # overwritten in the row file
    hits = index.search(rows[8], limit=2, threshold=-1)
    assert {h.id for h in hits} == {"v5", "v8"}
    assert [h.score for h in hits] == pytest.approx([1.0, 1.0], abs=1e-5)
    assert shard.read_rows <= 1


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
    loaded, spilled = _from_shard(rows)[0], _index(rows)
    for query in rows[:5]:
        assert loaded.search(query, limit=5, threshold=-1) == spilled.search(
            query, limit=5, threshold=-1
        )


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 20_000),
    limit=st.integers(1, 60),
    ties=st.booleans(),
)
def test_the_floor_is_reached_by_at_least_limit_values(
    seed: int, n: int, limit: int, ties: bool
) -> None:
    """What makes the passes exact: ``limit`` values are >= the floor, and with distinct
    values spread at random it is the limit-th largest itself almost always."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(n).astype(np.float32)
    if ties:
        values = np.round(values, 1)
    limit = min(limit, n)
    floor = _floor(values, limit)
    assert int((values >= floor).sum()) >= limit
    assert floor <= np.sort(values)[-limit]


# -- removing rows (a session that ended, with the memory backend)


def _without(
    rows: npt.NDArray[np.float32], gone: set[int], quantization: Quantization
) -> VectorIndex:
    """An index built from scratch of the rows that were not removed."""
    kept = [n for n in range(rows.shape[0]) if n not in gone]
    index = VectorIndex(rows.shape[1], quantization)
    index.extend(
        [f"v{n}" for n in kept], rows[kept], [{"session_id": f"s{n % 7}", "n": n} for n in kept]
    )
    return index


@pytest.mark.parametrize("quantization", ["int8", "none"])
def test_removed_rows_are_gone_and_the_rest_answer_as_a_fresh_index(
    quantization: Quantization,
) -> None:
    rows = _units(300, 21)
    index = _index(rows, quantization)
    gone = {n for n in range(300) if n % 7 == 3} | {299, 0}
    assert index.remove([f"v{n}" for n in sorted(gone)] + ["never-held"]) == len(gone)
    assert len(index) == 300 - len(gone)
    fresh = _without(rows, gone, quantization)
    for query in _units(5, 22):
        for session in (None, "s1", "s3"):
            got = index.search(query, limit=12, threshold=-1, session_id=session)
            want = fresh.search(query, limit=12, threshold=-1, session_id=session)
            assert [(h.id, h.metadata) for h in got] == [(h.id, h.metadata) for h in want]
            assert [h.score for h in got] == pytest.approx([h.score for h in want], abs=1e-6)
    assert index.search(rows[3], limit=5, threshold=-1, session_id="s3") == []


def test_a_session_whose_rows_all_went_is_forgotten_and_its_code_never_reused() -> None:
    rows = _units(70, 23)
    index = _index(rows)
    index.remove([f"v{n}" for n in range(70) if n % 7 == 3])
    new = _units(4, 24)
    for n, row in enumerate(new):
        index.put(f"new{n}", row, {"session_id": "newcomer"})
    hits = index.search(new[0], limit=20, threshold=-1, session_id="newcomer")
    assert sorted(h.id for h in hits) == ["new0", "new1", "new2", "new3"]
    # s6 had the code a newcomer numbered by the count of sessions would have taken.
    assert all(
        h.metadata["session_id"] == "s6"
        for h in index.search(new[0], limit=20, threshold=-1, session_id="s6")
    )
    assert len(index.search(new[0], limit=20, threshold=-1, session_id="s6")) == 10


def test_the_row_file_reuses_the_slots_of_removed_rows() -> None:
    rows = _units(64, 25)
    index = VectorIndex(DIMS, "int8")
    for n in range(32):
        index.put(f"v{n}", rows[n], {"session_id": "old"})
    spill = index._spill
    assert spill is not None
    assert len(spill) == 32
    index.remove([f"v{n}" for n in range(32)])
    for n in range(32, 64):
        index.put(f"v{n}", rows[n], {"session_id": "new"})
    assert len(spill) == 32
    for n in (32, 40, 63):
        (hit,) = index.search(rows[n], limit=1, threshold=-1)
        assert (hit.id, hit.score) == (f"v{n}", pytest.approx(1.0, abs=1e-5))


def test_rows_loaded_from_a_shard_are_removed_without_touching_the_shard() -> None:
    rows = _units(40, 26)
    index, shard = _from_shard(rows)
    gone = {n for n in range(40) if n % 7 == 2}
    index.remove([f"v{n}" for n in gone])
    (hit,) = index.search(rows[10], limit=1, threshold=-1)
    assert (hit.id, hit.metadata["n"]) == ("v10", 10)
    assert hit.score == pytest.approx(1.0, abs=1e-5)
    assert index.search(rows[9], limit=3, threshold=0.999) == []  # v9 was removed
    assert shard.read_rows >= 1
