"""Log set-up shared by the CLI and the Lambda handler."""

from __future__ import annotations

import logging
import os


def configure_logging(level: str | None = None) -> None:
    chosen = (level or os.environ.get("POWERTOOLS_LOG_LEVEL") or "INFO").upper()
    logging.basicConfig(
        level=chosen,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("mockmind").setLevel(chosen)
