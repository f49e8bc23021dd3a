"""The web UI in a real headless Chromium, driven through Selenium and chromedriver.

Debian's ``chromium`` and ``chromium-driver``, which `make test` installs (the Makefile's
``ui-browser`` target). Without them these tests fail, saying so: they are never skipped.
One browser and one server serve each module, so the tests stay quick.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.support.mockmind_server import start_server, stop_server
from tests.support.paths import EXAMPLES
from tests.support.shop_flow import shop_flow

ADMIN_TOKEN = "ui-test-admin-token"
OPTIONS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking")


def _executable(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        f"the UI tests need Debian's chromium and chromium-driver, and {' or '.join(names)} "
        "is not installed: run `make ui-browser` (apt-get install chromium chromium-driver, "
        "as root). These tests fail rather than skip without a browser.",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    binary = _executable("chromium", "chromium-browser")
    driver_path = _executable("chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for option in OPTIONS:
        options.add_argument(option)
    options.add_argument("--window-size=1400,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Selenium Manager would otherwise look for a driver online.
    os.environ.setdefault("SE_OFFLINE", "true")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def ui_url() -> Iterator[str]:
    """A local shop server with an admin token (so the page must ask for it)."""
    process, url = start_server(
        EXAMPLES / "shop" / "mockmind.yaml", {"MOCKMIND_ADMIN_TOKEN": ADMIN_TOKEN}
    )
    try:
        yield url
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
def admin(ui_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=ui_url + "/__mockmind", headers={"X-Mockmind-Admin-Token": ADMIN_TOKEN}
    ) as http:
        yield http


@pytest.fixture(scope="module")
def shop_session(ui_url: str) -> str:
    """A session made by the scripted shop purchase (tests/support/shop_flow): its id."""
    with httpx.Client(base_url=ui_url, timeout=30) as client:
        shop_flow(client)
        return client.cookies["mockforge_session"]
