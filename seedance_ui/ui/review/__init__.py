"""The reviewer's page of a shared storyboard: what someone with the link sees, with no account.

Not a Gradio page: a light HTML shell (`page`), a vanilla script and stylesheet, and a small JSON API
(`api`) over `runtime.reviews`, added to the studio's app by `ui.server.extra_routes`. The link is
`<site>/review/#<token>` (REVIEW_PATH + "#" + token; see `review_url`): the token stays in the URL
fragment, so it reaches no server log and no Referer.

Routes (all under /review/):
    GET  /review/                                 the page shell
    GET  /review/assets/{review.js|review.css|logo.svg}
    POST /review/api/open     X-Review-Token, {"passphrase"?}  -> {ticket, version, view, ...}
    GET  /review/api/poll?since=<version>   X-Review-Ticket    -> {alive, version[, view]}
    POST /review/api/note     {shot_id, take_job_id, seconds, reviewer, text}
    POST /review/api/reply    {parent_id, reviewer, text}
    POST /review/api/status   {shot_id, take_job_id, reviewer, status: approved|changes_requested}
    GET  /review/media/{media ticket}/{job id}/{video|poster}   (Range requests; no-store)
"""

from __future__ import annotations

from typing import Any

from starlette.responses import RedirectResponse
from starlette.routing import Route

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
    api = ReviewApi(runtime.reviews, trust_proxy=settings.trust_proxy, sign_in=settings.sign_in)

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
