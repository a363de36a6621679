"""Demo mode's references, tried from the page in a real Chromium (issue 24, item 7): the sample pictures
and the sample clip the demo serves itself go in from their buttons and end as a playable video whose
frames show the two pictures; a link the demo cannot fetch is explained in plain words at the control.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import pytest
from conftest import LiveApp, card_attributes, wait_until
from page_helpers import WIDE, open_page, pick, shoot
from PIL import Image, ImageChops, ImageOps, ImageStat

from seedance_ui import options
from seedance_ui.simulator.frames import picture_size
from seedance_ui.simulator.render import VideoSpec, card_boxes
from seedance_ui.ui.studio.samples import DEMO_LINKS_NOTE, SAMPLE_CLIP, sample_pictures

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

ENDED = {"completed", "failed", "cancelled", "unknown_outcome", "expired"}
SAME = 10.0  # mean difference (0-255) of two downscaled pictures that show the same thing
UNREACHABLE = "https://media.example.invalid/clip.mp4"  # never resolves, with or without web access


def open_references(browser: Any, app: LiveApp) -> tuple[Any, Any]:
    context = browser.new_context(viewport=WIDE)
    page = open_page(context, app)
    pick(page, "sd-mode", "References")
    page.wait_for_selector("#sd-refs", state="visible")
    return context, page


def middle_frame(path: Path) -> Image.Image:
    with av.open(str(path)) as container:
        frames = [frame.to_image() for frame in container.decode(video=0)]
    return frames[len(frames) // 2]


def difference(a: Image.Image, b: Image.Image) -> float:
    small = [ImageOps.fit(i.convert("RGB"), (24, 16), Image.Resampling.BOX) for i in (a, b)]
    return sum(ImageStat.Stat(ImageChops.difference(*small)).mean) / 3


def quality_of(size: tuple[int, int], ratio: str) -> str:
    return next(q for q in ("480p", "720p", "1080p") if options.frame_size(q, ratio) == size)


def test_the_sample_references_go_from_their_buttons_to_a_playable_video_that_shows_them(
    browser: Any, demo_app: LiveApp, tmp_path: Path, screenshot_dir: Path
) -> None:
    context, page = open_references(browser, demo_app)
    page.click("#sd-sample-pictures")
    page.wait_for_selector('#sd-ref-tags [data-tag="@image2"]')
    assert page.locator("#sd-ref-images .caption-label").all_inner_texts() == ["@image1", "@image2"]
    assert "@image1" in page.input_value("#sd-prompt textarea")  # an empty prompt got one naming them
    page.click("#sd-sample-clip")
    wait_until(lambda: SAMPLE_CLIP in page.input_value("#sd-ref-videos textarea"))
    page.wait_for_selector('#sd-ref-measures [data-code="measured"]:has-text("@video1: 4.0 s")')
    page.wait_for_selector('#sd-ref-tags [data-tag="@video1"]')
    shoot(page, screenshot_dir, "sample-references-1440")

    before = card_attributes(page, "data-job")[0]
    page.click("#sd-generate")
    wait_until(lambda: card_attributes(page, "data-job")[0] not in (None, before), timeout=40)
    wait_until(lambda: card_attributes(page, "data-status")[0] in ENDED, timeout=60)
    assert card_attributes(page, "data-status")[0] == "completed"
    # playable: the page's <video> has loaded its first frame and knows its length
    page.wait_for_function(
        "() => { const v = document.querySelector('#sd-video video');"
        " return v && v.readyState >= 2 && v.duration > 1; }"
    )
    src = page.eval_on_selector("#sd-video video", "e => e.src")
    clip = tmp_path / "references.mp4"
    clip.write_bytes(page.request.get(src).body())
    frame = middle_frame(clip)
    ratio = page.locator("#sd-ratio label.selected").inner_text().strip()
    spec = VideoSpec("", 5, quality_of(frame.size, ratio), ratio,
                     cast=tuple((f"@image{i}", p) for i, p in enumerate(sample_pictures(), 1)))
    for (tag, box), path in zip(card_boxes(spec), sample_pictures(), strict=True):
        shown = frame.crop(box)
        assert picture_size(path)  # the sample file itself, as the page sent it
        with Image.open(path) as picture:
            assert difference(shown, ImageOps.fit(picture, shown.size)) < SAME, tag
    context.close()


def test_a_link_the_demo_cannot_fetch_is_explained_in_plain_words_at_the_control(
    browser: Any, demo_app: LiveApp
) -> None:
    context, page = open_references(browser, demo_app)
    page.fill("#sd-ref-videos textarea", UNREACHABLE)
    page.press("#sd-ref-videos textarea", "Tab")  # leaving the box measures its links
    note = page.wait_for_selector("#sd-refs .sd-ref-demo")
    assert note.inner_text() == DEMO_LINKS_NOTE
    said = page.inner_text("#sd-ref-measures")
    assert "@video1" in said and "Error" not in said, said  # no exception names, such as ConnectError
    assert page.is_visible("#sd-sample-clip")  # the way out the note names is right there
    context.close()
