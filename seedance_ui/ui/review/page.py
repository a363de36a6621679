"""The reviewer's page: a small server-rendered HTML shell, its script and its stylesheet.

No Gradio: the page is static HTML that `review.js` fills from the JSON API, so it exposes none of the
studio's events and loads in a few kilobytes. The shell holds no board data and no token (the token
is in the URL fragment, read by the script). Script and stylesheet are files under /review/assets/
(never inline), versioned by a hash of their content so a new release is fetched at once.
"""

from __future__ import annotations

import hashlib
from functools import cache
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from seedance_ui.review import MAX_NOTE_CHARS, MAX_REVIEWER_CHARS
from seedance_ui.ui.review.tickets import MEDIA_TICKET_SECONDS

HERE = Path(__file__).resolve().parent
LOGO = HERE.parents[2] / "assets" / "logo.svg"
ASSETS = {"review.js": (HERE / "review.js", "text/javascript; charset=utf-8"),
          "review.css": (HERE / "review.css", "text/css; charset=utf-8"),
          "logo.svg": (LOGO, "image/svg+xml")}
ASSET_MAX_AGE = 3600  # versioned URLs: a new release changes the URL, so an hour of caching is safe
POLL_MS = 2_000  # the page asks for changes (and whether the link still opens) this often
NAME_COOKIE = "sd_review_name"
PAGE_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow",
                "Referrer-Policy": "no-referrer"}

SHELL = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<meta name="theme-color" content="#6d4aff">
<title>Storyboard review · Seedance Studio</title>
<link rel="icon" href="{logo}" type="image/svg+xml">
<link rel="stylesheet" href="{css}">
<script src="{js}" defer></script>
</head>
<body data-poll-ms="{poll}" data-max-note="{max_note}" data-max-name="{max_name}"
      data-name-cookie="{cookie}" data-media-seconds="{media_seconds}">
<a class="rv-skip" href="#rv-main">Skip to the shots</a>
<header class="rv-top">
  <div class="rv-top-in">
    <img class="rv-logo" src="{logo}" alt="" width="36" height="36">
    <div class="rv-brand"><span class="rv-brand-name">Seedance <span class="rv-grad">Studio</span></span>
      <span class="rv-brand-sub">Storyboard review</span></div>
    <div class="rv-me" id="rv-me"></div>
  </div>
</header>
<main id="rv-main" class="rv-main" tabindex="-1">
  <p class="rv-loading" id="rv-loading" role="status">Opening the review…</p>
  <noscript><p class="rv-closed-msg">This review page needs JavaScript to play the shots.</p></noscript>
</main>
<div class="rv-toast" id="rv-toast" role="status" aria-live="polite"></div>
</body>
</html>
"""


@cache
def asset_version(name: str) -> str:
    return hashlib.sha256(ASSETS[name][0].read_bytes()).hexdigest()[:12]


def asset_url(name: str) -> str:
    return f"/review/assets/{name}?v={asset_version(name)}"


@cache
def shell_html() -> str:
    return SHELL.format(
        logo=escape(asset_url("logo.svg")), css=escape(asset_url("review.css")),
        js=escape(asset_url("review.js")),
        poll=POLL_MS, max_note=MAX_NOTE_CHARS, max_name=MAX_REVIEWER_CHARS, cookie=NAME_COOKIE,
        media_seconds=int(MEDIA_TICKET_SECONDS),
    )


async def shell(request: Request) -> HTMLResponse:
    """GET /review/: the page (the same bytes for every link)."""
    return HTMLResponse(shell_html(), headers=PAGE_HEADERS)


async def asset(request: Request) -> Response:
    """GET /review/assets/{name}: the page's script, stylesheet and logo (nothing else)."""
    found = ASSETS.get(request.path_params["name"])
    if found is None:
        return Response("Not found.", status_code=404, media_type="text/plain")
    path, media_type = found
    headers = {"Cache-Control": f"public, max-age={ASSET_MAX_AGE}"}
    return Response(path.read_bytes(), media_type=media_type, headers=headers)
