"""The page in a real Chromium (Debian's, through Playwright) against the launched studio.

Covers the create panel (lint, craft, controls, live cost), live progress, the playing result, history
(persisted, per browser, reusable), errors from the provider, two visitors, and the demo-mode key.
Screenshots of the main screens at 1440 and 390 px land in ./screenshots/ (git-ignored).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import SERVER_KEY, LiveApp, card_attributes, wait_until
from page_helpers import NARROW, WIDE, checked_label, open_newest, open_page, pick, shoot

from seedance_ui.client import count_english_words
from seedance_ui.options import MODEL_FAST, frame_size
from seedance_ui.pricing import estimate
from seedance_ui.simulator.errors import failure_message

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]



# --------------------------------------------------------------------------------------------------
# page helpers


def set_prompt(page: Any, text: str) -> None:
    page.fill("#sd-prompt textarea", text)


def prompt_value(page: Any) -> str:
    return page.input_value("#sd-prompt textarea")


def set_duration(page: Any, seconds: int) -> None:
    box = page.locator("#sd-duration input[type=number]")
    box.fill(str(seconds))
    box.press("Enter")
    box.blur()


def set_checkbox(page: Any, elem_id: str, value: bool) -> None:
    box = page.locator(f"#{elem_id} input[type=checkbox]")
    if box.is_checked() != value:
        box.click()


def progress_state(page: Any) -> tuple[str | None, int | None]:
    status, percent = card_attributes(page, "data-status", "data-percent")
    return status, int(percent) if percent is not None else None


def watch_progress(
    page: Any, until: set[str], timeout: float = 30.0, until_percent: int | None = None
) -> list[tuple[str | None, int | None]]:
    """Every distinct (status, percent) the progress card shows until a status in `until` (or, with
    `until_percent`, until the percent reaches it)."""
    seen: list[tuple[str | None, int | None]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = progress_state(page)
        if not seen or seen[-1] != state:
            seen.append(state)
        if state[0] in until or (until_percent is not None and (state[1] or 0) >= until_percent):
            return seen
        time.sleep(0.03)
    raise AssertionError(f"progress never reached {until}: {seen}")


def video_state(page: Any, selector: str = "#sd-video video") -> dict[str, Any]:
    return page.eval_on_selector(
        selector,
        "v => ({ready: v.readyState, duration: v.duration, width: v.videoWidth, height: v.videoHeight,"
        " error: v.error && v.error.code})",
    )


def gallery_captions(page: Any) -> list[str]:
    return [c.strip() for c in page.locator("#sd-history .caption-label").all_inner_texts()]


def generate_and_finish(page: Any, timeout: float = 30.0) -> list[tuple[str | None, int | None]]:
    page.click("#sd-generate")
    return watch_progress(page, {"completed", "failed", "cancelled", "unknown_outcome", "expired"}, timeout)


# --------------------------------------------------------------------------------------------------
# the main flow


def test_create_generate_play_history_reuse(browser: Any, live_app: LiveApp, screenshot_dir: Path) -> None:
    context = browser.new_context(viewport=WIDE)
    page = open_page(context, live_app)
    shoot(page, screenshot_dir, "01-create-empty-1440")

    # Lint: curly quotes (with a fix), an aspect ratio in the prompt, "today" while web search is off.
    set_prompt(page, "Browser flow: a lighthouse keeper at dusk today, shot in 2.35:1. He says: “Hold on.”")
    page.wait_for_selector('#sd-counter [data-code="curly_quotes"]')
    assert page.locator('#sd-counter [data-code="aspect_ratio"]').inner_text().count("21:9") == 1
    page.wait_for_selector('#sd-counter [data-code="web_search"]')
    page.click("#sd-straighten")
    wait_until(lambda: '"Hold on."' in prompt_value(page))
    page.wait_for_selector('#sd-counter [data-code="curly_quotes"]', state="detached")

    # Craft helpers: a shot size, a camera move and a dialogue line in straight quotes.
    set_prompt(page, "Browser flow: a lighthouse keeper trims the lamp at dusk")
    page.click("#sd-craft-shot input")
    page.click('#sd-craft-shot li[aria-label="Close-up"]')
    wait_until(lambda: prompt_value(page).endswith("Close-up on the face."))
    page.click("#sd-craft-camera input")
    page.click('#sd-craft-camera li[aria-label="Dolly in"]')
    wait_until(lambda: "dollies in" in prompt_value(page))
    page.fill("#sd-speaker textarea, #sd-speaker input", "He")
    page.fill("#sd-line textarea, #sd-line input", "Hold on, old girl.")
    page.click("#sd-dialogue")
    wait_until(lambda: prompt_value(page).endswith('He says: "Hold on, old girl."'))
    prompt = prompt_value(page)
    wait_until(
        lambda: (
            page.locator("#sd-counter .sd-counter").get_attribute("data-words")
            == str(count_english_words(prompt))
        )
    )

    # Controls: every one changed from its default; the cost follows each of them.
    pick(page, "sd-model", "Fast")
    set_duration(page, 6)
    pick(page, "sd-quality", "480p")
    pick(page, "sd-ratio", "9:16")
    set_checkbox(page, "sd-audio", False)
    set_checkbox(page, "sd-web", True)
    expected = estimate(MODEL_FAST, "480p", 6, True)
    wait_until(
        lambda: page.locator("#sd-cost .sd-cost").get_attribute("data-credits") == f"{expected.credits:.4f}"
    )
    assert f"${expected.usd:,.2f}" in page.inner_text("#sd-cost")
    shoot(page, screenshot_dir, "02-create-filled-1440")

    # Generate: the percent rises while the status moves on; the page never reloads. (The simulator
    # stretches this one task to about 4 s so there is time to watch.)
    page.evaluate("window.__same_page = true")
    live_app.simulator.set_behaviour(estimated_time=160)
    try:
        page.click("#sd-generate")
        seen = watch_progress(page, {"processing"})
        live_app.simulator.set_behaviour(estimated_time=None)
        seen += watch_progress(page, {"completed", "failed"}, until_percent=35)
        shoot(page, screenshot_dir, "03-progress-1440")
        assert page.inner_text('#sd-progress [data-meta="task-id"] dd').startswith("task-")
        assert page.inner_text('#sd-progress [data-meta="credits-reserved"] dd') != "—"
        assert page.inner_text('#sd-progress [data-meta="elapsed"] dd').startswith("0:0")
        seen += watch_progress(page, {"completed", "failed"})
    finally:
        live_app.simulator.set_behaviour(estimated_time=None)
    assert seen[-1] == ("completed", 100), seen
    percents = [p for s, p in seen if s == "processing" and p is not None]
    assert len(percents) >= 2 and percents == sorted(percents) and percents[0] < percents[-1], seen
    assert page.evaluate("window.__same_page") is True

    # Every control's value reached the request body exactly.
    [create] = live_app.proxy.creates_with("Browser flow: a lighthouse keeper trims")
    assert create.body == {
        "model": MODEL_FAST,
        "prompt": prompt,
        "duration": 6,
        "quality": "480p",
        "aspect_ratio": "9:16",
        "generate_audio": False,
        "model_params": {"web_search": True},
    }

    # The result plays in the browser: the local mp4, requested duration and frame size.
    page.wait_for_function(
        "() => { const v = document.querySelector('#sd-video video'); return v && v.readyState >= 2; }"
    )
    state = video_state(page)
    assert state["error"] is None
    assert state["duration"] == pytest.approx(6, abs=0.4)
    assert (state["width"], state["height"]) == frame_size("480p", "9:16")
    assert page.locator("#sd-download").is_visible()
    assert "Fast" in page.inner_text("#sd-params") and "9:16" in page.inner_text("#sd-params")
    shoot(page, screenshot_dir, "04-result-1440")

    # History: the new item first, captioned; it survives a reload (same browser, same owner).
    wait_until(lambda: gallery_captions(page) and "lighthouse keeper" in gallery_captions(page)[0])
    page.reload()
    page.wait_for_selector("#sd-history .thumbnail-item")
    wait_until(lambda: gallery_captions(page) and "lighthouse keeper" in gallery_captions(page)[0])
    wait_until(lambda: prompt_value(page) == prompt)  # the box's text is kept in this browser (a draft)
    assert checked_label(page, "sd-model") == "Standard"
    page.fill("#sd-prompt textarea", "")  # so that Reuse settings below has something to restore

    # Open it: its video, prompt, parameters and status.
    open_newest(page)
    assert "lighthouse keeper trims" in page.inner_text("#sd-detail")
    page.wait_for_function(
        "() => { const v = document.querySelector('#sd-detail-video video'); return v && v.readyState >= 2; }"
    )
    shoot(page, screenshot_dir, "05-history-1440")

    # "Reuse settings" restores every control.
    page.click("#sd-reuse")
    wait_until(lambda: prompt_value(page) == prompt)
    wait_until(lambda: checked_label(page, "sd-model") == "Fast")
    assert checked_label(page, "sd-quality") == "480p"
    assert checked_label(page, "sd-ratio") == "9:16"
    assert page.input_value("#sd-duration input[type=number]") == "6"
    assert page.locator("#sd-audio input[type=checkbox]").is_checked() is False
    assert page.locator("#sd-web input[type=checkbox]").is_checked() is True
    wait_until(
        lambda: page.locator("#sd-cost .sd-cost").get_attribute("data-credits") == f"{expected.credits:.4f}"
    )
    context.close()


def test_narrow_screen_flow(browser: Any, live_app: LiveApp, screenshot_dir: Path) -> None:
    context = browser.new_context(viewport=NARROW, device_scale_factor=1, is_mobile=True, has_touch=True)
    page = open_page(context, live_app)
    shoot(page, screenshot_dir, "01-create-empty-390")
    page.click("#sd-example-0")
    wait_until(lambda: "courier" in prompt_value(page))
    set_duration(page, 4)
    pick(page, "sd-quality", "480p")
    pick(page, "sd-ratio", "1:1")
    shoot(page, screenshot_dir, "02-create-filled-390")
    page.click("#sd-generate")
    watch_progress(page, {"processing"})
    wait_until(lambda: (progress_state(page)[1] or 0) >= 20)
    page.locator("#sd-preview").scroll_into_view_if_needed()
    shoot(page, screenshot_dir, "03-progress-390")
    watch_progress(page, {"completed"})
    page.wait_for_function(
        "() => { const v = document.querySelector('#sd-video video'); return v && v.readyState >= 2; }"
    )
    shoot(page, screenshot_dir, "04-result-390")
    open_newest(page)
    shoot(page, screenshot_dir, "05-history-390")
    # Nothing overflows sideways at 390 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"] + 1
    context.close()


# --------------------------------------------------------------------------------------------------
# errors


def test_provider_failure_and_invalid_fields_show_in_the_page(
    browser: Any, live_app: LiveApp, screenshot_dir: Path
) -> None:
    context = browser.new_context(viewport=WIDE)
    page = open_page(context, live_app)

    # Invalid field: named in the page, nothing sent.
    before = len(live_app.proxy.creates())
    page.click("#sd-generate")
    page.wait_for_selector("#sd-status .sd-notice.is-error")
    assert "Prompt" in page.inner_text("#sd-status")
    assert len(live_app.proxy.creates()) == before

    # Content policy: the provider's message, in the status panel and a warning toast, with a hint.
    set_prompt(page, "Error flow: a crowded market [sim:fail=content_policy_violation]")
    set_duration(page, 4)
    pick(page, "sd-quality", "480p")
    seen = generate_and_finish(page)
    assert seen[-1][0] == "failed"
    message = failure_message("content_policy_violation")
    page.wait_for_selector("#sd-status .sd-notice.is-error")
    status_text = page.inner_text("#sd-status")
    assert message in status_text and "rephrase" in status_text
    assert page.locator("#sd-progress .sd-pill").inner_text().strip() == "Failed"
    toast = page.locator('[data-testid="toast-body"]').filter(has_text=message)
    toast.first.wait_for()
    shoot(page, screenshot_dir, "06-error-1440")
    body = page.inner_text("body")
    assert "Traceback" not in body and 'File "' not in body

    # The failed item is in history with its error.
    wait_until(lambda: gallery_captions(page) and gallery_captions(page)[0].startswith("Failed"))
    open_newest(page, "failed")
    assert message in page.inner_text("#sd-detail")

    # Cancel: the provider is asked to stop the running task; the card ends as cancelled.
    set_prompt(page, "Cancel flow: a long slow pan over wheat fields")
    live_app.simulator.set_behaviour(estimated_time=400)  # ten seconds at the test speed
    try:
        page.click("#sd-generate")
        watch_progress(page, {"processing"})
    finally:
        live_app.simulator.set_behaviour(estimated_time=None)
    page.click("#sd-cancel")
    assert watch_progress(page, {"cancelled", "completed", "failed"})[-1][0] == "cancelled"
    assert "Cancel" in page.inner_text("#sd-status")
    assert any(r.path.endswith("/cancel") for r in live_app.proxy.records)
    context.close()


# --------------------------------------------------------------------------------------------------
# visitors


def test_two_browsers_have_separate_histories(browser: Any, live_app: LiveApp) -> None:
    first = browser.new_context(viewport=WIDE)
    second = browser.new_context(viewport=WIDE)
    page_a = open_page(first, live_app)
    page_b = open_page(second, live_app)
    for page, who in (
        (page_a, "Visitor A: a kite over the dunes"),
        (page_b, "Visitor B: a tram in the snow"),
    ):
        set_prompt(page, who)
        set_duration(page, 4)
        pick(page, "sd-quality", "480p")
        page.click("#sd-generate")
    assert watch_progress(page_a, {"completed", "failed"})[-1][0] == "completed"
    assert watch_progress(page_b, {"completed", "failed"})[-1][0] == "completed"
    wait_until(lambda: any("Visitor A" in c for c in gallery_captions(page_a)))
    wait_until(lambda: any("Visitor B" in c for c in gallery_captions(page_b)))
    for page in (page_a, page_b):
        page.reload()
        page.wait_for_selector("#sd-history .thumbnail-item")
    captions_a, captions_b = gallery_captions(page_a), gallery_captions(page_b)
    assert any("Visitor A" in c for c in captions_a) and not any("Visitor B" in c for c in captions_a)
    assert any("Visitor B" in c for c in captions_b) and not any("Visitor A" in c for c in captions_b)
    first.close()
    second.close()


def test_a_job_keeps_going_after_the_tab_closes_and_finishes_in_history(
    browser: Any, live_app: LiveApp
) -> None:
    context = browser.new_context(viewport=WIDE)
    page = open_page(context, live_app)
    set_prompt(page, "Closed tab: fog rolls over a harbour at dawn")
    set_duration(page, 4)
    pick(page, "sd-quality", "480p")
    live_app.simulator.set_behaviour(estimated_time=480)  # about 12 s at the test speed: time to reopen
    try:
        page.click("#sd-generate")
        watch_progress(page, {"pending", "processing"})
    finally:
        live_app.simulator.set_behaviour(estimated_time=None)
    page.close()

    page = open_page(context, live_app)
    # Back on the page: the job is in history, in flight, and the preview follows it to the end.
    first = wait_until(lambda: gallery_captions(page) and gallery_captions(page)[0])
    assert "fog rolls" in first
    assert re.match(r"(Queued|Submitting|Pending|Processing|Downloading)", first), first
    assert progress_state(page)[0] in {"pending", "processing", "downloading", "submitting"}
    watch_progress(page, {"completed"}, timeout=40)
    wait_until(lambda: gallery_captions(page)[0].startswith("4s"), timeout=10)
    context.close()


def test_the_progress_clocks_run_in_the_page_between_server_renders(browser: Any, live_app: LiveApp) -> None:
    # The server re-renders the card only when the job changes; the page's clock script advances the
    # elapsed clock up and the time-left clock down from the last render, and a new render resets them.
    context = browser.new_context(viewport=WIDE)
    page = open_page(context, live_app)
    page.evaluate(
        """() => {
            const box = document.createElement('dl');
            box.id = 'clock-check';
            box.innerHTML = '<dd data-clock="up" data-base="5.000">0:05</dd>'
                + '<dd data-clock="down" data-base="62.000" data-prefix="~">~1:02</dd>';
            document.body.appendChild(box);
        }"""
    )
    # Both clocks move on their own: wait until the elapsed one shows 3 s more, then the other shows
    # as many seconds less (one second apart at most: the two are drawn in the same tick).
    def clocks() -> tuple[int, int] | None:
        up, down = page.locator("#clock-check dd").all_inner_texts()
        seconds = [int(m) * 60 + int(s) for m, s in (t.lstrip("~").split(":") for t in (up, down))]
        return (seconds[0], seconds[1]) if seconds[0] >= 8 else None

    up, down = wait_until(clocks, timeout=10)
    assert up - 5 - 1 <= 62 - down <= up - 5 + 1, (up, down)
    page.evaluate("() => document.querySelector('#clock-check dd').setAttribute('data-base', '3600.000')")
    wait_until(lambda: page.locator("#clock-check dd").first.inner_text() in {"1:00:00", "1:00:01"})
    context.close()


def test_demo_mode_visitor_key_is_used_but_never_shown_or_stored(
    browser: Any, demo_app: LiveApp, screenshot_dir: Path
) -> None:
    context = browser.new_context(viewport=WIDE)
    page = open_page(context, demo_app)
    assert "Demo mode" in page.inner_text("#sd-header-block")
    page.click("#sd-key > button, #sd-key .label-wrap")
    page.wait_for_selector("#sd-key-box input[type=password]")
    shoot(page, screenshot_dir, "07-demo-key-1440")

    # A wrong key: "Check key" shows the provider's answer and its hint; the key is not echoed.
    page.fill("#sd-key-box input", "sk-wrong-key-for-test")
    page.click("#sd-key button:has-text('Check key')")
    page.wait_for_selector("#sd-key .sd-notice.is-error")
    assert "API key" in page.inner_text("#sd-key")
    assert page.input_value("#sd-key-box input") == ""
    assert "sk-wrong-key-for-test" not in page.content()

    # The visitor's real key: set for this session only, never shown.
    page.fill("#sd-key-box input", SERVER_KEY)
    page.click("#sd-key button:has-text('Use key')")
    page.wait_for_selector("#sd-key .sd-notice.is-success")
    assert "Your key is set for this session." in page.inner_text("#sd-key")
    assert page.input_value("#sd-key-box input") == ""
    assert SERVER_KEY not in page.content() and SERVER_KEY[-4:] not in page.inner_text("body")

    # Generating now uses the visitor's key at EVOLINK_BASE_URL (not the demo simulator).
    set_prompt(page, "Visitor key: a heron lifts off a misty pond")
    set_duration(page, 4)
    pick(page, "sd-quality", "480p")
    assert generate_and_finish(page)[-1][0] == "completed"
    [create] = demo_app.proxy.creates_with("Visitor key: a heron")
    assert create.authorization == f"Bearer {SERVER_KEY}"
    stored = b"".join(p.read_bytes() for p in demo_app.data_dir.rglob("*") if p.is_file())
    assert SERVER_KEY.encode() not in stored

    page.click("#sd-key button:has-text('Check key')")
    page.wait_for_selector("#sd-key .sd-notice.is-success >> text=Your key works")
    context.close()
