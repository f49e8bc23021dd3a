"""bench/coldstart.py --write: the comparison is one note of section 2, replaced in place."""

from __future__ import annotations

from pathlib import Path

from bench import coldstart
from bench.report import section_text

SECTION = f"""# Benchmark results

## Summary

- {coldstart.TITLE}: measured

## {coldstart.TITLE}

intro

| n | format |
| --- | --- |
| 1 | int8 |

- The app's modules alone import in 1 s.
- The index objects are written by the benchmark.

_This section took 83 s._

## 3. Semantic search

kept
"""

FOUND = {
    "this": {"import": 0.9, "cpu": 0.5, "first": 0.03, "first_cpu": 0.02},
    "other": {"import": 1.2, "cpu": 1.0, "first": 0.004, "first_cpu": 0.003},
}


def test_the_note_says_the_figures_the_ratio_and_the_command(tmp_path: Path) -> None:
    note = coldstart.compare_note(tmp_path, FOUND, 15)
    assert note.startswith(f"{coldstart.MOCK_ONLY_NOTE}: ")
    assert "500 ms of CPU against 1000 ms (0.50x; target met (≤ 0.6x))" in note
    assert "wall 900 against 1200 ms" in note
    assert "first GET /products after it 20 against 3 ms of CPU" in note
    assert "the import and the first request together 520 against 1003 ms (0.52x" in note
    assert f"--against {tmp_path} --repeat 15 --write`" in note
    slower = {**FOUND, "this": {**FOUND["this"], "cpu": 0.7}}
    assert "(0.70x; target **not met** (≤ 0.6x))" in coldstart.compare_note(tmp_path, slower, 15)


def test_the_note_goes_last_among_section_2s_notes_and_replaces_the_last_one(
    tmp_path: Path,
) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(SECTION)
    coldstart.write_compare_note(f"{coldstart.MOCK_ONLY_NOTE}: first", results)
    coldstart.write_compare_note(f"{coldstart.MOCK_ONLY_NOTE}: second", results)
    text = results.read_text()
    section = section_text(text, coldstart.TITLE)
    assert section is not None
    assert section.endswith(
        "- The index objects are written by the benchmark.\n"
        f"- {coldstart.MOCK_ONLY_NOTE}: second\n\n_This section took 83 s._\n\n"
    )
    assert text.count(coldstart.MOCK_ONLY_NOTE) == 1
    assert text.endswith("## 3. Semantic search\n\nkept\n")
