"""bench/RESULTS.md keeps its rows in number order, however they were written."""

from __future__ import annotations

from bench.report import in_number_order

TEXT = """# Benchmark results

Written by `bench/run.py`.

## Summary

- 10. Many writers: met
- 2. Cold start: not met
- 13. LLM path: met
- 9. Memory: met

## 10. Many writers

ten

## 2. Cold start

two

## 13. LLM path

thirteen

## 9. Memory

nine
"""


def test_sections_and_summary_lines_go_in_number_order() -> None:
    assert (
        in_number_order(TEXT)
        == """# Benchmark results

Written by `bench/run.py`.

## Summary

- 2. Cold start: not met
- 9. Memory: met
- 10. Many writers: met
- 13. LLM path: met

## 2. Cold start

two

## 9. Memory

nine

## 10. Many writers

ten

## 13. LLM path

thirteen
"""
    )


def test_text_already_in_order_is_kept_as_it_is() -> None:
    ordered = in_number_order(TEXT)
    assert in_number_order(ordered) == ordered
