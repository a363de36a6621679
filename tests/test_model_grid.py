"""The nine-model grid as data, its prices, and the request fields each mode takes."""

from __future__ import annotations

import pytest

from seedance_ui.client import GenerationRequest, ValidationError
from seedance_ui.options import (
    MODEL_SPECS,
    MODELS,
    MODES,
    QUALITIES,
    TIERS,
    model_id,
    nearest_aspect_ratio,
)
from seedance_ui.pricing import NOT_PUBLISHED, billed_seconds, estimate

CONTRACT_IDS = {
    ("text", "Standard"): "seedance-2.0-text-to-video",
    ("text", "Fast"): "seedance-2.0-fast-text-to-video",
    ("text", "Mini"): "seedance-2.0-mini-text-to-video",
    ("frames", "Standard"): "seedance-2.0-image-to-video",
    ("frames", "Fast"): "seedance-2.0-fast-image-to-video",
    ("frames", "Mini"): "seedance-2.0-mini-image-to-video",
    ("references", "Standard"): "seedance-2.0-reference-to-video",
    ("references", "Fast"): "seedance-2.0-fast-reference-to-video",
    ("references", "Mini"): "seedance-2.0-mini-reference-to-video",
}


def test_the_grid_has_the_nine_ids_exactly_as_the_contract_spells_them():
    assert {(s.mode, s.tier): s.id for s in MODEL_SPECS.values()} == CONTRACT_IDS
    assert all(model_id(mode, tier) == CONTRACT_IDS[(mode, tier)] for mode in MODES for tier in TIERS)
    page = [CONTRACT_IDS[("text", "Standard")], CONTRACT_IDS[("text", "Fast")]]
    assert list(MODELS) == page  # the text models the Studio page offers today
    assert QUALITIES == ("480p", "720p")


def test_what_each_model_accepts():
    for spec in MODEL_SPECS.values():
        assert ("1080p" in spec.qualities) == (spec.tier == "Standard" and spec.mode != "text")
        assert spec.web_search == (spec.mode == "text" and spec.tier != "Mini")
        assert spec.images == {"text": (0, 0), "frames": (1, 2), "references": (0, 9)}[spec.mode]
        assert spec.videos == spec.audios == ((0, 3) if spec.mode == "references" else (0, 0))


@pytest.mark.parametrize(("mode", "tier", "per_second"), [
    ("frames", "Standard", 11.00), ("references", "Fast", 8.91), ("text", "Standard", 11.00),
])
def test_published_prices_are_per_tier_for_every_mode(mode, tier, per_second):
    assert estimate(model_id(mode, tier), "720p", 5).credits == pytest.approx(per_second * 5)


@pytest.mark.parametrize(("model", "quality"), [
    (model_id("text", "Mini"), "720p"),
    (model_id("frames", "Mini"), "480p"),
    (model_id("frames", "Standard"), "1080p"),
])
def test_unpublished_prices_are_none_and_say_so(model, quality):
    e = estimate(model, quality, 6)
    assert e.credits is None and e.usd is None and not e.published
    assert NOT_PUBLISHED in e.describe() and "reserved credits" in e.describe()


def test_content_filter_off_costs_ten_percent_more():
    on = estimate(model_id("frames", "Fast"), "480p", 8)
    off = estimate(model_id("frames", "Fast"), "480p", 8, content_filter=False)
    assert off.credits == pytest.approx(on.credits * 1.1) and "x1.1" in off.describe()


def test_reference_video_seconds_are_billed_and_their_price_is_unpublished():
    assert billed_seconds(5, 12) == 17 and billed_seconds(10, 3) == 20 and billed_seconds(5) == 5
    e = estimate(model_id("references", "Standard"), "720p", 5, input_video_seconds=12)
    assert e.credits is None and e.billed_seconds == 17 and "17 s billed" in e.describe()
    # on a model without video inputs the seconds do not count
    assert estimate(model_id("frames", "Standard"), "720p", 5, input_video_seconds=12).billed_seconds == 5


def test_a_quality_the_model_lacks_and_web_search_off_the_model_are_not_priced():
    with pytest.raises(KeyError):
        estimate(model_id("frames", "Fast"), "1080p", 5)
    assert estimate(model_id("frames", "Standard"), "720p", 5, web_search=True).web_search_credits == 0


def test_adaptive_takes_the_ratio_nearest_the_picture():
    sizes = ((1920, 1080), (1080, 1920), (1000, 1000), (2400, 1000), (900, 1200))
    assert [nearest_aspect_ratio(*s) for s in sizes] == ["16:9", "9:16", "1:1", "21:9", "3:4"]


# ---------------------------------------------------------------- the request's media fields


def test_a_frames_body_lists_first_then_last_and_leaves_web_search_out():
    request = GenerationRequest(
        prompt="p", model=model_id("frames", "Standard"), quality="1080p",
        first_frame="https://cdn.example.com/a.png", last_frame="https://cdn.example.com/b.png",
    )
    request.validate(trusted_origins=())
    body = request.to_body()
    assert body["image_urls"] == ["https://cdn.example.com/a.png", "https://cdn.example.com/b.png"]
    assert "model_params" not in body and "content_filter" not in body and body["quality"] == "1080p"


def test_a_local_image_must_be_uploaded_before_the_body_is_made(tmp_path):
    picture = tmp_path / "a.png"
    picture.write_bytes(b"not read here")
    request = GenerationRequest(prompt="p", model=model_id("frames", "Fast"), first_frame=str(picture))
    request.validate()
    with pytest.raises(ValidationError) as caught:
        request.to_body()
    assert caught.value.field == "first_frame" and "upload it first" in caught.value.message


def test_media_params_round_trip_and_text_params_are_unchanged():
    request = GenerationRequest(
        prompt="@image1 runs", model=model_id("references", "Mini"),
        reference_images=["https://cdn.example.com/a.png"], content_filter=False,
    )
    params = request.to_params()
    assert params["reference_images"] == ["https://cdn.example.com/a.png"]
    assert params["content_filter"] is False
    assert GenerationRequest.from_params(params) == request
    assert "first_frame" not in GenerationRequest(prompt="x").to_params()


def test_url_hosts_are_checked_only_against_the_given_origins():
    request = GenerationRequest(
        prompt="@video1", model=model_id("references", "Standard"),
        reference_video_urls=("http://127.0.0.1:8000/_sim/videos/t.mp4",),
    )
    assert request.problems() == []  # hosts are left to the client, which knows the provider's origins
    (problem,) = request.url_problems(())
    assert problem.field == "reference_video_urls[1]" and "https://" in problem.message
    assert request.url_problems(("http://127.0.0.1:8000",)) == []  # the provider's own URL


@pytest.mark.parametrize(("changes", "expected"), [
    ({"model": model_id("references", "Fast"), "reference_images": "a.png"},
     ["reference_images: must be a list"]),
    ({"model": model_id("frames", "Fast"), "first_frame": 5},
     ["first_frame: must be a URL or a file path (got int)"]),
    ({"model": model_id("frames", "Fast"), "last_frame": "https://cdn.example.com/b.png"},
     ["first_frame: is required on seedance-2.0-fast-image-to-video (a frames model)"]),
])
def test_malformed_media_fields_get_one_clear_problem_each(changes, expected):
    assert [p.message for p in GenerationRequest(prompt="p", **changes).problems()] == expected
