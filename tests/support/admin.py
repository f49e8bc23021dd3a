"""The admin token a black-box test sends, when the server it runs against has one.

A local server started by the tests has none and answers its own machine; a deployed one
(MOCKMIND_URL) wants the token its secret holds: set MOCKMIND_ADMIN_TOKEN for the run.
"""

from __future__ import annotations

import os


def admin_headers() -> dict[str, str]:
    token = os.environ.get("MOCKMIND_ADMIN_TOKEN")
    return {"X-Mockmind-Admin-Token": token} if token else {}
