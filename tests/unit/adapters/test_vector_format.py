"""The stored vector index's bytes: what the S3 adapter has written since format 1 must still be
what is written and read (indexes in users' buckets keep loading)."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest

from mockmind.adapters.vectors.format import (
    Delta,
    decode_delta,
    decode_index,
    decode_matrix,
    delta_name,
    encode_delta,
    encode_index,
    encode_matrix,
    exact_bounds,
    float32_entry,
    index_dims,
    int8_fields,
    new_index,
    shard_name,
    stored_dtype,
)
from mockmind.adapters.vectors.index import error_bounds, quantize

ROWS = np.array([[0.6, 0.8, 0.0], [0.0, -1.0, 0.0]], dtype=np.float32)


def test_a_delta_is_compact_json_with_its_row_in_base64_little_endian_float32() -> None:
    body = encode_delta(Delta("v1", ROWS[0], {"n": 1, "text": "é"}))
    assert body == b'{"id":"v1","vector":"mpkZP83MTD8AAAAA","metadata":{"n":1,"text":"\\u00e9"}}'
    delta = decode_delta(body)
    assert (delta.id, delta.metadata) == ("v1", {"n": 1, "text": "é"})
    assert delta.row.dtype == np.float32
    assert np.array_equal(delta.row, ROWS[0])


def test_names_sort_in_write_order() -> None:
    assert delta_name(5, "ab") == "deltas/00000000000000000005-ab.json"
    assert delta_name(9, "z") < delta_name(10, "a")
    assert shard_name("ab") == "shards/ab.npy"
    assert shard_name("ab", exact=True) == "shards/ab.f32.npy"


def test_the_index_is_compact_utf8_json_in_the_key_order_written_since_format_3() -> None:
    deltas = [Delta("v1", ROWS[0], {"n": 1}), Delta("v2", ROWS[1], {"text": "é"})]
    entry = float32_entry("shards/x.npy", deltas)
    entry.update({"dtype": "int8", "exact": "shards/x.f32.npy", "exact_offset": 128})
    entry["bounds"] = "AkqlOgAAAAA="
    body = encode_index(new_index("int8", 3, [entry]))
    assert (
        body
        == (
            '{"format":3,"quantization":"int8","dims":3,"shards":[{"key":"shards/x.npy",'
            '"dtype":"int8","ids":["v1","v2"],"metadata":[{"n":1},{"text":"é"}],'
            '"exact":"shards/x.f32.npy","exact_offset":128,"bounds":"AkqlOgAAAAA="}]}'
        ).encode()
    )
    assert decode_index(body) == json.loads(body)


@pytest.mark.parametrize("matrix", [ROWS, quantize(ROWS)], ids=["float32", "int8"])
def test_a_shard_is_npy_read_in_place_with_the_offset_of_its_rows(matrix: np.ndarray) -> None:  # type: ignore[type-arg]
    body = encode_matrix(matrix)
    buffer = io.BytesIO()
    np.save(buffer, matrix, allow_pickle=False)
    assert body == buffer.getvalue()
    decoded, offset = decode_matrix(body)
    assert decoded.dtype == matrix.dtype
    assert np.array_equal(decoded, matrix)
    assert offset == len(body) - matrix.nbytes
    assert body[offset:] == matrix.tobytes()


def test_a_float64_row_is_stored_as_float32() -> None:
    decoded, _ = decode_matrix(encode_matrix(ROWS.astype(np.float64)))  # type: ignore[arg-type]
    assert decoded.dtype == np.float32


@pytest.mark.parametrize(
    "matrix",
    [np.zeros((2, 3)), np.zeros(3, dtype=np.float32), np.zeros((2, 3), dtype=np.float32).T],
    ids=["float64", "one-dimensional", "fortran-order"],
)
def test_anything_but_a_c_order_float32_or_int8_matrix_is_refused(matrix: np.ndarray) -> None:  # type: ignore[type-arg]
    buffer = io.BytesIO()
    np.save(buffer, matrix, allow_pickle=False)
    with pytest.raises(ValueError, match="C-order float32 or int8 matrix"):
        decode_matrix(buffer.getvalue())


def test_an_int8_entry_carries_its_exact_rows_and_error_bounds() -> None:
    codes = quantize(ROWS)
    fields = int8_fields("shards/x.f32.npy", 128, ROWS, codes)
    assert (fields["dtype"], fields["exact"], fields["exact_offset"]) == (
        "int8",
        "shards/x.f32.npy",
        128,
    )
    stored = np.frombuffer(base64.b64decode(fields["bounds"]), dtype="<f4")
    assert np.array_equal(stored, error_bounds(ROWS, codes))
    bounds, offset = exact_bounds(fields, 2)
    assert offset == 128
    assert np.array_equal(bounds, stored)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"exact_offset": 1}, "no valid bounds and exact_offset \\(KeyError"),
        ({"bounds": None, "exact_offset": 1}, "no valid bounds and exact_offset \\(TypeError"),
        ({"bounds": "AAAAAA==", "exact_offset": "x"}, "no valid bounds and exact_offset"),
        ({"bounds": "AAAAAA==", "exact_offset": 1}, "has 2 rows but 1 bounds"),
    ],
)
def test_broken_bounds_are_a_value_error(entry: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        exact_bounds(entry, 2)  # type: ignore[arg-type]


def test_entries_without_a_dtype_are_format_1_float32() -> None:
    assert stored_dtype({"key": "shards/old.npy"}) == "float32"
    assert stored_dtype({"key": "shards/new.npy", "dtype": "int8"}) == "int8"


def test_dimensions_come_from_the_index_else_the_first_delta() -> None:
    delta = Delta("v", ROWS[0], {})
    assert index_dims({"dims": 5}, [delta]) == 5
    assert index_dims({}, [delta]) == 3
    assert index_dims({}, []) == 0
