"""The path prefix of the admin routes (``/__mockmind/…``).

Its own module so that both sides of the split can name it: the ASGI entry (``api``) decides
on it without importing FastAPI, and the admin app (``admin``) mounts its routes under it.
"""

from __future__ import annotations

ADMIN_PREFIX = "/__mockmind"


def is_admin_path(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")
