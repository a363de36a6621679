"""Cost estimates from the published price table in options.PRICES.

Where no price is published (Mini, 1080p, references with an input video) the estimate's `credits`
and `usd` are None, never a guessed number: say "price not published" and show the create answer's
`credits_reserved` once it is known.
"""

from __future__ import annotations

from dataclasses import dataclass

from seedance_ui.options import (
    CONTENT_FILTER_OFF_FACTOR,
    DEFAULT_CONTENT_FILTER,
    MODE_REFERENCES,
    MODEL_SPECS,
    PRICES,
    WEB_SEARCH_PRICE,
)

NOT_PUBLISHED = "price not published"


@dataclass(frozen=True)
class Estimate:
    """Estimated cost of one generation; web search is billed only if a search happens.

    `credits`/`usd` are None when the provider publishes no price for this case; `billed_seconds`
    is what is billed (more than the duration when reference videos are given).
    """

    credits: float | None
    usd: float | None
    web_search_credits: float = 0.0
    web_search_usd: float = 0.0
    billed_seconds: float = 0.0
    content_filter_factor: float = 1.0

    @property
    def published(self) -> bool:
        return self.credits is not None

    def describe(self) -> str:
        if self.credits is None or self.usd is None:
            text = f"{NOT_PUBLISHED} ({self.billed_seconds:g} s billed); reserved credits show once submitted"
        else:
            text = f"≈ {self.credits:,.2f} credits (${self.usd:,.2f})"
        if self.content_filter_factor != 1.0:
            text += f", content filter off x{self.content_filter_factor:g} included"
        if self.web_search_credits:
            text += f" + {self.web_search_credits:g} credits per web search made"
        return text


def billed_seconds(duration: float, input_video_seconds: float = 0.0) -> float:
    """Seconds billed: the output, plus max(input video seconds, output) when videos are given."""
    if input_video_seconds > 0:
        return duration + max(input_video_seconds, duration)
    return float(duration)


def estimate(
    model: str,
    quality: str,
    duration: int,
    web_search: bool = False,
    *,
    content_filter: bool = DEFAULT_CONTENT_FILTER,
    input_video_seconds: float = 0.0,
) -> Estimate:
    """Price of `duration` seconds at `model` and `quality`.

    Raises KeyError for an unknown model or a quality the model does not offer; returns an estimate
    with credits None where the provider publishes no price.
    """
    spec = MODEL_SPECS[model]
    if quality not in spec.qualities:
        raise KeyError((model, quality))
    factor = 1.0 if content_filter else CONTENT_FILTER_OFF_FACTOR
    seconds = billed_seconds(duration, input_video_seconds if spec.mode == MODE_REFERENCES else 0.0)
    price = PRICES.get((model, quality))
    # The published per-second price covers output seconds only; with input video it is unpublished.
    known = price is not None and seconds == duration
    search = WEB_SEARCH_PRICE if web_search and spec.web_search else None
    return Estimate(
        credits=round(price.credits * seconds * factor, 4) if known and price else None,
        usd=round(price.usd * seconds * factor, 4) if known and price else None,
        web_search_credits=search.credits if search else 0.0,
        web_search_usd=search.usd if search else 0.0,
        billed_seconds=seconds,
        content_filter_factor=factor,
    )
