"""Who may use the admin routes: a bearer token, or, with none set, this machine only.

The admin routes show and change every session's data, so they are closed unless:

- an admin token is configured (``MOCKMIND_ADMIN_TOKEN``: the environment, or the key of that
  name in the Secrets Manager secret on AWS) and the request carries it, as
  ``Authorization: Bearer <token>`` or ``X-Mockmind-Admin-Token: <token>``; or
- no token is configured, the server is not a Lambda function, and the request comes from
  the loopback interface (a laptop's own tools and tests).

On Lambda without a token every admin request is refused: the function's URL is public.
A tenant's admin routes take that tenant's token only, ``MOCKMIND_ADMIN_TOKEN_<TENANT>``
(``shop-eu``: ``MOCKMIND_ADMIN_TOKEN_SHOP_EU``); the stack's own token is not one of them.
Health and the admin routes' own document stay open: they hold no session data.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping

from mockmind.adapters.llm.secret import Secret
from mockmind.domain.errors import RequestError
from mockmind.lean_dataclass import dataclass
from mockmind.tenants.names import variable_suffix

ADMIN_TOKEN_VARIABLE = "MOCKMIND_ADMIN_TOKEN"
TOKEN_HEADER = "x-mockmind-admin-token"


def admin_token_variable(tenant: str | None = None) -> str:
    """Where the admin token is found: the stack's, or a tenant's own."""
    if tenant is None:
        return ADMIN_TOKEN_VARIABLE
    return f"{ADMIN_TOKEN_VARIABLE}_{variable_suffix(tenant)}"


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="mockmind admin"'}


@dataclass(frozen=True)
class AdminAccess:
    token: Secret | None
    in_lambda: bool
    # Where the token comes from, for the refusals' advice (a tenant's has its name).
    variable: str = ADMIN_TOKEN_VARIABLE

    def refusal(self, headers: Mapping[str, str], client_host: str | None) -> RequestError | None:
        """Why this request may not use the admin routes, or None when it may.

        ``headers`` are keyed in lower case, as ASGI gives them.
        """
        if self.token is not None:
            given = _presented(headers)
            if given is None:
                return RequestError(
                    401,
                    "Unauthorized",
                    "the admin routes need the admin token: send `Authorization: Bearer "
                    f"<token>` or `X-Mockmind-Admin-Token: <token>` ({self.variable})",
                    headers=dict(_CHALLENGE),
                )
            if not hmac.compare_digest(given.encode(), self.token.reveal().encode()):
                return RequestError(
                    401,
                    "Unauthorized",
                    "the admin token sent is not this server's",
                    headers=dict(_CHALLENGE),
                )
            return None
        if self.in_lambda:
            return RequestError(
                403,
                "Forbidden",
                "the admin routes are closed: no admin token is configured (set "
                f"{self.variable} in the function's secret or environment)",
            )
        if not _is_loopback(client_host):
            return RequestError(
                403,
                "Forbidden",
                "with no admin token set the admin routes answer only this machine "
                f"(127.0.0.1, ::1); set {self.variable} to reach them from elsewhere",
            )
        return None


def _presented(headers: Mapping[str, str]) -> str | None:
    direct = headers.get(TOKEN_HEADER)
    if direct:
        return direct.strip()
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
