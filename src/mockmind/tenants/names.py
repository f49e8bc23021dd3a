"""What a tenant may be called: lowercase letters, digits and ``-``, 1 to 63 characters.

A name becomes a folder in the catalog, a key prefix in the stores, a path segment and a host
name label, so it is held to what all of them take as they are (a DNS label's alphabet and
length). It never starts or ends with ``-``: a host label cannot.
"""

from __future__ import annotations

import re

from mockmind.domain.errors import ConfigError, ConfigIssue

_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def is_tenant_name(text: str) -> bool:
    return _NAME.fullmatch(text) is not None


def checked_tenant_name(text: str) -> str:
    """``text`` when it is a valid name; a ConfigError saying why not otherwise."""
    if is_tenant_name(text):
        return text
    raise ConfigError(
        [
            ConfigIssue(
                "tenant",
                f"invalid tenant name {text[:80]!r}: use 1 to 63 lowercase letters, digits "
                "and '-', not starting or ending with '-'",
            )
        ]
    )


def variable_suffix(name: str) -> str:
    """The name as an environment variable's suffix: ``shop-eu`` -> ``SHOP_EU``."""
    return name.upper().replace("-", "_")
