"""The creative's flow (issue 24) in a real Chromium, against the studio in demo mode (one app for the
module): Generate and the cost in reach after typing a prompt at 1440x900 and 390x844 (and the storyboard's
Generate all with the board's total), a refused picture named at its zone and in a toast with no traceback
in the server's log, a refused press answered beside Generate, a long paste kept whole and counted, and a
duration typed past the range said to be clamped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_process import all_jobs
from conftest import POLL_INTERVAL, SIM_SPEED, LiveApp, RecordingProxy, _close, _launch, wait_until
from page_helpers import TIMEOUT_MS, pick, wait_loaded

from seedance_ui.options import DURATION_MAX

pytestmark = [pytest.mark.browser]

SIZES = {"1440x900": {"width": 1440, "height": 900}, "390x844": {"width": 390, "height": 844}}
PROMPT = "A lighthouse keeper climbs the spiral stairs at dusk, slow dolly in, warm lamp light."
CAP = 10_000


@pytest.fixture(scope="module")
def flow_app(tmp_path_factory: pytest.TempPathFactory, simulator: Any) -> Iterator[LiveApp]:
    """The studio in demo mode (its own simulator answers), with the default prompt cap."""
    from seedance_ui.config import Settings

    proxy = RecordingProxy(simulator.base_url).start()
    settings = Settings(
        api_key="",
        base_url=proxy.url,
        data_dir=tmp_path_factory.mktemp("flow-data"),
        poll_interval=POLL_INTERVAL,
        simulator_speed=SIM_SPEED,
        request_timeout=10.0,
        max_prompt_chars=CAP,
    )
    app = _launch(settings, proxy, simulator)
    yield app
    _close(app)
    proxy.stop()


def open_at(browser: Any, app: LiveApp, size: dict[str, int]) -> Any:
    page = browser.new_context(viewport=size).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app.url)
    wait_loaded(page)
    return page


def in_view(page: Any, selector: str) -> bool:
    """The element's whole box is inside the viewport as the page is scrolled now."""
    return page.evaluate(
        """(s) => { const r = document.querySelector(s).getBoundingClientRect();
            return r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight
                && r.right <= innerWidth; }""",
        selector,
    )


def toasts(page: Any) -> str:
    return "\n".join(page.locator(".toast-body").all_inner_texts())


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_generate_and_cost_in_reach_after_typing(
    browser: Any, flow_app: LiveApp, size: dict[str, int]
) -> None:
    page = open_at(browser, flow_app, size)
    try:
        page.click("#sd-prompt textarea")
        page.keyboard.type(PROMPT)
        page.wait_for_selector("#sd-counter .sd-counter")
        assert in_view(page, "#sd-generate"), "Generate is below the fold after typing a prompt"
        assert in_view(page, "#sd-cost .sd-cost"), "the cost is below the fold after typing a prompt"
        assert in_view(page, "#sd-prompt textarea") or page.evaluate("scrollY") > 0

        page.get_by_role("tab", name="Storyboard").click()
        page.wait_for_selector("#sb-dock-total .sb-dock-total")
        assert in_view(page, "#sb-generate-all"), "Generate all is below the fold on opening the Storyboard"
        assert in_view(page, "#sb-dock-total .sb-dock-total"), "the board's total is not beside Generate all"
        total = page.inner_text("#sb-dock-total")
        summary = page.locator("#sb-summary .sb-stat.is-cost .sb-stat-num").inner_text()
        assert summary in total and "credits for the whole board" in total
    finally:
        page.context.close()


def test_bad_picture_named_at_the_zone_in_a_toast_and_no_traceback(
    browser: Any, flow_app: LiveApp, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    fake = tmp_path / "notes.png"
    fake.write_text("These are my notes for the shot, not a picture.\n" * 20)
    page = open_at(browser, flow_app, SIZES["1440x900"])
    try:
        pick(page, "sd-mode", "Frames")
        page.wait_for_selector("#sd-first-frame", state="visible")
        page.set_input_files("#sd-first-frame input[type=file]", str(fake))
        said = "First frame: “notes.png” is not a readable image (JPEG, PNG or WebP)"
        page.wait_for_selector(f'#sd-frames-note .sd-hint.is-error:has-text("{said}")')
        wait_until(lambda: said in toasts(page))
        page.wait_for_selector("#sd-first-frame img", state="detached")  # not kept: no broken picture

        # Generate then answers beside itself (and in a toast), not only at the top of Preview.
        page.fill("#sd-prompt textarea", PROMPT)
        page.click("#sd-generate")
        page.wait_for_selector("#sd-submit-note .sd-notice.is-error")
        assert "First frame" in page.inner_text("#sd-submit-note")
        assert in_view(page, "#sd-submit-note .sd-notice")
        wait_until(lambda: "Check First frame before generating" in toasts(page))
        assert said in page.inner_text("#sd-frames-note")  # still said after the zone was emptied
    finally:
        page.context.close()
    assert "Traceback" not in "".join(capfd.readouterr())


def test_long_paste_is_kept_counted_and_refused_at_the_prompt(browser: Any, flow_app: LiveApp) -> None:
    text = " ".join(f"word{n % 97}" for n in range(3000))  # 3,000 words, well over the cap
    assert len(text) > CAP
    page = open_at(browser, flow_app, SIZES["1440x900"])
    try:
        page.fill("#sd-prompt textarea", text)  # what a paste does: the whole value at once
        over = f"{len(text):,} characters: {len(text) - CAP:,} over the {CAP:,} limit"
        page.wait_for_selector(f'#sd-counter :text("{over}")')
        assert page.input_value("#sd-prompt textarea") == text  # nothing cut
        assert "trim before generating" in page.inner_text("#sd-counter")

        jobs = len(all_jobs(flow_app.data_dir))
        page.click("#sd-generate")
        page.wait_for_selector(f'#sd-submit-note :text("{over}")')
        wait_until(lambda: over in toasts(page))
        assert page.input_value("#sd-prompt textarea") == text
        assert len(all_jobs(flow_app.data_dir)) == jobs  # Generate made no job
    finally:
        page.context.close()


def test_duration_typed_past_the_range_is_said_to_be_clamped(browser: Any, flow_app: LiveApp) -> None:
    page = open_at(browser, flow_app, SIZES["1440x900"])
    try:
        box = page.locator("#sd-duration input[type=number]")
        box.fill(str(DURATION_MAX + 1))
        box.press("Tab")
        page.wait_for_selector(f'#sd-duration-note :text("{DURATION_MAX} s is the longest a shot can be")')
        assert box.input_value() == str(DURATION_MAX)
        page.wait_for_selector(f'#sd-cost .sd-cost-note:has-text("{DURATION_MAX} s")')
        box.fill("6")
        box.press("Tab")
        page.wait_for_selector("#sd-duration-note", state="hidden")
    finally:
        page.context.close()
