"""Log set-up shared by the CLI and the Lambda handler, and the mask that keeps every configured
secret out of every log line."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any


def configure_logging(level: str | None = None) -> None:
    """``level`` (the CLI's ``--log-level``, the handler's ``POWERTOOLS_LOG_LEVEL``), else INFO."""
    chosen = (level or "INFO").upper()
    logging.basicConfig(
        level=chosen,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("mockmind").setLevel(chosen)
    # At DEBUG, botocore logs whole request and response bodies: a Secrets Manager value and
    # every stored session among them. Its DEBUG output stays off whatever the level.
    floor = max(logging.getLevelNamesMapping().get(chosen, logging.INFO), logging.INFO)
    for name in ("botocore", "boto3", "urllib3"):
        logging.getLogger(name).setLevel(floor)


# Shorter values cannot be masked without garbling ordinary words in every line; keys and
# passwords worth the name are longer.
_MIN_MASKED = 4
_MASK = "***"


class SecretMask:
    """Masks every registered secret in every log record, at every level, whichever logger
    made it and whichever handler prints it.

    A record factory rather than a filter: a filter on a logger misses what its children
    propagate, one on a handler misses handlers added later (a test's capture, Lambda's own),
    while every record is made by the factory. Only records a logger emits at its level are
    made, so quiet levels cost nothing; a record that holds no secret is left as it was.
    """

    def __init__(self) -> None:
        self._secrets: tuple[str, ...] = ()
        self._lock = threading.Lock()
        self._installed = False

    def add(self, values: Iterable[str]) -> None:
        fresh = {v for v in values if len(v) >= _MIN_MASKED}
        with self._lock:
            # Longest first, so a key that contains another is masked whole.
            merged = set(self._secrets) | fresh
            self._secrets = tuple(sorted(merged, key=len, reverse=True))
            if not self._installed and self._secrets:
                base = logging.getLogRecordFactory()
                logging.setLogRecordFactory(partial(_masked_record, base, self))
                self._installed = True

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, _MASK)
        return text

    def covers(self, text: str) -> bool:
        return any(secret in text for secret in self._secrets)


def _masked_record(
    base: Callable[..., logging.LogRecord], mask: SecretMask, *args: Any, **kwargs: Any
) -> logging.LogRecord:
    record = base(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a bad format string is the handler's to report, as logging does
        return record
    if mask.covers(message):
        record.msg, record.args = mask.mask(message), None
    if record.exc_info and not record.exc_text:
        # Formatted once here, as a formatter would, so that what it prints is the masked text.
        record.exc_text = mask.mask(logging.Formatter().formatException(record.exc_info))
    if record.stack_info and mask.covers(record.stack_info):
        record.stack_info = mask.mask(record.stack_info)
    return record


# The process has one logging system, so one mask: every provider built adds its keys here.
SECRETS = SecretMask()


def mask_secrets(values: Iterable[str]) -> None:
    """Never let ``values`` appear in a log line from now on."""
    SECRETS.add(values)
