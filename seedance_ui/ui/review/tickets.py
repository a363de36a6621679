"""Media tickets: what a reviewer's video and poster URLs carry instead of the link's own ticket.

The link's ticket (`ReviewService.open(...).ticket`) lets a page do everything the link allows (write
notes, set statuses), so it travels only in a request header. URLs end up in access logs, the browser's
history and media caches, so they carry a media ticket instead: random (128 bits), good only for the
media route, one per link, and forgotten MEDIA_TICKET_SECONDS after the last open or poll that renewed
it. It adds no power: every media request still goes through `reviews.media_file`, which refuses once the
link is revoked or expired. In memory only: after a restart the page's next poll gets a new one.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable

MEDIA_TICKET_SECONDS = 300.0  # a media URL works this long after the page last polled
MAX_MEDIA_TICKETS = 10_000  # links with a live media ticket at once; the stalest are forgotten beyond it
MEDIA_TICKET_BYTES = 16


class MediaTickets:
    """media ticket <-> link ticket, with a sliding expiry."""

    def __init__(self, seconds: float = MEDIA_TICKET_SECONDS, capacity: int = MAX_MEDIA_TICKETS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.capacity, self.clock = seconds, capacity, clock
        self._by_link: dict[str, str] = {}  # link ticket -> media ticket
        self._by_media: dict[str, tuple[str, float]] = {}  # media ticket -> (link ticket, expires at)
        self._lock = threading.Lock()

    def issue(self, link_ticket: str) -> str:
        """The link's media ticket (the same one while it is renewed in time), valid `seconds` more."""
        with self._lock:
            now = self.clock()
            media = self._by_link.get(link_ticket)
            if media is None or self._by_media.get(media, ("", 0.0))[1] <= now:
                self._forget(media)
                self._make_room(now)
                media = secrets.token_urlsafe(MEDIA_TICKET_BYTES)
                self._by_link[link_ticket] = media
            self._by_media[media] = (link_ticket, now + self.seconds)
            return media

    def link_ticket(self, media: str) -> str | None:
        """The link ticket behind a media ticket still in its time, else None."""
        with self._lock:
            found = self._by_media.get(media)
            if found is None or found[1] <= self.clock():
                return None
            return found[0]

    def _forget(self, media: str | None) -> None:
        if media is not None:
            link, _expires = self._by_media.pop(media, ("", 0.0))
            self._by_link.pop(link, None)

    def _make_room(self, now: float) -> None:
        if len(self._by_media) < self.capacity:
            return
        for media, (_link, expires) in list(self._by_media.items()):
            if expires <= now:
                self._forget(media)
        while len(self._by_media) >= self.capacity:  # still full: the soonest to expire go first
            self._forget(min(self._by_media, key=lambda m: self._by_media[m][1]))
