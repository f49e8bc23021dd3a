"""Fixtures every layer shares; the helpers they use are in tests/support."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.support.aws import AWS_REGION

# --------------------------------------------------------------------------- AWS on loopback

# Dummy credentials for moto: set for the test session only, so nothing can reach a real account
# (and a developer's own profile is never used).
_AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": AWS_REGION,
    "AWS_REGION": AWS_REGION,
}
_AWS_CLEARED = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on a free loopback port (real HTTP for boto3), and its URL."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        for name, value in _AWS_TEST_ENV.items():
            patch.setenv(name, value)
        for name in _AWS_CLEARED:
            patch.delenv(name, raising=False)
        # One INFO line per AWS call would bury a failing test's own log.
        patch.setattr(logging.getLogger("werkzeug"), "level", logging.WARNING)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()
