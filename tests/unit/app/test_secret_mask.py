"""The log mask: a configured secret never reaches a log line, its traceback or its stack."""

from __future__ import annotations

import logging

import pytest

from mockmind.app.logging import SECRETS, mask_secrets
from mockmind.app.providers import split_user_info

SECRET = "sk-mask-4Jt8Qw2ZrL6pX0vB"


def test_messages_arguments_and_tracebacks_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    mask_secrets([SECRET, "ab"])
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("anything.at.all")
    log.debug("calling with %s", SECRET)
    log.info(f"url http://u:{SECRET}@host")
    try:
        raise ValueError(f"rejected {SECRET}")
    except ValueError:
        log.exception("failed")
    log.warning("a plain line about %s", "abacus")
    assert [r.getMessage() for r in caplog.records] == [
        "calling with ***",
        "url http://u:***@host",
        "failed",
        "a plain line about abacus",
    ]
    assert SECRET not in caplog.text
    assert "ValueError: rejected ***" in caplog.text
    assert SECRETS.mask("ab") == "ab", "too short to mask without garbling ordinary words"


@pytest.mark.parametrize(
    ("url", "base", "user_info"),
    [
        ("http://user:s%40cret@host:8080/v1", "http://host:8080/v1", ("user", "s@cret")),
        ("https://KEY123@gw.example/v1", "https://gw.example/v1", ("KEY123", "")),
        ("http://127.0.0.1:11434", "http://127.0.0.1:11434", None),
    ],
)
def test_user_info_leaves_the_url_for_the_auth(
    url: str, base: str, user_info: tuple[str, str] | None
) -> None:
    assert split_user_info(url) == (base, user_info)
