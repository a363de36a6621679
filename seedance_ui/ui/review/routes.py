"""The reviewer's page's routes (all under /review/, listed in the package's docstring) and the link a
reviewer opens. Here, not in the package's __init__: a module of the package imports the package first,
so an __init__ that imported them back would close an import circle (tests/test_ui_structure.py).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import RedirectResponse
from starlette.routing import Route

from seedance_ui.ui.media_links import MediaLinks
from seedance_ui.ui.review.api import MEDIA_PREFIX, ReviewApi
from seedance_ui.ui.review.page import asset, shell

REVIEW_PATH = "/review/"
API_PREFIX = "/review/api"


def review_url(base_url: str, token: str) -> str:
    """The link a reviewer opens: `https://host/review/#<token>` (the owner's Share button shows it)."""
    return f"{base_url.rstrip('/')}{REVIEW_PATH}#{token}"


def review_routes(runtime: Any) -> list[Route]:
    """The page, its assets, its API and its media route, bound to `runtime.reviews`."""
    settings = runtime.settings
    api = ReviewApi(runtime.reviews, trust_proxy=settings.trust_proxy, sign_in=settings.sign_in,
                    links=MediaLinks(runtime.store))

    async def to_page(request: Any) -> RedirectResponse:
        return RedirectResponse(REVIEW_PATH, status_code=308)

    return [
        Route("/review", to_page, methods=["GET", "HEAD"]),
        Route(REVIEW_PATH, shell, methods=["GET", "HEAD"]),
        Route("/review/assets/{name}", asset, methods=["GET", "HEAD"]),
        Route(f"{API_PREFIX}/open", api.open, methods=["POST"]),
        Route(f"{API_PREFIX}/poll", api.poll, methods=["GET"]),
        Route(f"{API_PREFIX}/note", api.note, methods=["POST"]),
        Route(f"{API_PREFIX}/reply", api.reply, methods=["POST"]),
        Route(f"{API_PREFIX}/status", api.status, methods=["POST"]),
        Route(MEDIA_PREFIX + "/{media}/{job_id}/{kind}", api.media, methods=["GET", "HEAD"]),
    ]


__all__ = ["API_PREFIX", "REVIEW_PATH", "review_routes", "review_url"]
