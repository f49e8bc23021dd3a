"""The web UI's Prompts view, in headless Chromium, on a server with two prompt variants
answered by the scripted model on loopback (tests/support/prompt_variants): it shows what
GET /__mockmind/prompts counted, with the numbers and verdict `mockmind prompts` prints.

The tests of this module share one page and one server, in order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from mockmind.cli import output
from mockmind.cli.admin_answers import PromptExperiment
from tests.support.fake_provider import FakeProvider
from tests.support.mockmind_server import stop_server
from tests.support.prompt_variants import answer, ask_as_sessions, start_experiment_server
from tests.ui.conftest import ADMIN_TOKEN
from tests.ui.test_web_ui import by_css, visible, wait_for

HEADS = [
    "Variant", "Weight", "Answers", "Calls", "Valid 1st try", "Rate", "95% interval", "Repairs",
    "Fallbacks", "p50 ms", "p95 ms", "Tokens in", "Tokens out", "Cost (USD)",
]  # fmt: skip


@pytest.fixture(scope="module")
def experiment_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    model = FakeProvider()
    model.default = answer
    model.start()
    try:
        process, url = start_experiment_server(
            tmp_path_factory.mktemp("prompts-ui"), model.url, {"MOCKMIND_ADMIN_TOKEN": ADMIN_TOKEN}
        )
        try:
            yield url
        finally:
            stop_server(process)
    finally:
        model.stop()


def _served(url: str) -> dict[str, Any]:
    answer = httpx.get(
        url + "/__mockmind/prompts", headers={"X-Mockmind-Admin-Token": ADMIN_TOKEN}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


def _expected_rows(report: dict[str, Any]) -> list[list[str]]:
    """The rows `mockmind prompts` prints for this report (cli/output.py)."""
    experiment = PromptExperiment.model_validate(report)
    return [output.variant_cells(row) for row in experiment.variants]


def _shown_rows(browser: webdriver.Chrome) -> list[list[str]]:
    return [
        [td.text for td in row.find_elements(By.TAG_NAME, "td")]
        for row in browser.find_elements(By.CSS_SELECTOR, "#prompts tbody tr")
    ]


def _loaded(browser: webdriver.Chrome) -> bool:
    return by_css(browser, "#prompts").get_attribute("data-loading") is None


def test_the_prompts_view_shows_each_variant_and_the_verdict(
    browser: webdriver.Chrome, experiment_url: str
) -> None:
    names = ask_as_sessions(experiment_url, [f"ui-{n}" for n in range(30)])
    # A session's variant is a digest of its id: 11 of these are strict's, 19 control's.
    assert (names.count("Ada"), names.count("Bo")) == (11, 19)

    browser.get(experiment_url + "/__mockmind/ui/")
    visible(browser, "#token-dialog")
    by_css(browser, "#token").send_keys(ADMIN_TOKEN)
    by_css(browser, "#token-save").click()
    wait_for(browser, lambda: not by_css(browser, "#token-dialog").is_displayed(), "dialog closed")

    by_css(browser, '#nav button[data-view="prompts"]').click()
    assert "active" in (
        by_css(browser, '#nav button[data-view="prompts"]').get_attribute("class") or ""
    )
    table = visible(browser, "#prompts")
    wait_for(browser, lambda: len(_shown_rows(browser)) == 2 and _loaded(browser), "2 variants")
    heads = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert heads == HEADS

    report = _served(experiment_url)
    rows = _shown_rows(browser)
    assert rows == _expected_rows(report)
    assert rows[1][:9] == ["strict", "1", "11", "11", "11", "100.0%", "74.1%-100.0%", "0", "0"]
    assert rows[0][:9] == ["control", "1", "19", "38", "0", "0.0%", "0.0%-16.8%", "19", "0"]
    verdict = visible(browser, "#prompts-verdict").text
    assert verdict == report["verdict"]
    assert verdict.startswith("strict is better: valid at first try strict 100% (")
    assert not by_css(browser, "#view-sessions").is_displayed()


def test_refresh_shows_the_answers_made_since(
    browser: webdriver.Chrome, experiment_url: str
) -> None:
    before = _shown_rows(browser)
    ask_as_sessions(experiment_url, [f"ui-more-{n}" for n in range(10)])
    by_css(browser, "#prompts-load").click()
    wait_for(
        browser,
        lambda: _loaded(browser) and _shown_rows(browser) not in ([], before),
        "the new counts",
    )
    rows = _shown_rows(browser)
    assert rows == _expected_rows(_served(experiment_url))
    assert sum(int(row[2]) for row in rows) == sum(int(row[2]) for row in before) + 10


def test_the_page_logged_no_error(browser: webdriver.Chrome) -> None:
    # A script error or a request the content security policy refused is logged as SEVERE.
    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []
