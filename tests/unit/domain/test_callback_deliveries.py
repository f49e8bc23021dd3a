"""Delivery targets (what is refused, and why) and the batch's trip through JSON."""

from __future__ import annotations

import json

import pytest

from mockmind.domain.callbacks.deliveries import (
    Delivery,
    DeliveryBatch,
    Refusal,
    batch_from_dict,
    batch_to_dict,
    target_refusal,
)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/cb", "https://rx.example/a?b=c", "http://[::1]:9/x"]
)
def test_http_and_https_urls_are_allowed_by_default(url: str) -> None:
    assert target_refusal(url, None) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://rx/a", "'ftp://rx/a' has scheme 'ftp': only http and https URLs are called"),
        ("rx.example/cb", "'rx.example/cb' has no scheme: only http and https URLs are called"),
        (
            "javascript:alert(1)",
            "'javascript:alert(1)' has scheme 'javascript': only http and https URLs are called",
        ),
        ("http:///nohost", "'http:///nohost' names no host"),
        ("http://h:99999/", "'http://h:99999/' is not a URL (Port out of range 0-65535)"),
    ],
)
def test_other_targets_are_refused_with_the_reason(url: str, reason: str) -> None:
    assert target_refusal(url, None) == reason


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://hooks.test/x", True),
        ("http://HOOKS.test./x", True),
        ("http://a.b.example.com/x", True),
        ("http://example.com/x", False),
        ("http://evil-example.com/x", False),
        ("http://127.0.0.1/x", False),
    ],
)
def test_allowed_hosts_are_exact_names_or_subdomain_patterns(url: str, allowed: bool) -> None:
    refusal = target_refusal(url, ["hooks.test", "*.example.com"])
    assert (refusal is None) is allowed


def test_a_batch_survives_a_trip_through_json() -> None:
    batch = DeliveryBatch(
        "s1",
        12.5,
        (Delivery("callback", "onData", "POST", "http://x/", {"A": "b"}, '{"é":1}', "POST /s"),),
        (Refusal("webhook", "w", "PUT", "ftp://y", "no ftp", "admin"),),
    )
    assert batch_from_dict(json.loads(json.dumps(batch_to_dict(batch)))) == batch


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"session_id": 3, "scheduled_at": 1},
        {"session_id": None, "scheduled_at": "soon"},
        {"session_id": None, "scheduled_at": 1, "deliveries": [{"kind": "other"}]},
        {"session_id": None, "scheduled_at": 1, "refusals": [{"kind": "webhook"}]},
    ],
)
def test_a_malformed_batch_is_refused(data: dict[str, object]) -> None:
    with pytest.raises((KeyError, TypeError, ValueError)):
        batch_from_dict(data)
