"""``/__mockmind/ui``: the web UI, plain HTML, CSS and JavaScript modules shipped in the
package (``app/ui/``): no build step, nothing fetched from elsewhere, works offline.

The files hold no session data, so they are served without the admin token (a browser's
address bar cannot send a header); the page asks for the token once, keeps it for the tab
and sends it with every admin request it makes. A content security policy keeps the page to
its own origin, so nothing can be loaded from a CDN by mistake.
"""

from __future__ import annotations

import re
from importlib import resources

from fastapi import FastAPI
from fastapi.responses import RedirectResponse, Response

from mockmind.app.admin_prefix import ADMIN_PREFIX
from mockmind.domain.errors import RequestError
from mockmind.lean_dataclass import dataclass

UI_PATH = ADMIN_PREFIX + "/ui"

_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(html|css|js|svg)$")
_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
}


@dataclass(frozen=True)
class UiFile:
    body: bytes
    media_type: str


def ui_files() -> dict[str, UiFile]:
    """The UI's files by name, read once from the package."""
    folder = resources.files("mockmind.app") / "ui"
    found: dict[str, UiFile] = {}
    for entry in folder.iterdir():
        if entry.is_file() and _NAME.match(entry.name):
            suffix = entry.name[entry.name.rindex(".") :]
            found[entry.name] = UiFile(entry.read_bytes(), _MEDIA_TYPES[suffix])
    return found


def add_ui_routes(app: FastAPI) -> None:
    files = ui_files()

    def served(name: str) -> Response:
        found = files.get(name)
        if found is None:
            raise RequestError(404, "Not Found", f"the UI has no file {name!r}")
        return Response(found.body, media_type=found.media_type, headers=dict(_HEADERS))

    @app.get(UI_PATH, include_in_schema=False)
    async def ui_root() -> Response:
        # Relative: behind a stage prefix (API Gateway's /prod) the page still finds its files.
        return RedirectResponse("ui/", status_code=307)

    @app.get(UI_PATH + "/", include_in_schema=False)
    async def ui_index() -> Response:
        return served("index.html")

    @app.get(UI_PATH + "/{name}", include_in_schema=False)
    async def ui_file(name: str) -> Response:
        return served(name)
