"""The web UI at /__mockmind/ui, in headless Chromium, on a session of the scripted shop flow.

The tests of this module share one page, in order: the token is entered once (the first
test), and each later test starts from where the page is.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import httpx
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.ui.conftest import ADMIN_TOKEN

# The scripted purchase (tests/support/shop_flow), one line per step.
SHOP_STEPS = [
    "POST /login → 200",
    "GET /products?limit=2 → 200",
    "POST /cart/items → 201",
    "POST /cart/items → 201",
    "GET /cart → 200",
    "POST /orders → 201",
    "GET /cart → 200",
    "GET /orders/{order} → 200",
    "POST /orders/{order}/ship → 409",
    "POST /orders/{order}/pay → 200",
    "GET /orders/{order} → 200",
    "POST /orders/{order}/ship → 200",
]


WAIT_SECONDS = 30


def wait_for[T](browser: webdriver.Chrome, found: Callable[[], T | None], what: str) -> T:
    """``found()`` once it is truthy; the DOM may be redrawn in between.

    The ceiling is generous on purpose: it only bounds a failing run, and a fork or a search on
    a machine loaded by a parallel test run took longer than 10 s once.
    """

    def attempt(_: Any) -> T | None:
        try:
            return found()
        except StaleElementReferenceException:
            return None

    result: T = WebDriverWait(browser, WAIT_SECONDS, poll_frequency=0.05).until(attempt, what)
    return result


def by_css(browser: webdriver.Chrome, selector: str) -> WebElement:
    return browser.find_element(By.CSS_SELECTOR, selector)


def visible(browser: webdriver.Chrome, selector: str) -> WebElement:
    return wait_for(
        browser,
        lambda: next(
            (e for e in browser.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()), None
        ),
        f"{selector} shown",
    )


def click_shown(browser: webdriver.Chrome, selector: str) -> None:
    """Click the element once it is shown. Found and clicked in one attempt, tried again if the
    DOM is redrawn in between: a listing drawn before a search answers holds the same row, and
    is replaced when the answer comes (a click on the old row's element fails as stale)."""

    def attempt() -> bool:
        element = next(
            (e for e in browser.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()), None
        )
        if element is None:
            return False
        element.click()
        return True

    wait_for(browser, attempt, f"{selector} clicked")


def shown_world(browser: webdriver.Chrome, step: int) -> dict[str, Any]:
    """The state and entities the page shows, once it shows step ``step``."""

    def ready() -> bool:
        shown = by_css(browser, "#state-json")
        return shown.get_attribute("data-step") == str(step) and not shown.get_attribute(
            "data-loading"
        )

    wait_for(browser, ready, f"step {step} shown")
    return {
        "state": json.loads(by_css(browser, "#state-json").get_attribute("textContent") or ""),
        "entities": json.loads(
            by_css(browser, "#entities-json").get_attribute("textContent") or ""
        ),
    }


def order_id(admin: httpx.Client, session: str) -> str:
    (found,) = admin.get(f"/sessions/{session}/at/12").json()["entities"]["orders"]
    return str(found)


def test_the_page_asks_for_the_token_once_and_keeps_it_for_the_tab(
    browser: webdriver.Chrome, ui_url: str, shop_session: str
) -> None:
    browser.get(ui_url + "/__mockmind/ui")
    assert browser.current_url == ui_url + "/__mockmind/ui/"
    dialog = visible(browser, "#token-dialog")
    assert dialog.get_attribute("open") is not None
    by_css(browser, "#token").send_keys(ADMIN_TOKEN)
    by_css(browser, "#token-save").click()
    wait_for(browser, lambda: not by_css(browser, "#token-dialog").is_displayed(), "dialog closed")

    browser.refresh()
    visible(browser, "#session-search")
    assert not by_css(browser, "#token-dialog").is_displayed()
    kept = browser.execute_script("return sessionStorage.getItem('mockmind-admin-token')")
    assert kept == ADMIN_TOKEN


def test_the_timeline_shows_the_shop_flow_and_each_step_is_the_apis_world(
    browser: webdriver.Chrome, admin: httpx.Client, shop_session: str
) -> None:
    search = visible(browser, "#session-search")
    search.clear()
    search.send_keys(shop_session)
    by_css(browser, "#session-open").click()
    wait_for(
        browser,
        lambda: len(browser.find_elements(By.CSS_SELECTOR, "#timeline li.event")) == 12,
        "12 steps in the timeline",
    )
    order = order_id(admin, shop_session)
    lines = [
        e.get_attribute("textContent")
        for e in browser.find_elements(By.CSS_SELECTOR, "#timeline .event-summary")
    ]
    expected = [f"{n} {line.replace('{order}', order)}" for n, line in enumerate(SHOP_STEPS, 1)]
    assert lines == expected
    assert by_css(browser, "#session-id").text == shop_session

    # The page opens on the last step; the slider's buttons walk back to the start.
    assert shown_world(browser, 12) == _world(admin, shop_session, 12)
    for step in range(11, -1, -1):
        by_css(browser, "#step-prev").click()
        assert shown_world(browser, step) == _world(admin, shop_session, step), step
    assert by_css(browser, "#step-label").text == "step 0 of 12"

    # Step 10 paid the order: the diff from step 9 shows that change.
    browser.execute_script(
        "const s = document.querySelector('#step'); s.value = '10';"
        "s.dispatchEvent(new Event('input'));"
    )
    assert shown_world(browser, 10) == _world(admin, shop_session, 10)
    diff = wait_for(browser, lambda: by_css(browser, "#diff-view .diff.changed"), "the diff")
    assert diff.find_element(By.TAG_NAME, "strong").text == f"orders {order} changed"
    after = json.loads(
        diff.find_element(By.CSS_SELECTOR, "pre.after").get_attribute("textContent") or ""
    )
    assert after["status"] == "paid"

    # An event opens to its request and answer, as the journal recorded them.
    event = by_css(browser, '#timeline li.event[data-seq="3"]')
    event.find_element(By.CSS_SELECTOR, ".event-summary").click()
    request_json = visible(browser, '#timeline li.event[data-seq="3"] .request-json')
    answer_json = by_css(browser, '#timeline li.event[data-seq="3"] .response-json')
    (recorded,) = admin.get(
        f"/sessions/{shop_session}/journal", params={"after": 2, "limit": 1}
    ).json()["events"]
    assert json.loads(request_json.get_attribute("textContent") or "") == recorded["request"]
    assert json.loads(answer_json.get_attribute("textContent") or "") == recorded["response"]
    assert shown_world(browser, 3) == _world(admin, shop_session, 3)


def test_the_designer_draws_the_order_machine_with_the_orders_state(
    browser: webdriver.Chrome, admin: httpx.Client, shop_session: str
) -> None:
    by_css(browser, '#nav button[data-view="behaviour"]').click()
    assert by_css(browser, "#behaviour-session").get_attribute("value") == shop_session
    order = order_id(admin, shop_session)
    diagram = visible(browser, 'svg.machine[data-machine="order_lifecycle"]')
    states = [
        g.get_attribute("data-state") for g in diagram.find_elements(By.CSS_SELECTOR, "g.state")
    ]
    assert states == ["placed", "paid", "shipped", "delivered", "cancelled"]
    triggers = [
        t.get_attribute("textContent")
        for t in diagram.find_elements(By.CSS_SELECTOR, "g.transition tspan")
    ]
    # cancel starts from two states: one arrow from each.
    assert triggers == [
        "POST /orders/{orderId}/pay",
        "POST /orders/{orderId}/ship",
        "POST /orders/{orderId}/cancel",
        "POST /orders/{orderId}/cancel",
    ]
    current = diagram.find_elements(By.CSS_SELECTOR, "g.state.current")
    assert [g.get_attribute("data-state") for g in current] == ["shipped"]
    assert by_css(browser, ".position").text == f"orders {order} is shipped"
    assert by_css(browser, "g.state.initial").get_attribute("data-state") == "placed"
    rules = [
        [td.text for td in row.find_elements(By.TAG_NAME, "td")]
        for row in browser.find_elements(By.CSS_SELECTOR, "#rules tbody tr")
    ]
    assert [row[0] for row in rules] == ["teapot", "admin_needs_login", "big_orders_are_slow"]


def test_the_playground_parses_live_and_evaluates_on_a_recorded_request(
    browser: webdriver.Chrome, admin: httpx.Client, shop_session: str
) -> None:
    by_css(browser, '#nav button[data-view="playground"]').click()
    assert by_css(browser, "#pg-session").get_attribute("value") == shop_session
    Select(by_css(browser, "#pg-step")).select_by_value("10")
    text = by_css(browser, "#pg-text")

    text.send_keys("path matches '/orders/*/pay' and\n  entity.status ==")
    error = visible(browser, "#pg-error")
    wait_for(browser, lambda: error.text.startswith("line 2, column 19:"), "the error's place")
    assert error.text.splitlines()[-2:] == ["  entity.status ==", " " * 18 + "^"]

    text.send_keys(" 'placed'")
    visible(browser, "#pg-result")
    condition = "path matches '/orders/*/pay' and\n  entity.status == 'placed'"
    expected = admin.post(
        "/rules/evaluate",
        json={"expression": condition, "session_id": shop_session, "step": 10},
    ).json()
    assert expected["value"] is True
    wait_for(browser, lambda: by_css(browser, "#pg-value").text == "true", "the value")
    assert (
        by_css(browser, "#pg-why").text
        == f"POST {expected['request']['path']} (step 10): {expected['why']}"
    )
    rows = [
        [td.text for td in row.find_elements(By.TAG_NAME, "td")]
        for row in browser.find_elements(By.CSS_SELECTOR, "#pg-rules tbody tr")
    ]
    assert rows == [
        [
            rule["name"],
            "fires" if rule["fires"] else "no",
            rule["why"],
            "fired then" if rule["recorded"] else "",
        ]
        for rule in expected["rules"]
    ]
    assert rows[2][:2] == ["big_orders_are_slow", "fires"]
    assert rows[2][3] == "fired then"


def test_forking_at_a_step_lists_the_fork_with_that_world(
    browser: webdriver.Chrome, admin: httpx.Client, shop_session: str
) -> None:
    by_css(browser, '#nav button[data-view="sessions"]').click()
    search = visible(browser, "#session-search")
    search.clear()
    search.send_keys(shop_session[:12])
    by_css(browser, "#session-search-go").click()
    click_shown(browser, f'#sessions tr[data-session-id="{shop_session}"]')
    wait_for(browser, lambda: by_css(browser, "#step-label").text == "step 12 of 12", "opened")
    for _ in range(6):
        by_css(browser, "#step-prev").click()
    shown_world(browser, 6)
    by_css(browser, "#fork-btn").click()
    result = visible(browser, "#action-result")
    wait_for(browser, lambda: "new session" in result.text, "the fork's id")
    fork = result.text.rsplit(" ", 1)[-1]
    assert result.text == f"Forked at step 6: new session {fork}"
    search.clear()
    by_css(browser, "#session-search-go").click()
    visible(browser, f'#sessions tr[data-session-id="{fork}"]')
    forked = admin.get(f"/sessions/{fork}/at/6").json()
    assert forked["entities"] == _world(admin, shop_session, 6)["entities"]


def test_a_replay_shows_its_steps_inline(browser: webdriver.Chrome, shop_session: str) -> None:
    by_css(browser, '#nav button[data-view="sessions"]').click()
    click_shown(browser, f'#sessions tr[data-session-id="{shop_session}"]')
    wait_for(browser, lambda: by_css(browser, "#step-label").text == "step 12 of 12", "opened")
    by_css(browser, "#replay-btn").click()
    summary = visible(browser, "#replay-summary")
    scratch = summary.text.split(" replayed in ", 1)[1].split(":", 1)[0]
    assert summary.text == f"12 steps replayed in {scratch}: 12 the same, 0 differ."
    assert scratch != shop_session
    rows = [
        [td.text for td in row.find_elements(By.TAG_NAME, "td")]
        for row in browser.find_elements(By.CSS_SELECTOR, "#replay-steps tbody tr")
    ]
    assert [r[0] for r in rows] == [str(n) for n in range(1, 13)]
    assert [r[2] for r in rows] == [r[3] for r in rows]
    assert [r[2] for r in rows] == [line.rsplit(" ", 1)[1] for line in SHOP_STEPS]
    assert {r[4] for r in rows} == {"same"}


def test_the_charts_draw_the_stats_of_each_hour(
    browser: webdriver.Chrome, admin: httpx.Client
) -> None:
    by_css(browser, '#nav button[data-view="stats"]').click()
    wait_for(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "figure.chart")) == 4, "4")
    stats = admin.get("/stats", params={"hours": 24}).json()
    captions = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "figure.chart figcaption")]
    assert captions == [
        "Requests per hour",
        "Cache hit rate",
        "LLM calls per hour",
        "Cost per hour (USD)",
    ]
    requests, hit_rate, llm_calls, _cost = browser.find_elements(By.CSS_SELECTOR, "figure.chart")
    bars = [
        t.get_attribute("textContent")
        for t in requests.find_elements(By.CSS_SELECTOR, "rect title")
    ]
    assert bars == [f"{hour['hour']}: {hour['requests']}" for hour in stats["hours"]]
    assert stats["hours"][-1]["requests"] > 0
    calls = [
        t.get_attribute("textContent")
        for t in llm_calls.find_elements(By.CSS_SELECTOR, "rect title")
    ]
    assert calls == [f"{hour['hour']}: {hour['llm_calls']}" for hour in stats["hours"]]
    rates = [
        t.get_attribute("textContent")
        for t in hit_rate.find_elements(By.CSS_SELECTOR, "circle title")
    ]
    assert rates == [
        f"{hour['hour']}: {math.floor((hour['cache_hit_rate'] or 0) * 100 + 0.5)}%"
        for hour in stats["hours"]
    ]


def _world(admin: httpx.Client, session: str, step: int) -> dict[str, Any]:
    world = admin.get(f"/sessions/{session}/at/{step}").json()
    return {"state": world["state"], "entities": world["entities"]}
