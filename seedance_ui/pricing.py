"""Cost estimates from the published price table in options.PRICES."""

from __future__ import annotations

from dataclasses import dataclass

from seedance_ui.options import PRICES, WEB_SEARCH_PRICE


@dataclass(frozen=True)
class Estimate:
    """Estimated cost of one generation; web search is billed only if a search happens."""

    credits: float
    usd: float
    web_search_credits: float = 0.0
    web_search_usd: float = 0.0

    def describe(self) -> str:
        text = f"≈ {self.credits:,.2f} credits (${self.usd:,.2f})"
        if self.web_search_credits:
            text += f" + {self.web_search_credits:g} credits per web search made"
        return text


def estimate(model: str, quality: str, duration: int, web_search: bool = False) -> Estimate:
    """Price of `duration` seconds at `model` and `quality`; raises KeyError for unknown pairs."""
    price = PRICES[(model, quality)]
    search = WEB_SEARCH_PRICE if web_search else None
    return Estimate(
        credits=round(price.credits * duration, 4),
        usd=round(price.usd * duration, 4),
        web_search_credits=search.credits if search else 0.0,
        web_search_usd=search.usd if search else 0.0,
    )
