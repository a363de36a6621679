"""The create panel's Frames and References modes in a real Chromium, against the launched studio.

A picture dropped on the first-frame zone is generated in demo mode and opens the finished clip; two
reference images, tagged with their chips, reach the API as uploads in order; refusals name the field
and the rule before anything is uploaded or created; "Continue this shot" takes a history video's last
frame as a new first frame. Screens of the three modes at 1440 and 390 px land in ./screenshots/.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import (
    POLL_INTERVAL,
    SERVER_KEY,
    LiveApp,
    RecordingProxy,
    _close,
    _launch,
    card_attributes,
    wait_until,
)
from media_files import QUADRANTS, close_to, first_and_last_frames, margin_points, plain_image, quadrant_image
from page_helpers import NARROW, WIDE, checked_label, open_newest, open_page, pick, shoot
from PIL import Image

from seedance_ui.options import MODE_FRAMES, TIER_STANDARD, UPLOAD_STREAM_PATH, model_id
from seedance_ui.pricing import estimate

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

ENDED = {"completed", "failed", "cancelled", "unknown_outcome", "expired"}
SECOND_PICTURE = ((250, 140, 20), (120, 30, 200), (20, 200, 200), (250, 250, 250))


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pictures")
    return {
        "quad": quadrant_image(folder / "quad.png", (960, 720)),
        "second": quadrant_image(folder / "second.jpg", (720, 960), colours=SECOND_PICTURE),
        "small": plain_image(folder / "small.png", (200, 200)),
        "gif": plain_image(folder / "moving.gif", (640, 480), fmt="GIF"),
    }


@pytest.fixture(scope="module")
def files_app(tmp_path_factory: pytest.TempPathFactory, simulator: Any) -> Iterator[LiveApp]:
    """The studio with a server key whose API and file API both go through the recording proxy (to
    the shared simulator): every upload and every create body is recorded."""
    from seedance_ui.config import Settings

    proxy = RecordingProxy(simulator.base_url).start()
    settings = Settings(
        api_key=SERVER_KEY,
        base_url=proxy.url,
        files_url=proxy.url,
        data_dir=tmp_path_factory.mktemp("modes-data"),
        poll_interval=POLL_INTERVAL,
        request_timeout=10.0,
        download_timeout=30.0,
    )
    app = _launch(settings, proxy, simulator)
    yield app
    _close(app)
    proxy.stop()


# --------------------------------------------------------------------------------------------------
# page helpers


def switch_mode(page: Any, label: str) -> None:
    pick(page, "sd-mode", label)
    panel = {"Frames": "#sd-frames", "References": "#sd-refs"}.get(label)
    if panel:
        page.wait_for_selector(panel, state="visible")


def drop_first_frame(page: Any, path: Path) -> None:
    page.set_input_files("#sd-first-frame input[type=file]", str(path))
    width = Image.open(path).width
    page.wait_for_selector(f'#sd-frames-note [data-frame="first-frame"]:has-text("{width} ×")')


def uploads(app: LiveApp) -> int:
    return sum(1 for r in app.proxy.records if r.method == "POST" and r.path.startswith(UPLOAD_STREAM_PATH))


def sim_uploads(app: LiveApp) -> int:
    return app.runtime.simulator.count("POST", UPLOAD_STREAM_PATH)


def refused(page: Any, *words: str) -> str:
    """The status notice once it names every one of `words` (a refusal), as text."""
    wait_until(lambda: all(w in page.inner_text("#sd-status") for w in words))
    text = page.inner_text("#sd-status")
    assert "Nothing was sent" in text
    return text


def finish(page: Any, timeout: float = 40.0) -> str | None:
    """Press Generate and wait until the panel's job has ended; its status."""
    before = card_attributes(page, "data-job")[0]
    page.click("#sd-generate")
    wait_until(lambda: card_attributes(page, "data-job")[0] not in (None, before), timeout=timeout)
    wait_until(lambda: card_attributes(page, "data-status")[0] in ENDED, timeout=timeout)
    return card_attributes(page, "data-status")[0]


def fetch(page: Any, selector: str) -> bytes:
    """The bytes of the file a <video> or <img> on the page shows (with the page's cookies)."""
    wait_until(lambda: page.get_attribute(selector, "src"))
    response = page.request.get(page.eval_on_selector(selector, "e => e.src"))
    assert response.ok
    return response.body()


# --------------------------------------------------------------------------------------------------
# Frames


def test_a_dropped_first_frame_opens_the_finished_clip(
    browser: Any, demo_app: LiveApp, pictures: dict[str, Path], tmp_path: Path, screenshot_dir: Path
) -> None:
    context = browser.new_context(viewport=WIDE)
    page = open_page(context, demo_app)
    switch_mode(page, "Frames")
    assert checked_label(page, "sd-model") == "Standard"
    assert "1080p" in page.inner_text("#sd-quality")  # Standard frames offers 1080p

    drop_first_frame(page, pictures["quad"])
    # The picture's ratio is shown, the explicit 16:9 does not fit it, adaptive is suggested.
    assert "(≈ 4:3)" in page.inner_text("#sd-frames-note")
    page.wait_for_selector('#sd-frames-note [data-code="ratio_mismatch"]')
    page.click("#sd-use-adaptive")
    wait_until(lambda: checked_label(page, "sd-ratio") == "adaptive")
    page.wait_for_selector('#sd-frames-note [data-code="ratio_mismatch"]', state="detached")
    page.wait_for_selector("#sd-use-adaptive", state="hidden")
    page.fill("#sd-prompt textarea", "Frames in the page: the quadrants begin to turn")
    shoot(page, screenshot_dir, "modes-frames-1440")

    uploads_before = sim_uploads(demo_app)
    assert finish(page) == "completed"
    assert sim_uploads(demo_app) == uploads_before + 1  # the dropped picture, uploaded once
    assert "Frames · Standard" in page.inner_text("#sd-params")

    # The saved mp4's first frame is the dropped picture (each quadrant in its place and colour).
    clip = tmp_path / "frames.mp4"
    clip.write_bytes(fetch(page, "#sd-video video"))
    first, _last = first_and_last_frames(clip)
    assert first.width / first.height == pytest.approx(960 / 720, rel=0.02)  # adaptive kept its shape
    for point, colour in zip(margin_points(*first.size), QUADRANTS, strict=True):
        assert close_to(first.getpixel(point), colour), (point, first.getpixel(point), colour)
    context.close()


def test_refusals_name_the_field_and_the_rule_and_nothing_is_sent(
    browser: Any, demo_app: LiveApp, pictures: dict[str, Path]
) -> None:
    context = browser.new_context(viewport=WIDE)
    page = open_page(context, demo_app)
    creates, sent = demo_app.runtime.simulator.create_count, sim_uploads(demo_app)
    job = card_attributes(page, "data-job")[0]  # this page's latest job (none yet, or an earlier one)

    # Web search on a frames model: switched on in Text, then the mode changes; it stays in sight.
    page.locator("#sd-web input[type=checkbox]").click()
    switch_mode(page, "Frames")
    assert "Only the Standard and Fast text models" in page.inner_text("#sd-web")
    drop_first_frame(page, pictures["quad"])
    page.fill("#sd-prompt textarea", "Refused: web search on a frames model")
    page.click("#sd-generate")
    refused(page, "Web search", "only the Standard and Fast text models search the web")
    page.locator("#sd-web input[type=checkbox]").click()
    page.wait_for_selector("#sd-web", state="hidden")  # unchecked where it is not allowed: gone

    # A 200x200 picture: named in the frames note at once, and refused on Generate.
    drop_first_frame(page, pictures["small"])
    assert "each side must be 300-6000 px" in page.inner_text('#sd-frames-note [data-code="frame_rule"]')
    page.click("#sd-generate")
    refused(page, "First frame", "each side must be 300-6000 px (got 200x200)")

    # A GIF (the zone passes the file as dropped, so its format is what is checked).
    page.set_input_files("#sd-first-frame input[type=file]", str(pictures["gif"]))
    page.wait_for_selector('#sd-frames-note [data-code="frame_rule"]:has-text("GIF")')
    page.click("#sd-generate")
    refused(page, "First frame", "must be a JPEG, PNG or WebP image (got GIF)")

    assert demo_app.runtime.simulator.create_count == creates
    assert sim_uploads(demo_app) == sent
    assert card_attributes(page, "data-job")[0] == job  # no job was written either
    context.close()


# --------------------------------------------------------------------------------------------------
# References


def test_reference_chips_tag_two_images_that_reach_the_api_in_order(
    browser: Any, files_app: LiveApp, pictures: dict[str, Path], screenshot_dir: Path
) -> None:
    context = browser.new_context(viewport=WIDE)
    page = open_page(context, files_app)
    switch_mode(page, "References")
    # One picture dropped on the gallery, the next one added with "Add images": tagged in that order.
    page.set_input_files("#sd-ref-images input[type=file]", str(pictures["quad"]))
    page.wait_for_selector('#sd-ref-tags [data-tag="@image1"]')
    with page.expect_file_chooser() as chooser:
        page.click("#sd-add-refs")
    chooser.value.set_files(str(pictures["second"]))
    page.wait_for_selector('#sd-ref-tags [data-tag="@image2"]')
    assert page.locator("#sd-ref-tags .sd-tag-chip").all_inner_texts() == ["@image1", "@image2"]
    captions = page.locator("#sd-ref-images .caption-label").all_inner_texts()
    assert [c.strip() for c in captions] == ["@image1", "@image2"]

    # The lint: both images unnamed, then a tag with no input.
    page.fill("#sd-prompt textarea", "References in the page: @image3 dances")
    page.wait_for_selector('#sd-counter [data-code="tag_without_input"]')
    unnamed = page.inner_text('#sd-counter [data-code="input_without_tag"]')
    assert "@image1, @image2 are not in the prompt" in unnamed

    # Chips insert their tags at the cursor.
    draft = "References in the page: the hero  walks into  at dusk"
    page.fill("#sd-prompt textarea", draft)
    box = page.locator("#sd-prompt textarea")
    at = draft.index("hero ") + len("hero ")
    box.evaluate(f"e => {{ e.focus(); e.setSelectionRange({at}, {at}); }}")
    page.click('#sd-ref-tags [data-tag="@image1"]')
    wait_until(lambda: "the hero @image1 walks" in box.input_value())
    at = box.input_value().index("into ") + len("into ")
    box.evaluate(f"e => e.setSelectionRange({at}, {at})")
    page.click('#sd-ref-tags [data-tag="@image2"]')
    prompt = "References in the page: the hero @image1 walks into @image2 at dusk"
    wait_until(lambda: " ".join(box.input_value().split()) == prompt)
    page.wait_for_selector('#sd-counter [data-code="input_without_tag"]', state="detached")
    page.wait_for_selector('#sd-counter [data-code="tag_without_input"]', state="detached")
    shoot(page, screenshot_dir, "modes-references-1440")

    sent = uploads(files_app)
    assert finish(page) == "completed"
    [create] = files_app.proxy.creates_with("References in the page")
    assert create.body["model"] == "seedance-2.0-reference-to-video"
    urls = create.body["image_urls"]
    assert len(urls) == 2 and uploads(files_app) == sent + 2
    # Both URLs in the order of the tags: each holds exactly the picture dropped in that place.
    for url, picture in zip(urls, (pictures["quad"], pictures["second"]), strict=True):
        assert httpx.get(url, timeout=10).content == picture.read_bytes()

    # A fresh page, then "Reuse settings" on that job: the mode, the prompt and both pictures come back
    # in their order; Generate sends them again without uploading either a second time.
    page = open_page(context, files_app)
    assert checked_label(page, "sd-mode") == "Text"
    open_newest(page)
    page.click("#sd-reuse")
    wait_until(lambda: checked_label(page, "sd-mode") == "References")
    # Reuse (the mode and its panels), then its inputs (copied into the upload folder), then the chips:
    # three queued events in a row, on two cores that make test's workers keep busy
    page.wait_for_selector('#sd-ref-tags [data-tag="@image2"]', timeout=60_000)
    box = page.locator("#sd-prompt textarea")
    wait_until(lambda: " ".join(box.input_value().split()) == prompt)
    images = page.locator("#sd-ref-images .thumbnail-item img")
    wait_until(lambda: images.count() == 2)
    shown = [page.request.get(src).body() for src in images.evaluate_all("els => els.map(e => e.src)")]
    assert shown == [pictures["quad"].read_bytes(), pictures["second"].read_bytes()]
    captions = page.locator("#sd-ref-images .caption-label").all_inner_texts()
    assert [c.strip() for c in captions] == ["@image1", "@image2"]  # tagged as when they were dropped
    assert "Its inputs are back in their places" in page.inner_text("#sd-status")
    sent = uploads(files_app)
    assert finish(page) == "completed"
    again = files_app.proxy.creates_with("References in the page")[-1]
    assert again.body["image_urls"] == urls and uploads(files_app) == sent
    context.close()


def test_a_quality_picked_right_after_the_model_stays(browser: Any, demo_app: LiveApp) -> None:
    """The model's answer (its tiers and qualities) comes after a quality picked meanwhile, and leaves it:
    it used to set the quality the page had sent with the model's change, so the pick snapped back."""
    context = browser.new_context(viewport=WIDE)
    page = open_page(context, demo_app)
    page.evaluate(
        "() => { const label = (id, text) => document.querySelector("
        "`#${id} [data-testid=\"${text}-radio-label\"]`);"
        " label('sd-model', 'Fast').click(); setTimeout(() => label('sd-quality', '480p').click(), 60); }"
    )
    picked = ("Fast", "480p")
    wait_until(lambda: (checked_label(page, "sd-model"), checked_label(page, "sd-quality")) == picked)
    time.sleep(2.0)  # the model's answer has come by now
    assert checked_label(page, "sd-quality") == "480p"
    context.close()


def test_the_cost_card_follows_the_mode_tier_and_content_filter(browser: Any, demo_app: LiveApp) -> None:
    context = browser.new_context(viewport=WIDE)
    page = open_page(context, demo_app)

    def card(name: str) -> str | None:
        return page.locator("#sd-cost .sd-cost").get_attribute(name)

    switch_mode(page, "Frames")
    frames = estimate(model_id(MODE_FRAMES, TIER_STANDARD), "720p", 5)
    wait_until(lambda: card("data-credits") == f"{frames.credits:.4f}")
    page.click("#sd-advanced button, #sd-advanced .label-wrap")
    page.locator("#sd-content-filter input[type=checkbox]").click()
    off = estimate(model_id(MODE_FRAMES, TIER_STANDARD), "720p", 5, content_filter=False)
    wait_until(lambda: card("data-credits") == f"{off.credits:.4f}")
    assert "×1.1" in page.inner_text("#sd-cost")
    pick(page, "sd-model", "Mini")
    wait_until(lambda: card("data-published") == "false")
    assert "Price not published" in page.inner_text("#sd-cost")
    wait_until(lambda: "1080p" not in page.inner_text("#sd-quality"))  # 1080p: Standard only

    # No published price: the provider's credits_reserved shows on the progress card once created.
    switch_mode(page, "Text")
    wait_until(lambda: checked_label(page, "sd-model") == "Mini" and card("data-published") == "false")
    page.fill("#sd-prompt textarea", "Unpublished price: a snail crosses a leaf")
    pick(page, "sd-quality", "480p")
    page.click("#sd-generate")
    reserved = '#sd-progress [data-meta="credits-reserved"] dd'
    wait_until(lambda: card_attributes(page, "data-status")[0] in ENDED | {"pending", "processing"})
    wait_until(lambda: page.inner_text(reserved).replace(".", "").replace(",", "").isdigit())
    context.close()


# --------------------------------------------------------------------------------------------------
# Continue this shot


def test_continue_this_shot_takes_the_last_frame_of_a_history_video(
    browser: Any, demo_app: LiveApp, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=WIDE)
    page = open_page(context, demo_app)
    page.fill("#sd-prompt textarea", "Continue me: a paper boat drifts to the left")
    pick(page, "sd-quality", "480p")
    assert finish(page) == "completed"
    clip = tmp_path / "history.mp4"
    clip.write_bytes(fetch(page, "#sd-video video"))
    _first, last = first_and_last_frames(clip)

    open_newest(page)
    page.click("#sd-continue")
    page.wait_for_selector("#sd-frames", state="visible")
    wait_until(lambda: checked_label(page, "sd-mode") == "Frames")
    assert checked_label(page, "sd-ratio") == "adaptive"
    page.wait_for_selector('#sd-frames-note [data-frame="first-frame"]')
    assert f"{last.width} × {last.height} px" in page.inner_text("#sd-frames-note")

    # The zone shows exactly the video's last frame.
    shown = Image.open(io.BytesIO(fetch(page, "#sd-first-frame img"))).convert("RGB")
    assert shown.size == last.size
    diff = sum(abs(a - b) for a, b in zip(shown.tobytes(), last.tobytes(), strict=True)) / len(last.tobytes())
    assert diff < 2.0, diff
    context.close()


# --------------------------------------------------------------------------------------------------
# Screens of the three modes


def test_screens_of_the_three_modes(
    browser: Any, demo_app: LiveApp, pictures: dict[str, Path], screenshot_dir: Path
) -> None:
    for size, suffix in ((WIDE, "1440"), (NARROW, "390")):
        mobile = size is NARROW
        context = browser.new_context(viewport=size, is_mobile=mobile, has_touch=mobile)
        page = open_page(context, demo_app)
        page.fill("#sd-prompt textarea", "A lighthouse keeper trims the lamp at dusk")
        shoot(page, screenshot_dir, f"mode-text-{suffix}")
        switch_mode(page, "Frames")
        drop_first_frame(page, pictures["quad"])
        shoot(page, screenshot_dir, f"mode-frames-{suffix}")
        switch_mode(page, "References")
        both = [str(pictures["quad"]), str(pictures["second"])]
        page.set_input_files("#sd-ref-images input[type=file]", both)
        page.wait_for_selector('#sd-ref-tags [data-tag="@image2"]')
        shoot(page, screenshot_dir, f"mode-references-{suffix}")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= size["width"], f"the page scrolls sideways at {size['width']} px ({width})"
        context.close()
