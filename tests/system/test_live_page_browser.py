"""The live page in headless Chromium (the system's `/usr/bin/chromium`, driven by Playwright):
a campaign's row appears and its counts rise without a reload, pause (the token entered once)
stops the launches at the emulator, resume lets it complete.

With `QUEUE_UI_SCREENSHOT=PATH` the test saves a screenshot of the page there
(`python3 dev.py screenshot` writes `docs/images/live-page.png`); without it, nothing is
written outside the test's temporary directory.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.redis_server import RedisServerProcess
from tests.system.campaign import Campaign
from tests.system.processes import EmulatorProcess, ServiceProcess, run_cli, wait_for

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TOKEN = "live-page-token"
EXECUTION = "ce-browser"
CONTACTS = 300
# A launch already sent when the pause was stored may reach the emulator just after it.
IN_FLIGHT_SLACK_S = 1.0
PAUSE_HOLD_S = 1.5
WAIT_MS = 30_000


@pytest.fixture
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "no /usr/bin/chromium: `python3 dev.py test` installs it (root)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _created(emulator: EmulatorProcess) -> int:
    return int(emulator.stats()["executions_created"])


def _cell(page: Page, field: str) -> int:
    text = page.text_content(f'tr[data-id="{EXECUTION}"] td[data-field="{field}"]') or "0"
    return int(text)


def _state_is(page: Page, state: str) -> None:
    page.wait_for_selector(
        f'tr[data-id="{EXECUTION}"] td.state span.{state}', state="attached", timeout=WAIT_MS
    )


def _rises(page: Page, field: str, above: int, timeout_ms: int = WAIT_MS) -> None:
    page.wait_for_function(
        """([id, field, above]) => {
            const cell = document.querySelector(`tr[data-id="${id}"] td[data-field="${field}"]`);
            return cell !== null && Number(cell.textContent) > above;
        }""",
        arg=[EXECUTION, field, above],
        timeout=timeout_ms,
    )


def _screenshot(page: Page) -> None:
    target = os.environ.get("QUEUE_UI_SCREENSHOT")
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=target, full_page=True)


def _write_campaigns(store: redis.Redis, redis_url: str) -> Campaign:
    """Three short executions started (other rows on the page) and the one the test
    follows, written but not started."""
    for n in range(3):
        other = Campaign(store, f"ce-other-{n}", 2, first_number=1000 + 10 * n)
        other.write({"mode": "fixed", "max_concurrent_calls": 1})
        run_cli("start", other.execution_id, redis_url=redis_url)
    campaign = Campaign(store, EXECUTION, CONTACTS)
    campaign.write({"mode": "fixed", "max_concurrent_calls": 8}, campaign_id="c-browser")
    return campaign


def _pause_with_the_token(page: Page, campaign: Campaign, emulator: EmulatorProcess) -> None:
    """Press pause, enter the token in the page's dialog; the state changes on the page and
    the emulator sees no launch from then on."""
    page.click(f'tr[data-id="{EXECUTION}"] button[data-action="pause"]')
    page.fill("#token-input", TOKEN)
    page.click("#token-ok")
    _state_is(page, "paused")
    paused_at = time.time()
    wait_for(lambda: campaign.active() == 0, "the calls in flight at the pause to finish")
    held = _created(emulator)
    time.sleep(PAUSE_HOLD_S)
    assert _created(emulator) == held, "launches went on while paused"
    late = [
        e
        for e in emulator.stats()["executions"]
        if e["created_wall"] > paused_at + IN_FLIGHT_SLACK_S
    ]
    assert late == [], "executions created while paused"
    assert "pause sent for ce-browser" in (page.text_content("#notice") or "")


def _execution_page(page: Page) -> None:
    """The execution's own page: its figures, its newest dispositions, and their statuses
    counted (every one of its dispositions is among the stream's newest entries here)."""
    page.click(f'tr[data-id="{EXECUTION}"] td a')
    page.wait_for_selector("#breakdown tbody tr", timeout=WAIT_MS)
    assert page.text_content("#title") == EXECUTION
    assert page.text_content('dd[data-field="state"]') == "completed"
    assert page.locator("#dispositions tbody tr").count() == 50
    counts = page.eval_on_selector_all(
        "#breakdown tbody tr", "rows => rows.map((row) => Number(row.cells[1].textContent))"
    )
    assert sum(counts) == CONTACTS


def test_the_live_page_follows_a_campaign_and_pauses_and_resumes_it(
    launch_service: Callable[..., ServiceProcess],
    serve_env: dict[str, str],
    emulator: EmulatorProcess,
    redis_server: RedisServerProcess,
    store: redis.Redis,
    browser: Browser,
) -> None:
    service = launch_service({**serve_env, "QUEUE_ADMIN_TOKEN": TOKEN})
    campaign = _write_campaigns(store, redis_server.url)
    page = browser.new_page(viewport={"width": 1500, "height": 420})
    page.goto(f"{service.admin_url}/ui/")
    page.wait_for_selector("#status.live", timeout=WAIT_MS)

    run_cli("start", EXECUTION, redis_url=redis_server.url)
    _state_is(page, "running")  # the row appeared: no reload
    _rises(page, "launched", 0)
    _rises(page, "launched", _cell(page, "launched"))
    _rises(page, "dispositions", 0)
    _pause_with_the_token(page, campaign, emulator)

    page.click(f'tr[data-id="{EXECUTION}"] button[data-action="resume"]')  # token kept
    _state_is(page, "running")
    _rises(page, "dispositions", CONTACTS // 3, timeout_ms=120_000)
    _screenshot(page)
    page.wait_for_selector(
        f'tr[data-id="{EXECUTION}"] td.state span.completed', state="attached", timeout=120_000
    )
    wait_for(lambda: _cell(page, "dispositions") == CONTACTS, "every disposition on the page")
    assert _created(emulator) == CONTACTS + 6
    assert campaign.disposed_once() == set(campaign.record_ids)
    assert _cell(page, "cache_remaining") == 0
    assert page.text_content(f'tr[data-id="{EXECUTION}"] td[data-field="waiting"]') == "0"
    _execution_page(page)
