from __future__ import annotations

from mockmind.ports import CachedResponse, ResponseCache


def test_put_then_get(response_cache: ResponseCache) -> None:
    entry = CachedResponse(200, {"id": "x", "n": [1, 2]}, "application/json", {"X-A": "1"})
    response_cache.put("k", entry, expires_at=100.0)
    assert response_cache.get("k", now=99.0) == entry


def test_an_answer_made_for_a_session_is_served_until_its_expiry(
    response_cache: ResponseCache,
) -> None:
    entry = CachedResponse(200, {"for": "s-1"})
    response_cache.put("k", entry, expires_at=100.0, session_id="s-1")
    response_cache.put("other", CachedResponse(200, 2), expires_at=100.0, session_id="s-2")
    assert response_cache.get("k", now=99.0) == entry
    assert response_cache.get("k", now=100.0) is None


def test_missing_key(response_cache: ResponseCache) -> None:
    assert response_cache.get("absent", now=0.0) is None


def test_expired_entry_is_not_served(response_cache: ResponseCache) -> None:
    response_cache.put("k", CachedResponse(200, 1), expires_at=100.0)
    assert response_cache.get("k", now=100.0) is None


def test_put_replaces(response_cache: ResponseCache) -> None:
    response_cache.put("k", CachedResponse(200, 1), expires_at=100.0)
    response_cache.put("k", CachedResponse(201, 2), expires_at=200.0)
    assert response_cache.get("k", now=150.0) == CachedResponse(201, 2)


def test_purge_expired(response_cache: ResponseCache) -> None:
    response_cache.put("old", CachedResponse(200, 1), expires_at=10.0)
    response_cache.put("new", CachedResponse(200, 2), expires_at=1000.0)
    assert response_cache.purge_expired(now=500.0) == 1
    assert response_cache.get("new", now=500.0) == CachedResponse(200, 2)
    assert response_cache.get("old", now=5.0) is None
