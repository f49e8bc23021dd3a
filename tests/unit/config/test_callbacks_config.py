"""The optional ``callbacks:`` section: defaults, values read, unknown keys refused."""

from __future__ import annotations

import pytest

from mockmind.app.deliveries import delivery_policy
from mockmind.config import parse_config
from mockmind.domain.callbacks.deliveries import DeliveryPolicy
from mockmind.domain.errors import ConfigError


def test_without_the_section_callbacks_are_on_with_the_defaults() -> None:
    callbacks = parse_config("{}", env={}).config.callbacks
    assert callbacks.enabled is True
    assert delivery_policy(callbacks) == DeliveryPolicy(
        delay_seconds=0,
        retries=2,
        backoff_seconds=0.5,
        max_backoff_seconds=30,
        timeout_seconds=10,
        allowed_hosts=None,
    )
    assert callbacks.webhook_targets == {}


def test_the_section_is_read_into_the_delivery_policy() -> None:
    text = (
        "callbacks:\n"
        "  delay_seconds: 2.5\n"
        "  retries: 4\n"
        "  backoff_seconds: 1\n"
        "  max_backoff_seconds: 5\n"
        "  timeout_seconds: 3\n"
        "  allowed_hosts: [localhost, '*.test']\n"
        "  webhook_targets: {newPet: ['http://localhost:9/in']}\n"
    )
    callbacks = parse_config(text, env={}).config.callbacks
    assert delivery_policy(callbacks) == DeliveryPolicy(2.5, 4, 1, 5, 3, ("localhost", "*.test"))
    assert callbacks.webhook_targets == {"newPet": ["http://localhost:9/in"]}


@pytest.mark.parametrize(
    ("text", "path", "line"),
    [
        ("callbacks:\n  retires: 3\n", "callbacks.retires", 2),
        ("callbacks:\n  retries: 11\n", "callbacks.retries", 2),
        ("callbacks:\n  timeout_seconds: 0\n", "callbacks.timeout_seconds", 2),
        ("callbacks:\n  delay_seconds: -1\n", "callbacks.delay_seconds", 2),
    ],
)
def test_a_wrong_key_or_value_is_refused_with_its_line(text: str, path: str, line: int) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, env={})
    (issue,) = info.value.issues
    assert (issue.path, issue.line) == (path, line)
