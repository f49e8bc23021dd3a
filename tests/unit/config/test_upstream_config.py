"""The optional ``upstream:`` section: what ``serve`` forwards what it cannot answer to."""

from __future__ import annotations

import pytest

from mockmind.config import parse_config
from mockmind.config.models import UpstreamConfig
from mockmind.domain.errors import ConfigError


def test_absent_by_default() -> None:
    assert parse_config("{}", env={}).config.upstream is None


def test_a_full_section() -> None:
    text = (
        "upstream:\n"
        "  url: https://api.example.com/v2\n"
        "  timeout_seconds: 5\n"
        "  record: traffic.har\n"
        "  mask: [pin, X-Tenant]\n"
    )
    assert parse_config(text, env={}).config.upstream == UpstreamConfig(
        url="https://api.example.com/v2",
        timeout_seconds=5,
        record="traffic.har",
        mask=["pin", "X-Tenant"],
    )
    assert parse_config("upstream: {url: 'http://127.0.0.1:9'}", env={}).config.upstream == (
        UpstreamConfig(url="http://127.0.0.1:9", timeout_seconds=30, record=None, mask=[])
    )


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        (
            "upstream:\n  url: http://a\n  recrod: x.har\n",
            "upstream.recrod",
            "did you mean 'record'",
        ),
        ("upstream:\n  url: ftp://a\n", "upstream.url", "should match pattern"),
        ("upstream:\n  record: x.har\n", "upstream.url", "required"),
        (
            "upstream:\n  url: http://a\n  timeout_seconds: 0\n",
            "upstream.timeout_seconds",
            "greater than 0",
        ),
    ],
)
def test_mistakes_are_named(text: str, path: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, env={})
    (issue,) = info.value.issues
    assert issue.path == path
    assert message in issue.message
