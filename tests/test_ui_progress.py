"""Progress that tells the truth (issue 24, item 8) in a real Chromium against the studio in demo mode with
demo mode's own defaults (simulator speed, poll interval): after the studio has seen one job of a model and
length, the next one's *Time left* is never above 3x its actual run; *Rendering* lights with a rising
percent; and Generate all on a 3-shot chained board says *Queued (1st)* and *Waiting for shot N* on the
tiles before they run. States and the estimate's value are asserted, never a speed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import LiveApp, RecordingProxy, _close, _launch, card_attributes, wait_until
from page_helpers import TIMEOUT_MS, wait_loaded
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from test_ui_storyboard import fill, select_shot, tiles

pytestmark = [pytest.mark.browser]

WIDE = {"width": 1440, "height": 900}
PROMPT = "Progress UI: a lighthouse keeper climbs the spiral stairs at dusk, slow dolly in."
TIME_LEFT_FACTOR = 3.0
JOB_TIMEOUT = 90.0  # a condition's wait, not a speed assertion
CONFIRM_ATTEMPTS = 3
CONFIRM_WAIT = 5.0


@pytest.fixture(scope="module")
def progress_app(tmp_path_factory: pytest.TempPathFactory, simulator: Any) -> Iterator[LiveApp]:
    """The studio in demo mode as a Space runs it (default simulator speed and poll interval), one job in
    flight per visitor (so a board's first shot waits in the local line behind a Studio job)."""
    from seedance_ui.config import Settings

    proxy = RecordingProxy(simulator.base_url).start()
    settings = Settings(api_key="", base_url=proxy.url, data_dir=tmp_path_factory.mktemp("progress-data"),
                        max_jobs_per_owner=1)
    app = _launch(settings, proxy, simulator)
    yield app
    _close(app)
    proxy.stop()


@pytest.fixture(scope="module")
def page(browser: Any, progress_app: LiveApp) -> Iterator[Any]:
    context = browser.new_context(viewport=WIDE)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.goto(progress_app.url)
    wait_loaded(tab)
    yield tab
    context.close()


def generate(page: Any, prompt: str) -> str:
    """Press Generate with `prompt`; the new job's id (from the card)."""
    before = card_attributes(page, "data-job")[0]
    page.fill("#sd-prompt textarea", prompt)
    page.click("#sd-generate")
    return wait_until(lambda: (job := card_attributes(page, "data-job")[0]) != before and job, JOB_TIMEOUT)


def card_reading(page: Any) -> tuple[str | None, int, float | None, bool]:
    """(status, percent, time left in seconds or None, Rendering lit) of the card, read in one go."""
    return tuple(page.evaluate(
        """() => { const card = document.querySelector('#sd-progress .sd-progress');
            if (!card) return [null, 0, null, false];
            const left = card.querySelector('[data-meta="time-left"] [data-clock]');
            const stage = card.querySelector('li.is-now[data-stage="processing"]');
            return [card.dataset.status, Number(card.dataset.percent || 0),
                    left ? Number(left.dataset.base) : null,
                    !!stage && stage.innerText.trim() === 'Rendering']; }"""
    ))


def follow(page: Any, job_id: str) -> list[tuple[str | None, int, float | None, bool]]:
    """Every distinct card reading until the job is done."""
    seen: list[tuple[str | None, int, float | None, bool]] = []
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        reading = card_reading(page)
        if card_attributes(page, "data-job")[0] == job_id and (not seen or seen[-1] != reading):
            seen.append(reading)
        if seen and seen[-1][0] == "completed":
            return seen
        time.sleep(0.05)
    raise AssertionError(f"the job never completed: {seen}")


def actual_run(app: LiveApp, job_id: str) -> float:
    record = app.runtime.store.get(job_id)
    assert record is not None and record.completed_at and record.submitted_at
    return record.completed_at - record.submitted_at


def test_time_left_is_learned_and_rendering_lights_with_a_rising_percent(
    page: Any, progress_app: LiveApp
) -> None:
    first = generate(page, PROMPT)
    follow(page, first)
    second = generate(page, PROMPT + " Second take.")
    seen = follow(page, second)
    actual = actual_run(progress_app, second)
    lefts = [left for status, _, left, _ in seen if left is not None and status != "completed"]
    assert lefts, seen
    # The estimator has seen one job of this model and length: no "Time left 2:00" for a 12 s job.
    assert max(lefts) <= TIME_LEFT_FACTOR * actual, (max(lefts), actual, seen)
    rendering = [pct for status, pct, _, lit in seen if status == "processing" and lit]
    assert len(set(rendering)) >= 2 and rendering == sorted(rendering), seen  # lit, and rising
    assert rendering[0] < rendering[-1] < 100


def tile_text(page: Any, number: int) -> str:
    return page.locator(f"#sb-tiles .sb-tile[data-number='{number}']").inner_text()


def add_chained_shot(page: Any, count: int, prompt: str) -> None:
    page.click("#sb-add")
    wait_until(lambda: len(tiles(page)) == count)
    fill(page, "sb-shot-prompt", prompt)
    page.locator("#sb-shot-chain label").click()
    page.wait_for_selector(f"#sb-tiles .sb-tile[data-number='{count}'] .is-chain")


def ask_and_confirm(page: Any) -> None:
    """Generate all, then Confirm. The tab's own opening, answered after the ask on a loaded machine, can
    still draw the board without the confirmation: then Generate all is clicked again, as a person would."""
    for _ in range(3):
        page.click("#sb-generate-all")
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_selector("#sb-confirm-go", state="visible", timeout=JOB_TIMEOUT * 1000 // 3)
            break
    page.click("#sb-confirm-go")
    page.wait_for_selector("#sb-confirm", state="hidden")


def test_a_chained_board_says_queued_and_waiting_for_shot_n(page: Any, progress_app: LiveApp) -> None:
    page.click("#sd-tab-storyboard-button")
    page.wait_for_selector("#sb-tiles .sb-tile[data-shot]")
    page.click("#sb-new")
    wait_until(lambda: len(tiles(page)) == 1)
    page.click('#sb-quality [data-testid="480p-radio-label"]')
    page.click('#sb-model [data-testid="Fast-radio-label"]')
    select_shot(page, 1)
    fill(page, "sb-shot-prompt", "Progress UI: the keeper lights the lamp")
    add_chained_shot(page, 2, "Progress UI: the beam sweeps the sea")
    add_chained_shot(page, 3, "Progress UI: a ship turns towards the light")

    # A Studio job takes this visitor's one slot: the board's first shot waits in line behind it.
    page.click("#sd-tab-studio-button")
    busy = generate(page, PROMPT + " Busy. [sim:slow]")  # three times as long: the line holds
    page.click("#sd-tab-storyboard-button")
    ask_and_confirm(page)

    wait_until(lambda: "Queued (1st)" in tile_text(page, 1), JOB_TIMEOUT)
    assert "Waiting for shot 1" in tile_text(page, 2) and "Waiting for shot 2" in tile_text(page, 3)
    assert [t["state"] for t in tiles(page)] == ["queued", "waiting", "waiting"]
    assert "Not generated" not in tile_text(page, 2) + tile_text(page, 3)
    assert progress_app.runtime.store.get(busy) is not None
    # Once the Studio job is done, shot 1 goes to the provider; the chained ones still wait for it.
    wait_until(lambda: tiles(page)[0]["state"] == "running", JOB_TIMEOUT)
    assert "Waiting for shot 1" in tile_text(page, 2)
