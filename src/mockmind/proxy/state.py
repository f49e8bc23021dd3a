"""What the proxy's app and its admin routes share: the settings, and what was seen so far."""

from __future__ import annotations

from dataclasses import field

from mockmind.app.admin_access import AdminAccess
from mockmind.app.admin_prefix import ADMIN_PREFIX
from mockmind.lean_dataclass import dataclass
from mockmind.proxy.drift import DriftCheck
from mockmind.proxy.forwarding import Upstream
from mockmind.proxy.mismatches import MismatchLog
from mockmind.proxy.recording import Recorder

# The proxy's own routes; every other path, other admin paths too, goes upstream.
PROXY_PREFIX = f"{ADMIN_PREFIX}/proxy"


@dataclass
class ProxySettings:
    upstream: Upstream
    drift: DriftCheck | None = None
    recorder: Recorder | None = None
    admin: AdminAccess = field(default_factory=lambda: AdminAccess(None, in_lambda=False))
    # The document's path as given, for the health route.
    openapi: str | None = None


@dataclass
class ProxyState:
    settings: ProxySettings
    mismatches: MismatchLog = field(default_factory=MismatchLog)
    # Requests forwarded since the start; each one's number names it in mismatch reports.
    exchanges: int = 0
