"""The storyboard's cast and chain in a real Chromium against the launched studio (simulator behind a
recording proxy, the file API on the same simulator).

Two pictures become the board's cast through the page; a shot ticks one of them and names it, and the
SENT AS block shows the exact prompt and image list; a second shot starts from the end of the first.
Generate all sends the first, then the chained one from its last frame; the takes show their inputs;
a new take chosen for shot 1 puts an out-of-date warning on shot 2's tile. The continuity sample in demo
mode: one Generate all makes its cast shots, its chained cut and the shot that extends it; two takes of
the cut compared show their inputs. Screens at 1440 and 390 px land in
./screenshots/storyboard-continuity-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import LiveApp, RecordingProxy, _close, _launch, server_key_settings, wait_until
from media_files import plain_image
from test_ui_storyboard import NARROW, WIDE, confirm, fill, open_storyboard, select_shot, shoot, tiles

from seedance_ui.options import MODE_FRAMES, MODE_REFERENCES, TIER_FAST, model_id
from seedance_ui.pricing import estimate
from seedance_ui.storyboard.chain import OUT_OF_DATE, OUT_OF_DATE_VIDEO

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, simulator: Any) -> Iterator[LiveApp]:
    """The studio with a server key; creates and uploads both go through the recording proxy."""
    proxy = RecordingProxy(simulator.base_url).start()
    data = tmp_path_factory.mktemp("continuity-data")
    settings = server_key_settings(proxy, data, files_url=proxy.url)
    live = _launch(settings, proxy, simulator)
    yield live
    _close(live)
    proxy.stop()


def add_cast(page: Any, picture: Path, name: str) -> None:
    page.set_input_files("#sb-cast-image input[type=file]", str(picture))
    page.wait_for_selector("#sb-cast-image img")
    fill(page, "sb-cast-name", name)
    page.click("#sb-cast-add-btn")
    page.wait_for_selector(f"#sb-cast-chips .sb-cast-chip[data-name='{name}']")


def sent_inputs(page: Any) -> list[tuple[str, str]]:
    return page.evaluate(
        "Array.from(document.querySelectorAll('#sb-editor-info .sb-inputs .sb-input')).map(li => "
        "[li.dataset.tag, li.querySelector('.sb-input-name').innerText])"
    )


@pytest.mark.browser
def test_cast_and_chain_through_the_page(
    browser: Any, app: LiveApp, screenshot_dir: Path, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=WIDE)
    page = open_storyboard(context, app)
    page.click("#sb-new")
    wait_until(lambda: len(tiles(page)) == 1)
    page.click('#sb-quality [data-testid="480p-radio-label"]')
    page.click('#sb-model [data-testid="Fast-radio-label"]')

    # The cast: two named pictures, shown as chips with the way a prompt names them.
    add_cast(page, plain_image(tmp_path / "mara.png", (640, 480), (200, 60, 60)), "Mara")
    add_cast(page, plain_image(tmp_path / "lighthouse.png", (640, 480), (60, 200, 60)), "the lighthouse")
    mentions = page.locator("#sb-cast-chips .sb-cast-mention").all_inner_texts()
    assert mentions == ["@[Mara]", "@[the lighthouse]"]

    # Shot 1 uses the lighthouse only: it is @image1 of its request, Mara is left out.
    select_shot(page, 1)
    fill(page, "sb-shot-title", "Dusk")
    fill(page, "sb-shot-prompt", "Continuity UI: @[the lighthouse] at dusk, slow push-in")
    page.locator("#sb-shot-cast label", has_text="the lighthouse").click()
    wait_until(lambda: sent_inputs(page) == [["@image1", "the lighthouse"]])
    wait_until(lambda: "@image1 at dusk" in page.inner_text("#sb-editor-info .sb-sent-prompt"))

    # Shot 2 starts from the end of shot 1.
    page.click("#sb-add")
    wait_until(lambda: len(tiles(page)) == 2)
    fill(page, "sb-shot-title", "Climb")
    fill(page, "sb-shot-prompt", "Continuity UI: the keeper climbs the stairs")
    page.locator("#sb-shot-chain label").click()
    page.wait_for_selector("#sb-tiles .sb-tile[data-number='2'] .is-chain")
    wait_until(lambda: [tag for tag, _ in sent_inputs(page)] == ["first frame"])
    shoot(page, screenshot_dir, "continuity-cast-1440")

    # Generate all: the confirmation prices exactly the two requests (references, then frames).
    page.click("#sb-generate-all")
    credits = estimate(model_id(MODE_REFERENCES, TIER_FAST), "480p", 5).credits + estimate(
        model_id(MODE_FRAMES, TIER_FAST), "480p", 5
    ).credits
    before = len(app.proxy.creates())
    confirm(page, 2, credits)
    wait_until(lambda: [t["state"] for t in tiles(page)] == ["done", "done"], timeout=60)
    first, second = [r.body for r in app.proxy.creates()[before:]]
    assert first["prompt"].startswith("Continuity UI: @image1 at dusk") and len(first["image_urls"]) == 1
    assert second["model"] == model_id(MODE_FRAMES, TIER_FAST) and len(second["image_urls"]) == 1

    # The chained shot's take shows where it started from; its SENT AS shows the frame it would use.
    select_shot(page, 2)
    page.wait_for_selector("#sb-takes .sb-take-input[data-role='first-frame'] img")
    assert "from the end of shot 1, take 1" in page.inner_text("#sb-takes .sb-take-inputs")
    shoot(page, screenshot_dir, "continuity-chained-1440")

    # A new take chosen for shot 1: shot 2 is marked out of date, and nothing is sent for it.
    select_shot(page, 1)
    page.click("#sb-shot-generate")
    confirm(page, 1, estimate(model_id(MODE_REFERENCES, TIER_FAST), "480p", 5).credits)
    page.wait_for_selector("#sb-takes .sb-take[data-number='2'][data-status='completed']", timeout=60_000)
    sent = len(app.proxy.creates())
    page.click("#sb-takes .sb-take[data-number='2'] .sb-take-pick")
    page.wait_for_selector(f"#sb-tiles .sb-tile[data-number='2'] .sb-stale >> text={OUT_OF_DATE}")
    assert len(app.proxy.creates()) == sent
    shoot(page, screenshot_dir, "continuity-out-of-date-1440")

    # The same board at 390 px (a phone): cast chips, the chain mark and the warning still show.
    page.set_viewport_size(NARROW)
    page.reload()
    page.wait_for_function("() => !!document.querySelector('#sd-progress .sd-progress')")
    page.click("#sd-tab-storyboard-button")
    page.wait_for_selector("#sb-cast-chips .sb-cast-chip[data-name='Mara']")
    page.wait_for_selector(f"#sb-tiles .sb-tile[data-number='2'] .sb-stale >> text={OUT_OF_DATE}")
    select_shot(page, 2)
    shoot(page, screenshot_dir, "continuity-390")

    # The continuity sample: a new board with a cast of two and a chained third shot.
    page.set_viewport_size(WIDE)
    page.click("#sb-sample")
    page.wait_for_selector("#sb-cast-chips .sb-cast-chip[data-name='the keeper'] img")
    page.wait_for_selector("#sb-tiles .sb-tile[data-number='3'] .is-chain")
    select_shot(page, 3)
    tags = ["@image1 · first frame", "@image2", "@image3"]
    wait_until(lambda: [tag for tag, _ in sent_inputs(page)] == tags)
    shoot(page, screenshot_dir, "continuity-sample-1440")
    context.close()


@pytest.mark.browser
def test_the_continuity_sample_generates_end_to_end_in_demo_mode(
    browser: Any, demo_app: LiveApp, screenshot_dir: Path
) -> None:
    """The sample as a new visitor meets it in demo mode: a cast of two, a chained cut and a shot that
    extends the video before it, all generated by one Generate all."""
    context = browser.new_context(viewport=WIDE)
    page = open_storyboard(context, demo_app)
    page.click("#sb-sample")
    page.wait_for_selector("#sb-cast-chips .sb-cast-chip[data-name='the keeper'] img")
    page.wait_for_selector("#sb-tiles .sb-tile[data-number='4'] .is-chain >> text=extends shot 3")
    select_shot(page, 1)
    page.wait_for_selector("#sb-shot-continues", state="hidden")  # asked only of a chained shot
    select_shot(page, 4)
    page.wait_for_selector("#sb-shot-continues", state="visible")
    assert page.is_checked('#sb-shot-continues [data-testid="Extend its video (@video1)-radio-label"] input')
    wait_until(lambda: sent_inputs(page) == [["@video1", "video of shot 3 (when its take is done)"]])
    assert page.inner_text("#sb-editor-info .sb-sent-prompt").startswith("Continue @video1 seamlessly")

    # A cast chip puts its name into the prompt at the cursor; ticked, the keeper is sent as @image1.
    box = page.locator("#sb-shot-prompt textarea")
    box.click()
    box.press("Control+End")
    page.click("#sb-cast-chips .sb-cast-chip[data-name='the keeper']")
    wait_until(lambda: box.input_value().endswith("in the light @[the keeper] "))
    page.locator("#sb-shot-cast label", has_text="the keeper").click()
    video = ["@video1", "video of shot 3 (when its take is done)"]
    wait_until(lambda: sent_inputs(page) == [video, ["@image1", "the keeper"]])
    sent_prompt = page.locator("#sb-editor-info .sb-sent-prompt")
    wait_until(lambda: "in the light @image1, cinematic" in sent_prompt.inner_text())

    # Generate all: three references requests priced; the extension's price is not published.
    page.click("#sb-generate-all")
    page.wait_for_selector("#sb-confirm-card .sb-c-unpriced >> text=not published")
    assert "(+ 1 shot without a published price)" in page.inner_text("#sb-confirm-card .sb-confirm-sub")
    shoot(page, screenshot_dir, "continuity-sample-confirm-1440")
    confirm(page, 4, 3 * estimate(model_id(MODE_REFERENCES, TIER_FAST), "480p", 5).credits)
    wait_until(lambda: [t["state"] for t in tiles(page)] == ["done"] * 4, timeout=120)
    select_shot(page, 4)
    page.wait_for_selector("#sb-takes .sb-take-input[data-role='video']")
    assert page.inner_text("#sb-takes .sb-take-input[data-role='video']") == (
        "continues the video of shot 3, take 1"
    )
    keeper = ["@image1", "the keeper"]
    wait_until(lambda: sent_inputs(page) == [["@video1", "video of shot 3, take 1"], keeper])
    shoot(page, screenshot_dir, "continuity-sample-generated-1440")

    # A second take of the chained cut, compared with the first: each shows the frame and cast it was
    # made from. Choosing the newer take puts the extension after it out of date.
    select_shot(page, 3)
    page.wait_for_selector("#sb-takes .sb-take-input[data-role='first-frame'] img")
    page.click("#sb-shot-generate")
    confirm(page, 1, estimate(model_id(MODE_REFERENCES, TIER_FAST), "480p", 5).credits)
    page.wait_for_selector("#sb-takes .sb-take[data-number='2'][data-status='completed']", timeout=60_000)
    page.click("#sb-takes .sb-take[data-number='2'] .sb-take-pick")
    page.wait_for_selector(f"#sb-tiles .sb-tile[data-number='4'] .sb-stale >> text={OUT_OF_DATE_VIDEO}")
    page.wait_for_selector("#sb-compare-row", state="visible")
    page.click("#sb-compare-btn")
    page.wait_for_selector("#sb-compare .sb-compare[data-count='2']")
    columns = page.locator("#sb-compare .sb-cmp-col")
    for n in range(2):
        inputs = columns.nth(n).locator(".sb-take-inputs")
        assert inputs.locator("[data-role='first-frame'] img").count() == 1
        roles = inputs.locator(".sb-take-input").evaluate_all("els => els.map(e => e.dataset.role)")
        assert roles == ["first-frame", "cast", "cast"]
    page.locator("#sb-compare").scroll_into_view_if_needed()
    shoot(page, screenshot_dir, "continuity-compare-1440")
    page.set_viewport_size(NARROW)
    shoot(page, screenshot_dir, "continuity-compare-390")
    context.close()
