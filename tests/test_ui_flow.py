"""The creative's flow (issue 24) in a real Chromium, against the studio in demo mode (one app for the
module): Generate and the cost in reach after typing a prompt at 1440x900 and 390x844 (and the storyboard's
Generate all with the board's total), a refused picture named at its zone and in a toast with no traceback
in the server's log, a refused press answered beside Generate, a long paste kept whole and counted, and a
duration typed past the range said to be clamped. The storyboard's side: a long shot prompt kept, counted
and refused at the shot, a refused cast picture named at the cast control and in a toast; a paste past the
edge's request cap answered at Generate; demo clips burning the board's shot number and title, told to the
built-in simulator only (the contract's body and headers for any provider).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_process import all_jobs
from conftest import LiveApp, RecordingProxy, launched_demo_app, wait_until
from page_helpers import open_at, pick

from seedance_ui.options import DURATION_MAX

pytestmark = [pytest.mark.browser]

SIZES = {"1440x900": {"width": 1440, "height": 900}, "390x844": {"width": 390, "height": 844}}
PROMPT = "A lighthouse keeper climbs the spiral stairs at dusk, slow dolly in, warm lamp light."
CAP = 10_000


@pytest.fixture(scope="module")
def flow_app(tmp_path_factory: pytest.TempPathFactory, simulator: Any) -> Iterator[LiveApp]:
    """The studio in demo mode (its own simulator answers), with the default prompt cap."""
    with launched_demo_app(tmp_path_factory, simulator, "flow-data", max_prompt_chars=CAP) as app:
        yield app


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


def test_a_paste_past_the_unqueued_events_cap_is_still_counted(browser: Any, flow_app: LiveApp) -> None:
    """Gradio echoes a Textbox's whole value in a change event's data: a 150,000-character paste sent from
    the box itself was refused at the edge (HTTP 413) and the counter went stale. The probe sends the cut."""
    from seedance_ui.security.edge import instant_request_bytes

    text = "A lighthouse keeper trims the lamp at dusk. " * 3500
    assert len(text.encode()) > instant_request_bytes(CAP)
    page = open_at(browser, flow_app, SIZES["1440x900"])
    refused: list[int] = []
    page.on("response", lambda r: refused.append(r.status) if r.status >= 400 else None)
    try:
        page.fill("#sd-prompt textarea", text)
        over = f"{len(text):,} characters: {len(text) - CAP:,} over the {CAP:,} limit"
        page.wait_for_selector(f'#sd-counter :text("{over}")')
        page.keyboard.type(" more")
        longer = f"{len(text) + 5:,} characters"
        page.wait_for_selector(f'#sd-counter :text("{longer}")')
        assert refused == []
        assert not page.is_visible("#sd-prompt-probe")
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


def open_storyboard_at(browser: Any, app: LiveApp) -> Any:
    page = open_at(browser, app, SIZES["1440x900"])
    page.click("#sd-tab-storyboard-button")
    page.wait_for_selector("#sb-editor textarea", state="visible")
    return page


def test_long_shot_prompt_is_kept_counted_and_refused_at_the_shot(browser: Any, flow_app: LiveApp) -> None:
    text = " ".join(f"word{n % 97}" for n in range(3000))  # 3,000 words: past the cap and the old 20,000 cut
    assert len(text) > 20_000
    page = open_storyboard_at(browser, flow_app)
    try:
        box = page.locator("#sb-shot-prompt textarea")
        box.fill(text)  # a paste: the whole value at once
        box.blur()
        style = page.locator("#sb-style textarea, #sb-style input").first.input_value().strip()
        sent = len(f"{text}, {style}" if style else text)  # the prompt as sent carries the style line
        over = f"{sent:,} characters: {sent - CAP:,} over the {CAP:,} limit — trim before generating"
        page.wait_for_selector(f'#sb-editor-info :text("{over}")')  # counted as saved: nothing was cut
        assert box.input_value() == text

        jobs = len(all_jobs(flow_app.data_dir))
        page.click("#sb-generate-all")
        page.wait_for_selector(f'#sb-confirm-card :text("{over}")')
        assert not page.locator("#sb-confirm-go").is_visible()  # nothing can be confirmed
        wait_until(lambda: f"Shot 1 — prompt: {over}" in toasts(page))
        assert len(all_jobs(flow_app.data_dir)) == jobs
    finally:
        page.context.close()


@pytest.mark.parametrize("kind", ["not-a-picture", "too-small"])
def test_refused_cast_picture_named_at_the_control_in_a_toast_and_no_traceback(
    browser: Any, flow_app: LiveApp, tmp_path: Path, capfd: pytest.CaptureFixture[str], kind: str
) -> None:
    from PIL import Image

    fake = tmp_path / "notes.png"
    if kind == "not-a-picture":
        fake.write_text("These are my notes for the cast, not a picture.\n" * 20)
        said = "Cast picture: “notes.png” is not a readable image (JPEG, PNG or WebP) — it was not kept."
    else:
        Image.new("RGB", (64, 64), (200, 120, 40)).save(fake)
        said = "Cast picture: “notes.png” "
    page = open_storyboard_at(browser, flow_app)
    try:
        page.set_input_files("#sb-cast-image input[type=file]", str(fake))
        page.wait_for_selector(f'#sb-cast-note .sd-notice.is-error:has-text("{said}")')
        wait_until(lambda: said in toasts(page))
        page.wait_for_selector("#sb-cast-image img", state="detached")  # not kept: no broken picture
        assert said in page.inner_text("#sb-cast-note")  # still said after the control was emptied
    finally:
        page.context.close()
    assert "Traceback" not in "".join(capfd.readouterr())


def simulator_labels(app: LiveApp) -> set[str]:
    """What the app's built-in simulator was told its clips are (the demo label header, decoded)."""
    sim = app.runtime.simulator
    with sim._lock:
        return {task.label for task in sim._tasks.values()}


def test_demo_clips_burn_the_boards_shot_number_and_title(browser: Any, flow_app: LiveApp) -> None:
    page = open_storyboard_at(browser, flow_app)
    try:
        page.click("#sb-new")  # a board of one empty shot (the sample's shots are not this test's)
        wait_until(lambda: len(page.locator("#sb-tiles .sb-tile[data-shot]").all()) == 1)
        fill_field(page, "sb-shot-title", "The keeper")
        fill_field(page, "sb-shot-prompt", "A lighthouse keeper at the window at dusk, slow dolly in.")
        page.click("#sb-add")
        page.wait_for_selector("#sb-editor-head-block .sb-editor-head[data-number='2']")
        fill_field(page, "sb-shot-title", "The climb")
        fill_field(page, "sb-shot-prompt", "The keeper climbs the spiral stairs, lamp in hand, warm light.")
        page.wait_for_selector("#sb-tiles .sb-tile[data-number='2'] .sb-tile-title:has-text('The climb')")
        page.click("#sb-generate-all")
        page.click("#sb-confirm-go")
        page.wait_for_selector("#sb-confirm", state="hidden")
        wait_until(lambda: {"SHOT 1 · The keeper", "SHOT 2 · The climb"} <= simulator_labels(flow_app))
    finally:
        page.context.close()
    from seedance_ui.simulator.render import _shot_label

    assert _shot_label("Shot 7: a prompt naming another shot", "SHOT 2 · The climb").startswith("SHOT 2 · ")


def fill_field(page: Any, elem_id: str, value: str) -> None:
    box = page.locator(f"#{elem_id} textarea, #{elem_id} input").first
    box.fill(value)
    box.blur()


def test_the_demo_label_header_goes_to_the_built_in_simulator_only(simulator: Any, tmp_path: Path) -> None:
    """The contract: a provider (any base URL that is not the demo's simulator) receives exactly the
    contract's body and headers, a visitor's own key on a demo Space included; only a client made for the
    built-in simulator sends the label."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from conftest import SERVER_KEY

    from seedance_ui.client import GenerationRequest, SeedanceClient
    from seedance_ui.config import Settings
    from seedance_ui.options import DEMO_LABEL_HEADER
    from seedance_ui.runtime import default_client_factory

    proxy = RecordingProxy(simulator.base_url).start()
    try:
        settings = Settings(api_key="", base_url=proxy.url, data_dir=tmp_path, request_timeout=10.0)
        demo_space = default_client_factory(settings, "http://127.0.0.1:9")  # a demo with its simulator
        provider = default_client_factory(Settings(api_key=SERVER_KEY, base_url=proxy.url, data_dir=tmp_path),
                                          None)
        to_simulator = SeedanceClient(SERVER_KEY, proxy.url, demo_labels=True)

        def create(client: SeedanceClient, prompt: str) -> None:
            async def run() -> None:
                async with client:
                    await client.create(GenerationRequest(prompt=prompt), demo_label="SHOT 2 · The climb")

            with ThreadPoolExecutor(1) as pool:  # its own event loop (Playwright's runs in this thread)
                pool.submit(asyncio.run, run()).result()

        create(demo_space(SERVER_KEY), "A visitor's own key on a demo Space")
        create(provider(SERVER_KEY), "The server's key, no simulator")
        create(to_simulator, "The built-in simulator")
        header = DEMO_LABEL_HEADER.lower()
        for prompt in ("A visitor's own key on a demo Space", "The server's key, no simulator"):
            (sent,) = proxy.creates_with(prompt)
            assert header not in sent.headers, sent.headers
            assert "demo_label" not in json_text(sent.body) and "SHOT 2" not in json_text(sent.body)
        (sent,) = proxy.creates_with("The built-in simulator")
        assert sent.headers[header] == "SHOT 2 %C2%B7 The climb"
    finally:
        proxy.stop()
    with simulator._lock:
        assert "SHOT 2 · The climb" in {task.label for task in simulator._tasks.values()}


def json_text(body: Any) -> str:
    import json

    return json.dumps(body, ensure_ascii=False)


def test_a_paste_past_the_request_cap_is_answered_at_generate(browser: Any, flow_app: LiveApp) -> None:
    from seedance_ui.security.edge import MAX_REQUEST_BYTES

    text = "word " * (MAX_REQUEST_BYTES // 4)  # one paste larger than any request the edge lets through
    page = open_at(browser, flow_app, SIZES["1440x900"])
    try:
        page.fill("#sd-prompt textarea", text)
        jobs = len(all_jobs(flow_app.data_dir))
        page.click("#sd-generate")
        chars = len(text)
        over = f"{chars:,} characters: {chars - CAP:,} over the {CAP:,} limit — trim before generating"
        page.wait_for_selector(f'#sd-submit-note :text("Prompt: {over}")')  # beside Generate, not a bare 413
        assert in_view(page, "#sd-submit-note .sd-notice")
        wait_until(lambda: f"Prompt: {over}" in toasts(page))
        assert page.input_value("#sd-prompt textarea") == text
        assert len(all_jobs(flow_app.data_dir)) == jobs
    finally:
        page.context.close()
