"""Fixtures every layer shares, and the markers that say which layer a test belongs to.

Markers follow the folders, so `-m` selects a layer whatever paths are given:
- tests/unit, and this folder's own checks: no marker
  (`-m "not integration and not e2e and not ui"`).
- tests/integration: `integration`, adapters against real protocols on loopback.
- tests/e2e: `e2e`, black-box HTTP flows against a mockmind process or MOCKMIND_URL.
- tests/ui: `ui`, the web UI in a real headless Chromium (Selenium) against a local server.
- tests/contract: one suite run against every backend of a port. Its memory and SQLite runs are
  in-process and as quick as unit tests, so they stay unmarked; its runs on the moto server
  (DynamoDB, S3) talk HTTP to another thread like the integration tests, so they are
  `integration`. Only the fixture parameter says which backend an item runs, so that marker is
  put on the parameter, in tests/contract/conftest.py, not here.
`slow` is put on the test itself: more than ~2 s on a 2-core machine, or hypothesis with 200 or
more examples. tests/test_markers.py collects the whole suite and checks the layer rules.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.support.atomic_moto import atomic_call_action
from tests.support.aws import AWS_REGION

_TESTS = Path(__file__).resolve().parent
_FOLDER_MARKERS = {
    "integration": pytest.mark.integration,
    "e2e": pytest.mark.e2e,
    "ui": pytest.mark.ui,
}

# No test times itself (rules: performance goes in bench/): hypothesis's deadline and its
# slow-generation health check are timings, which a loaded machine or mutmut's forked runs
# fail at random. A test's own @settings still set what it sets.
settings.register_profile("untimed", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("untimed")


# tryfirst: the `-m` filter is itself a collection_modifyitems hook and must see these markers.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.resolve()
        if not path.is_relative_to(_TESTS):
            continue
        marker = _FOLDER_MARKERS.get(path.relative_to(_TESTS).parts[0])
        if marker is not None:
            item.add_marker(marker)


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
        _atomic_dynamodb_requests(patch)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


def _atomic_dynamodb_requests(patch: pytest.MonkeyPatch) -> None:
    """One DynamoDB request at a time in the moto server, as DynamoDB makes each one atomic
    (tests/support/atomic_moto.py says why)."""
    from moto.dynamodb.responses import DynamoHandler

    patch.setattr(DynamoHandler, "call_action", atomic_call_action(DynamoHandler.call_action))


_LEVELLED_LOGGERS = ("mockmind", "botocore", "boto3", "urllib3", "")


@pytest.fixture(autouse=True)
def _logging_levels_restored() -> Iterator[None]:
    """A CLI command run in process (CliRunner) sets logging levels for the whole process
    (``configure_logging``: ``validate-config`` puts mockmind at ERROR); a later test's caplog
    must not depend on which commands ran before it."""
    levels = {name: logging.getLogger(name).level for name in _LEVELLED_LOGGERS}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
