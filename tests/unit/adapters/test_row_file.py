"""float32 rows on local disk, by slot."""

from __future__ import annotations

import numpy as np
import pytest

from mockmind.adapters.vectors.row_file import RowFile


def test_rows_read_back_by_slot_in_the_order_asked() -> None:
    rows = np.random.default_rng(1).standard_normal((5, 7), dtype=np.float32)
    file = RowFile(7)
    assert file.append(rows[:3]).tolist() == [0, 1, 2]
    assert file.append(rows[3:]).tolist() == [3, 4]
    assert len(file) == 5
    assert np.array_equal(file.read(np.array([4, 0, 2])), rows[[4, 0, 2]])
    file.close()


def test_a_slot_is_overwritten_in_place() -> None:
    file = RowFile(3)
    file.append(np.zeros((2, 3), dtype=np.float32))
    file.write(1, np.array([1, 2, 3], dtype=np.float32))
    assert file.read(np.array([1, 0])).tolist() == [[1, 2, 3], [0, 0, 0]]
    file.close()


def test_slots_past_the_end_are_refused() -> None:
    file = RowFile(3)
    file.append(np.zeros((1, 3), dtype=np.float32))
    with pytest.raises(IndexError, match="slot 1 out of 1"):
        file.read(np.array([1]))
    with pytest.raises(IndexError, match="slot 2 out of 1"):
        file.write(2, np.zeros(3, dtype=np.float32))
    file.close()
