"""Log set-up shared by the CLI and the Lambda handler."""

from __future__ import annotations

import logging


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
