"""Where the repository's files are, for tests in any folder."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EVENTS = ROOT / "events"
FIXTURES = ROOT / "tests" / "fixtures"
