"""The mode helpers and the HTML of the frames note and the tag chips (pure, no Gradio)."""

from __future__ import annotations

from pathlib import Path

from media_files import plain_image

from seedance_ui.options import (
    DEFAULT_QUALITY,
    MODE_FRAMES,
    MODE_REFERENCES,
    MODE_TEXT,
    TIER_FAST,
    TIER_MINI,
    TIER_STANDARD,
    model_id,
)
from seedance_ui.ui.studio import mode_views, modes


def test_the_tier_radio_offers_the_modes_three_model_ids_and_keeps_the_tier_across_modes() -> None:
    assert modes.tier_choices(MODE_FRAMES) == [
        (TIER_STANDARD, "seedance-2.0-image-to-video"),
        (TIER_FAST, "seedance-2.0-fast-image-to-video"),
        (TIER_MINI, "seedance-2.0-mini-image-to-video"),
    ]
    fast_text = model_id(MODE_TEXT, TIER_FAST)
    assert modes.switch_mode(fast_text, MODE_REFERENCES) == model_id(MODE_REFERENCES, TIER_FAST)
    assert modes.switch_mode("nonsense", "nonsense") == model_id(MODE_TEXT, TIER_STANDARD)
    assert modes.mode_of(model_id(MODE_REFERENCES, TIER_MINI)) == MODE_REFERENCES
    assert modes.quality_for(model_id(MODE_FRAMES, TIER_STANDARD), "1080p") == "1080p"
    assert modes.quality_for(model_id(MODE_FRAMES, TIER_MINI), "1080p") == DEFAULT_QUALITY


def test_page_values_become_request_lists() -> None:
    assert modes.url_lines(" https://a/1.mp4 \n\n https://a/2.mp4\n") == ("https://a/1.mp4", "https://a/2.mp4")
    assert len(modes.url_lines("\n".join(f"https://a/{i}" for i in range(9)))) == modes.MAX_URLS + 1
    assert modes.url_lines(None) == ()
    assert modes.gallery_paths([("/x/1.png", "@image1"), ["/x/2.png", None], "/x/3.png", (None, "")]) == (
        "/x/1.png", "/x/2.png", "/x/3.png"
    )
    assert modes.gallery_paths(None) == ()


def test_the_frames_note_measures_the_picture_and_checks_the_ratio(tmp_path: Path) -> None:
    wide = modes.measure_picture(str(plain_image(tmp_path / "wide.png", (1280, 720))), "first_frame")
    tall = modes.measure_picture(str(plain_image(tmp_path / "tall.png", (720, 1280))), "last_frame")
    tiny = modes.measure_picture(str(plain_image(tmp_path / "tiny.png", (200, 200))), "first_frame")
    assert modes.measure_picture(None, "first_frame") is None
    assert wide is not None and wide.nearest == "16:9" and wide.problem is None

    fits = mode_views.frames_note_html({"first_frame": wide, "last_frame": None}, "16:9")
    assert "1280 × 720 px" in fits and "ratio_mismatch" not in fits and 'data-code="adaptive"' in fits
    assert 'data-code="adaptive"' not in mode_views.frames_note_html({"first_frame": wide}, "adaptive")
    crops = mode_views.frames_note_html({"first_frame": wide, "last_frame": tall}, "9:16")
    assert 'data-code="ratio_mismatch"' in crops and 'data-code="frames_differ"' in crops
    small = mode_views.frames_note_html({"first_frame": tiny}, "1:1")
    assert "First frame: each side must be 300-6000 px (got 200x200)." in small
    assert "is-empty" in mode_views.frames_note_html({"first_frame": None}, "16:9")


def test_chips_one_per_input_in_request_order_with_problems_escaped() -> None:
    html = mode_views.chips_html(
        {"image": 2, "video": 1, "audio": 0}, {"image": 9, "video": 3, "audio": 3}, ["@image1: <b>bad</b>"]
    )
    tags = [part.split('"')[0] for part in html.split('data-tag="')[1:]]
    assert tags == ["@image1", "@image2", "@video1"]
    assert "2/9" in html and "none yet" in html and "<b>" not in html and "&lt;b&gt;" in html
