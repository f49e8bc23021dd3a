from __future__ import annotations

import math

import pytest

from mockmind.ports import VectorMemory
from mockmind.ports.vector_memory import VectorItem


def _unit(angle_degrees: float) -> list[float]:
    """A 2-D vector at ``angle_degrees``: its cosine with [1, 0] is cos(angle)."""
    radians = math.radians(angle_degrees)
    return [math.cos(radians), math.sin(radians)]


def _fill(memory: VectorMemory, namespace: str = "ns") -> None:
    for name, angle, session in [
        ("a", 0, "s1"),
        ("b", 20, "s2"),
        ("c", 40, "s1"),
        ("d", 80, "s2"),
        ("e", 180, "s1"),
    ]:
        memory.add(namespace, name, _unit(angle), {"session_id": session, "text": name})


def test_search_is_best_first_with_cosine_scores(
    vector_memory: VectorMemory,
) -> None:
    _fill(vector_memory)
    hits = vector_memory.search("ns", [1.0, 0.0], limit=3, threshold=-1.0)
    assert [h.id for h in hits] == ["a", "b", "c"]
    exact = [1.0, math.cos(math.radians(20)), math.cos(math.radians(40))]
    assert [h.score for h in hits] == pytest.approx(exact, abs=1e-6)
    assert hits[0].metadata == {"session_id": "s1", "text": "a"}


def test_vectors_are_normalised(vector_memory: VectorMemory) -> None:
    vector_memory.add("ns", "long", [30.0, 40.0], {})
    (hit,) = vector_memory.search("ns", [3.0, 4.0], limit=1, threshold=0.0)
    assert hit.score == pytest.approx(1.0, abs=1e-6)


def test_threshold_drops_weak_matches(vector_memory: VectorMemory) -> None:
    _fill(vector_memory)
    hits = vector_memory.search("ns", [1.0, 0.0], limit=10, threshold=0.7)
    assert [h.id for h in hits] == ["a", "b", "c"]
    assert all(h.score >= 0.7 for h in hits)


def test_limit_bounds_the_answer(vector_memory: VectorMemory) -> None:
    _fill(vector_memory)
    assert len(vector_memory.search("ns", [1.0, 0.0], limit=2, threshold=-1.0)) == 2
    assert len(vector_memory.search("ns", [1.0, 0.0], limit=50, threshold=-1.0)) == 5


def test_session_filter_keeps_only_that_sessions_items(vector_memory: VectorMemory) -> None:
    _fill(vector_memory)
    hits = vector_memory.search("ns", [1.0, 0.0], limit=10, threshold=-1.0, session_id="s2")
    assert [h.id for h in hits] == ["b", "d"]


def test_namespaces_are_separate_and_counted(vector_memory: VectorMemory) -> None:
    _fill(vector_memory, "one")
    vector_memory.add("two", "x", [0.0, 1.0], {})
    assert vector_memory.count("one") == 5
    assert vector_memory.count("two") == 1
    assert vector_memory.count("three") == 0
    assert [h.id for h in vector_memory.search("two", [1.0, 1.0], limit=5, threshold=0)] == ["x"]


def test_an_empty_namespace_finds_nothing(vector_memory: VectorMemory) -> None:
    assert vector_memory.search("none", [1.0, 0.0], limit=5, threshold=0.0) == []


def test_dimensions_must_match_the_namespace(vector_memory: VectorMemory) -> None:
    vector_memory.add("ns", "a", [1.0, 0.0], {})
    with pytest.raises(ValueError, match="dimensions"):
        vector_memory.add("ns", "b", [1.0, 0.0, 0.0], {})
    assert vector_memory.count("ns") == 1


def test_add_many_is_add_of_each_in_order(vector_memory: VectorMemory) -> None:
    vector_memory.add("ns", "held", _unit(90), {"text": "old"})
    vector_memory.add_many(
        "ns",
        [
            VectorItem("a", _unit(0), {"session_id": "s1", "text": "a"}),
            VectorItem("held", _unit(10), {"text": "new"}),
            VectorItem("b", _unit(30), {"text": "b"}),
            VectorItem("a", _unit(60), {"session_id": "s1", "text": "a again"}),
        ],
    )
    vector_memory.add_many("ns", [])
    assert vector_memory.count("ns") == 3
    hits = vector_memory.search("ns", [1.0, 0.0], limit=5, threshold=-1.0)
    assert [(h.id, h.metadata["text"]) for h in hits] == [
        ("held", "new"),
        ("b", "b"),
        ("a", "a again"),
    ]
    assert [h.score for h in hits] == pytest.approx(
        [math.cos(math.radians(a)) for a in (10, 30, 60)], abs=1e-6
    )
