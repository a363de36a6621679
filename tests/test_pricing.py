"""Pricing: the published table, per second, web search per call."""

import pytest

from seedance_ui.options import ASPECT_RATIOS, MODEL_FAST, MODEL_STANDARD, QUALITIES, frame_size
from seedance_ui.pricing import estimate


def test_standard_720p_eight_seconds():
    e = estimate(MODEL_STANDARD, "720p", 8)
    assert e.credits == pytest.approx(88.0)
    assert e.usd == pytest.approx(8 * 0.15715)
    assert e.web_search_credits == 0


def test_fast_480p_with_web_search():
    e = estimate(MODEL_FAST, "480p", 4, web_search=True)
    assert e.credits == pytest.approx(4 * 4.1254)
    assert e.web_search_credits == pytest.approx(0.04)
    assert "per web search" in e.describe()


def test_unknown_pair_is_refused():
    with pytest.raises(KeyError):
        estimate("seedance-9", "720p", 5)


@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize("ratio", ASPECT_RATIOS)
def test_frame_sizes_are_even_and_match_the_quality(quality, ratio):
    w, h = frame_size(quality, ratio)
    assert w % 2 == 0 and h % 2 == 0
    assert min(w, h) == int(quality[:-1])
