"""The reviewer's JSON API and media route (Starlette handlers over `runtime.reviews`).

A page opens its link once: `POST /review/api/open` with the token in the `X-Review-Token` header (the
token lives in the URL fragment, so it is in no request line, log or Referer) and the passphrase, if
any, in the body. The answer carries the link's ticket, which every later call sends in the
`X-Review-Ticket` header (a custom header: another site's page cannot send it without a CORS preflight,
which this server never grants, so no cross-site request can write a note), and the view, whose media
URLs carry a media ticket (`tickets.MediaTickets`). Every answer is JSON with `Cache-Control: no-store`;
every refusal is `{"error": <message for people>, "kind": ...}`: `closed` (404, one message for a wrong,
revoked or expired link), `passphrase` (401), `too_many` (429), `refused` (422, the field and the rule).
Service calls touch the database and the disk, so they run in the thread pool, off the event loop.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from seedance_ui.review import (
    Link,
    LinkClosed,
    PassphraseNeeded,
    ReviewRefused,
    ReviewService,
    TooManyTries,
)
from seedance_ui.security.owners import client_address, signed_in_username
from seedance_ui.ui.media_links import MediaLinks
from seedance_ui.ui.review.payload import view_json
from seedance_ui.ui.review.tickets import MediaTickets

TOKEN_HEADER = "x-review-token"
TICKET_HEADER = "x-review-ticket"
MEDIA_PREFIX = "/review/media"
MEDIA_KINDS = ("video", "poster")
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}
STATUS_VERBS = ("approved", "changes_requested")

Handler = Callable[[Request], Awaitable[Response]]


def answer(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=NO_STORE)


def refusal(exc: ReviewRefused) -> JSONResponse:
    """One shape for every refusal; a closed link always says the same thing."""
    if isinstance(exc, LinkClosed):
        return answer({"error": LinkClosed.MESSAGE, "kind": "closed"}, 404)
    if isinstance(exc, PassphraseNeeded):
        return answer({"error": exc.message, "kind": "passphrase"}, 401)
    if isinstance(exc, TooManyTries):
        return answer({"error": exc.message, "kind": "too_many"}, 429)
    return answer({"error": exc.message, "kind": "refused"}, 422)


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (the edge already capped its size); ReviewRefused otherwise."""
    try:
        body = json.loads(await request.body() or b"{}")
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise ReviewRefused("Request: send a JSON object.")
    return body


def text_field(body: dict[str, Any], name: str, label: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ReviewRefused(f"{label}: missing.")
    return value


class ReviewApi:
    """The handlers, bound to one ReviewService."""

    def __init__(self, reviews: ReviewService, *, trust_proxy: int = 0, sign_in: bool = False,
                 tickets: MediaTickets | None = None, links: MediaLinks | None = None) -> None:
        self.reviews, self.trust_proxy, self.sign_in = reviews, trust_proxy, sign_in
        self.tickets = tickets or MediaTickets()
        self.links = links  # presigned delivery: the media route redirects to the bucket

    # -- helpers --------------------------------------------------------------------------------------
    def _link(self, request: Request) -> Link:
        """The link of a page that opened it (its ticket header); closed when absent."""
        ticket = request.headers.get(TICKET_HEADER, "")
        if not ticket or len(ticket) > 200:
            raise LinkClosed()
        return Link("", "", "", False, False, 0.0, 0.0, ticket=ticket)

    def _state(self, link: Link, since: str | None = None) -> dict[str, Any]:
        """{alive, version, view}: the view left out when the page already has this `version`."""
        view = self.reviews.view(link)  # LinkClosed once revoked or expired
        media = self.tickets.issue(link.ticket)
        body = view_json(view, lambda job, kind: f"{MEDIA_PREFIX}/{media}/{job}/{kind}")
        version = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:20]
        return {"alive": True, "version": version, **({} if since == version else {"view": body})}

    async def _guarded(self, work: Callable[[], Awaitable[dict[str, Any]]]) -> JSONResponse:
        try:
            return answer(await work())
        except ReviewRefused as exc:
            return refusal(exc)

    # -- routes ---------------------------------------------------------------------------------------
    async def open(self, request: Request) -> JSONResponse:
        """POST /review/api/open: token header, {"passphrase"?} -> {ticket, view, ...}."""

        async def work() -> dict[str, Any]:
            body = await json_body(request)
            passphrase = body.get("passphrase")
            address = client_address(request, trust_proxy=self.trust_proxy)
            link = await run_in_threadpool(
                self.reviews.open, request.headers.get(TOKEN_HEADER, ""),
                passphrase if isinstance(passphrase, str) else None, address=address,
            )
            state = await run_in_threadpool(self._state, link)
            name = signed_in_username(request) if self.sign_in else None
            return {"ticket": link.ticket, "expires_at": link.expires_at, "signed_in_name": name, **state}

        return await self._guarded(work)

    async def poll(self, request: Request) -> JSONResponse:
        """GET /review/api/poll?since=<version>: {alive, version[, view]}; 404 closed once revoked."""
        since = request.query_params.get("since")
        return await self._guarded(lambda: run_in_threadpool(self._state, self._link(request), since))

    async def note(self, request: Request) -> JSONResponse:
        """POST /review/api/note {shot_id, take_job_id, seconds, reviewer, text}."""

        async def work() -> dict[str, Any]:
            body, link = await json_body(request), self._link(request)
            await run_in_threadpool(
                self.reviews.add_note, link, text_field(body, "shot_id", "Shot"),
                text_field(body, "take_job_id", "Take"), body.get("seconds"), body.get("reviewer"),
                body.get("text"),
            )
            return await run_in_threadpool(self._state, link)

        return await self._guarded(work)

    async def reply(self, request: Request) -> JSONResponse:
        """POST /review/api/reply {parent_id, reviewer, text}."""

        async def work() -> dict[str, Any]:
            body, link = await json_body(request), self._link(request)
            await run_in_threadpool(self.reviews.reply, link, text_field(body, "parent_id", "Reply"),
                                    body.get("reviewer"), body.get("text"))
            return await run_in_threadpool(self._state, link)

        return await self._guarded(work)

    async def status(self, request: Request) -> JSONResponse:
        """POST /review/api/status {shot_id, take_job_id, reviewer, status: approved|changes_requested}."""

        async def work() -> dict[str, Any]:
            body, link = await json_body(request), self._link(request)
            verb = body.get("status")
            if verb not in STATUS_VERBS:
                raise ReviewRefused("Status: approved or changes_requested.")
            act = self.reviews.approve if verb == "approved" else self.reviews.request_changes
            await run_in_threadpool(act, link, body.get("reviewer"), text_field(body, "shot_id", "Shot"),
                                    text_field(body, "take_job_id", "Take"))
            return await run_in_threadpool(self._state, link)

        return await self._guarded(work)

    async def media(self, request: Request) -> Response:
        """GET /review/media/{media}/{job_id}/{kind}: the file through `reviews.media_file` (Range
        requests answered by FileResponse), or 404 for anything the link does not show now."""
        params = request.path_params
        kind, job_id = params["kind"], params["job_id"]
        link_ticket = self.tickets.link_ticket(params["media"])
        gone = answer({"error": "Not found.", "kind": "gone"}, 404)
        if kind not in MEDIA_KINDS or link_ticket is None:
            return gone
        if self.links is not None and self.links.delivery == "presigned":  # the bucket sends the bytes
            key = await run_in_threadpool(self.reviews.media_key, link_ticket, job_id, kind)
            url = self.links.link(key) if key is not None else None
            return gone if url is None else RedirectResponse(str(url), status_code=307, headers=NO_STORE)
        path = await run_in_threadpool(self.reviews.media_file, link_ticket, job_id, kind)
        if path is None:
            return gone
        return FileResponse(path, headers=NO_STORE)  # the type from the file name (.mp4, .jpg)
