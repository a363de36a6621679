"""Who owns what: the owner of every job, board and file, derived on the server for each request.

Without sign-in the owner is the visitor id of a signed, HttpOnly cookie the server issues
(`identity.py`): 32 random hex characters. It works as a bearer secret: no script reads it, it is never
shown to anyone else, never logged in clear (`log_id`), and never part of a file name.

With sign-in on ("Sign in with Hugging Face", Gradio's OAuth: `hf_oauth: true` on Spaces), a signed-in
visitor's owner is `hf:<username>`, read from the signed session cookie on the server, so it follows the
person across browsers and cannot be claimed by sending a string: a browser id is 32 hex characters and
can never look like `hf:…`.

Pure functions; no Gradio import (a `gr.Request` is only duck-typed).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping
from typing import Any

from seedance_ui.security.identity import owner_in_scope, request_scope

SIGNED_IN_PREFIX = "hf:"
ADDRESS_PREFIX = "addr:"  # a hashed client address, a subject of per-visitor limits (client_address)
API_OWNER = "api"  # every caller of the programmatic API without a signed-in session
FORWARDED_HEADER = "x-forwarded-for"

_BROWSER_ID = re.compile(r"[0-9a-f]{32}")
# Hugging Face usernames: letters, digits, '-', '_' and '.', at most 96 characters.
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}")


def valid_browser_id(value: Any) -> str | None:
    """`value` if it is a browser id we could have made (32 lowercase hex), else None."""
    return value if isinstance(value, str) and _BROWSER_ID.fullmatch(value) else None


def valid_username(value: Any) -> str | None:
    return value if isinstance(value, str) and _USERNAME.fullmatch(value) else None


def owner_for(browser_id: Any, username: Any = None) -> str | None:
    """The owner for a request: `hf:<username>` when signed in, else the browser id (None if neither)."""
    user = valid_username(username)
    if user is not None:
        return SIGNED_IN_PREFIX + user
    return valid_browser_id(browser_id)


def is_signed_in_owner(owner: Any) -> bool:
    if not isinstance(owner, str) or not owner.startswith(SIGNED_IN_PREFIX):
        return False
    return valid_username(owner[len(SIGNED_IN_PREFIX) :]) is not None


def _session(request: Any) -> Mapping[str, Any] | None:
    """The signed session of a request (Starlette's SessionMiddleware), or None when there is none."""
    if request is None:
        return None
    scope = request_scope(request)
    if scope is not None:
        session = scope.get("session")
        return session if isinstance(session, Mapping) else None
    session = getattr(request, "session", None)
    return session if isinstance(session, Mapping) else None


def oauth_username(session: Mapping[str, Any] | None, now: float | None = None) -> str | None:
    """The Hugging Face username of a session Gradio's OAuth filled in (None: not signed in / expired)."""
    if not session:
        return None
    info = session.get("oauth_info")
    if not isinstance(info, Mapping):
        return None
    expires = info.get("expires_at")
    now = time.time() if now is None else now
    if isinstance(expires, int | float) and not isinstance(expires, bool) and expires < now:
        return None
    user = info.get("userinfo")
    if not isinstance(user, Mapping):
        return None
    return valid_username(user.get("preferred_username"))


def signed_in_username(request: Any) -> str | None:
    """The signed-in Hugging Face username of a gr.Request (or Starlette request), else None."""
    return oauth_username(_session(request))


def request_owner(browser_id: Any, request: Any, *, sign_in: bool) -> str | None:
    """The owner of one event: `hf:<user>` when sign-in is on and the session is signed in, else the
    visitor of the request's signed cookie (`identity.VisitorCookie`). `browser_id`, a value the page
    sends, counts only for in-process calls that came through no HTTP request (tests); over HTTP the
    middleware always sets the owner, and no value a page sends can replace it."""
    user = signed_in_username(request) if sign_in else None
    if user is not None:
        return owner_for(None, user)
    scoped = owner_in_scope(request)
    if scoped is not None:
        return scoped
    return owner_for(browser_id)


def log_id(owner: Any) -> str:
    """A short stable pseudonym of an owner for logs: the browser id is a secret and stays out of them."""
    if not isinstance(owner, str) or not owner:
        return "-"
    if owner == API_OWNER or owner.startswith((SIGNED_IN_PREFIX, ADDRESS_PREFIX)):
        return owner
    return "b-" + hashlib.sha256(owner.encode("utf-8")).hexdigest()[:10]


def address_pseudonym(host: str) -> str:
    """`addr:` + 16 hex of a one-way hash of a network address (never the address: personal data)."""
    return ADDRESS_PREFIX + hashlib.sha256(host.encode("utf-8", "replace")).hexdigest()[:16]


def client_host(request: Any, *, trust_proxy: int) -> str | None:
    """The client's network address: the peer of the connection, or behind `trust_proxy` trusted
    proxies (SEEDANCE_TRUST_PROXY; True counts as one) the `X-Forwarded-For` hop the outermost of them
    added (`forwarded_hop`); None in-process."""
    underlying = getattr(request, "request", None) or request
    host = forwarded_hop(getattr(underlying, "headers", None), int(trust_proxy)) if trust_proxy else None
    if not host:
        client = getattr(underlying, "client", None)
        host = getattr(client, "host", None)
    return host if isinstance(host, str) and host else None


def forwarded_hop(headers: Any, proxies: int) -> str | None:
    """The `proxies`-th `X-Forwarded-For` hop from the right, over every line of the header: each
    trusted proxy appends the address it was reached from, so hops further left are whatever the client
    chose to send and name no one. Fewer hops than proxies: the leftmost (a trusted proxy added it)."""
    if headers is None or proxies < 1:
        return None
    getlist = getattr(headers, "getlist", None)
    values = getlist(FORWARDED_HEADER) if callable(getlist) else [headers.get(FORWARDED_HEADER)]
    hops = [hop.strip() for value in values if isinstance(value, str) for hop in value.split(",")]
    hops = [hop for hop in hops if hop]
    return hops[-min(proxies, len(hops))] if hops else None


def client_address(request: Any, *, trust_proxy: int) -> str | None:
    """The pseudonym of the client's address, the second subject of per-visitor limits."""
    host = client_host(request, trust_proxy=trust_proxy)
    return None if host is None else address_pseudonym(host)
