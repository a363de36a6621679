"""What Gradio would answer that the studio must not: deep links, private events called by name, and
responses without security headers. One ASGI middleware, `Gate`, in front of every HTTP request.

- Deep links: `GET /gradio_api/deep_link` saves a session's component values (a visitor's state) for
  anyone who opens `/?deep_link=<hash>`. The studio has no use for them: the route is refused, and a
  `deep_link` query parameter is removed before Gradio sees it, so no page restores another's state.
- Events by name: `POST /gradio_api/call/<name>` (and `/call/v2/<name>`) answer for every event the page
  uses. Only the public API (`/generate`) may be called so; `queue(api_open=False)` (layout) already
  closes `/gradio_api/run/<name>` to every queued event, so each event's concurrency limit holds however
  it is called. The few unqueued events the page posts to `/run` are bounded by their own caps.
- Headers on every response: a Content-Security-Policy (frame-ancestors: this site and, for the Spaces
  embed, Hugging Face's), X-Frame-Options for older browsers, nosniff and a referrer policy; the board
  review page (/review/) gets a stricter policy: its own script and style files only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode

from seedance_ui.security.edge import ASGIApp, Message, Receive, Scope, Send

API_PREFIX = "/gradio_api"
DEEP_LINK_ROUTE = f"{API_PREFIX}/deep_link"
DEEP_LINK_PARAM = "deep_link"
PUBLIC_VISIBILITY = ("public", "undocumented")
CALL_PREFIXES = (f"{API_PREFIX}/call/v2/", f"{API_PREFIX}/call/")
# Hosts allowed to show the studio in a frame: Hugging Face Spaces embeds it from these.
SPACES_FRAME_ANCESTORS = ("https://huggingface.co", "https://*.huggingface.co", "https://*.hf.space")

# Gradio's page runs inline scripts and evaluates event `js=` snippets, and styles itself inline, so
# script and style need 'unsafe-inline' (and scripts 'unsafe-eval'); everything else is this origin.
_CSP = (
    "default-src 'self'; "
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:{media}; "
    "media-src 'self' data: blob:{media}; "
    "font-src 'self' data:; "
    "connect-src 'self'; "
    "worker-src 'self' blob:; "
    "object-src 'none'; "
    "base-uri 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'self' {ancestors}"
)


# The board review page (/review/, seedance_ui/ui/review) shows text other people wrote and runs only its
# own script and stylesheet files: no inline script or style, no eval.
REVIEW_PATH_PREFIX = "/review"
_REVIEW_CSP = (
    "default-src 'self'; "
    "script-src 'self'; "
    "style-src 'self'; "
    "img-src 'self' data:{media}; "
    "media-src 'self'{media}; "
    "font-src 'self'; "
    "connect-src 'self'; "
    "object-src 'none'; "
    "base-uri 'none'; "
    "form-action 'none'; "
    "frame-ancestors 'self' {ancestors}"
)


def security_headers(frame_ancestors: Iterable[str] = SPACES_FRAME_ANCESTORS,
                     policy: str = _CSP, media_origins: Iterable[str] = ()) -> list[tuple[bytes, bytes]]:
    """`media_origins`: where the studio's page may load pictures and videos from besides itself (the
    bucket of presigned media links, store/objects.py)."""
    media = "".join(f" {origin}" for origin in media_origins)
    csp = policy.format(ancestors=" ".join(frame_ancestors), media=media).strip()
    return [
        (b"content-security-policy", csp.encode()),
        (b"x-frame-options", b"SAMEORIGIN"),  # ignored where frame-ancestors is understood
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
    ]


def without_deep_link(query_string: bytes) -> bytes:
    """The query string less any `deep_link` parameter (unchanged when it has none)."""
    if DEEP_LINK_PARAM.encode() not in query_string:
        return query_string
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return urlencode([(k, v) for k, v in pairs if k != DEEP_LINK_PARAM]).encode("latin-1")


def called_name(path: str) -> str | None:
    """The event name of a `/gradio_api/call/...` path (None for any other path)."""
    for prefix in CALL_PREFIXES:
        if path.startswith(prefix):
            rest = path[len(prefix) :].strip("/")
            return rest.split("/", 1)[0] if rest else ""
    return None


class Gate:
    """ASGI middleware: refuses deep links and private events by name; adds the security headers."""

    def __init__(self, app: ASGIApp, headers: list[tuple[bytes, bytes]] | None = None,
                 media_origins: tuple[str, ...] = ()) -> None:
        self.app = app
        self.headers = headers if headers is not None else security_headers(media_origins=media_origins)
        self.review_headers = headers if headers is not None else security_headers(
            policy=_REVIEW_CSP, media_origins=media_origins)  # the media route redirects to presigned links
        self._header_names = {name for name, _ in self.headers}

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        path = str(scope.get("path", "")).rstrip("/")
        if path == DEEP_LINK_ROUTE:
            return 404, "Deep links are switched off on this server."
        name = called_name(path + "/")
        if name is not None and scope.get("method") == "POST" and name not in public_api_names(scope):
            return 404, f"No public API endpoint named '{name[:64]}'. See 'Use via API' on the page."
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return

        path = str(scope.get("path", ""))
        ours = self.review_headers if path.startswith(REVIEW_PATH_PREFIX) else self.headers

        async def send_with_headers(message: Message) -> None:
            if message.get("type") == "http.response.start":
                headers = message.get("headers") or []
                kept = [(k, v) for k, v in headers if k.lower() not in self._header_names]
                message["headers"] = [*kept, *ours]
            await send(message)

        refused = self.refusal(scope)
        if refused is not None:
            status, text = refused
            await _answer(send_with_headers, status, text)
            return
        scope["query_string"] = without_deep_link(scope.get("query_string") or b"")
        await self.app(scope, receive, send_with_headers)


def public_api_names(scope: Scope) -> frozenset[str]:
    """Names of the events the app publishes as its API (Gradio's app is `scope["app"]`)."""
    app = scope.get("app")
    blocks = app.get_blocks() if hasattr(app, "get_blocks") else None
    if blocks is None:
        return frozenset()
    return frozenset(
        fn.api_name
        for fn in blocks.fns.values()
        if fn.api_name and getattr(fn, "api_visibility", "public") in PUBLIC_VISIBILITY
    )


async def _answer(send: Send, status: int, text: str) -> None:
    body = json.dumps({"error": text}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
