"""The visitor's identity: a signed, HttpOnly cookie that only the server issues.

A page cannot be handed an identity. The owner id of a visitor who is not signed in comes from the
`seedance_visitor` cookie: `<32 hex id>.<HMAC-SHA256 of it>` under a secret that never leaves the
server. The cookie is HttpOnly (no script reads it), so nothing Gradio serialises (deep links, session
state, BrowserState) carries it, and a link cannot make a browser adopt someone else's id. A request
without a valid cookie gets a fresh id, which the response sets.

`VisitorCookie` is the ASGI middleware that does this for every HTTP request: it verifies or mints
the id, resolves it to the owner it stands for (`Identities`: a visitor that adopted the id its browser
kept before the upgrade stands for that id, so history made before stays theirs), and puts the owner in
the request scope, where `owner_in_scope` finds it for every handler.

On a Space the page lives in an iframe on huggingface.co, a third-party context: the cookie is then
`SameSite=None; Secure; Partitioned` (partitioned per top-level site, CHIPS). Elsewhere it is
`SameSite=Lax`, and `Secure` when the request came over https.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any

from seedance_ui.security.edge import ASGIApp, Message, Receive, Scope, Send

COOKIE_NAME = "seedance_visitor"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
SCOPE_OWNER = "seedance.owner"  # the scope key handlers read the owner from (see owner_in_scope)
SCOPE_VISITOR = "seedance.visitor"  # the cookie's own id (the migration step needs it)
_MAC_HEX = 32
_RESOLVED_CACHE = 4096

def new_visitor_id() -> str:
    return secrets.token_hex(16)


def _is_id(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


class VisitorSigner:
    """Signs and verifies visitor ids with a server-side secret (constant-time comparison)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the visitor cookie secret must be at least 16 bytes")
        self._secret = secret

    def _mac(self, visitor: str) -> str:
        return hmac.new(self._secret, b"visitor:" + visitor.encode(), hashlib.sha256).hexdigest()[:_MAC_HEX]

    def sign(self, visitor: str) -> str:
        return f"{visitor}.{self._mac(visitor)}"

    def verify(self, value: Any) -> str | None:
        """The id inside a cookie value we signed, else None."""
        if not isinstance(value, str) or len(value) != 32 + 1 + _MAC_HEX:
            return None
        visitor, _, mac = value.partition(".")
        if not _is_id(visitor) or not hmac.compare_digest(mac, self._mac(visitor)):
            return None
        return visitor


def cookie_value(headers: Any) -> str | None:
    """The raw `seedance_visitor` value among ASGI headers, if any (a malformed Cookie header: None)."""
    for name, value in headers or ():
        if name.lower() != b"cookie":
            continue
        jar = SimpleCookie()
        try:
            jar.load(value.decode("latin-1"))
        except CookieError:
            continue
        if COOKIE_NAME in jar:
            return jar[COOKIE_NAME].value
    return None


def set_cookie_header(value: str, *, third_party: bool, https: bool) -> tuple[bytes, bytes]:
    attributes = [f"{COOKIE_NAME}={value}", "Path=/", f"Max-Age={COOKIE_MAX_AGE}", "HttpOnly"]
    if third_party:
        attributes += ["SameSite=None", "Secure", "Partitioned"]
    else:
        attributes.append("SameSite=Lax")
        if https:
            attributes.append("Secure")
    return b"set-cookie", "; ".join(attributes).encode("latin-1")


def _is_https(scope: Scope) -> bool:
    if scope.get("scheme") == "https":
        return True
    for name, value in scope.get("headers") or ():
        if name.lower() == b"x-forwarded-proto":
            return value.split(b",")[0].strip().lower() == b"https"
    return False


class Identities:
    """Visitor ids -> owners: verifies cookies, resolves (and caches) which owner an id stands for, and
    migrates an id kept by the browser before the cookie existed, once."""

    def __init__(
        self,
        signer: VisitorSigner,
        adopted: Callable[[str], str | None],
        adopt: Callable[[str, str], bool],
        *,
        third_party: bool = False,
    ) -> None:
        self.signer = signer
        self._adopted = adopted
        self._adopt = adopt
        self.third_party = third_party
        self._owners: OrderedDict[str, str] = OrderedDict()

    def owner_for(self, visitor: str) -> str:
        """The owner a visitor id stands for: the old id it adopted, else itself."""
        owner = self._owners.get(visitor)
        if owner is None:
            owner = self._adopted(visitor) or visitor
            self._owners[visitor] = owner
            if len(self._owners) > _RESOLVED_CACHE:
                self._owners.popitem(last=False)
        return owner

    def adopt_legacy(self, visitor: str, legacy: str) -> str | None:
        """Move an old browser-kept id into this visitor's identity, once: the owner it now stands
        for, or None when the id is not adoptable (already adopted, or the visitor has its own)."""
        if not (_is_id(visitor) and _is_id(legacy)) or self.owner_for(visitor) != visitor:
            return None
        if not self._adopt(visitor, legacy):
            return None
        self._owners.pop(visitor, None)
        return self.owner_for(visitor)


class VisitorCookie:
    """ASGI middleware: every HTTP request carries a verified visitor id and its owner in its scope."""

    def __init__(self, app: ASGIApp, identities: Identities) -> None:
        self.app = app
        self.identities = identities

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        identities = self.identities
        visitor = identities.signer.verify(cookie_value(scope.get("headers")))
        if visitor is not None:
            scope[SCOPE_VISITOR] = visitor
            scope[SCOPE_OWNER] = identities.owner_for(visitor)
            await self.app(scope, receive, send)
            return
        visitor = new_visitor_id()
        scope[SCOPE_VISITOR] = scope[SCOPE_OWNER] = visitor
        header = set_cookie_header(
            identities.signer.sign(visitor), third_party=identities.third_party, https=_is_https(scope)
        )

        async def send_with_cookie(message: Message) -> None:
            if message.get("type") == "http.response.start":
                message["headers"] = [*(message.get("headers") or []), header]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def request_scope(request: Any) -> dict[str, Any] | None:
    """The ASGI scope of a gr.Request (its Starlette request's) or of a Starlette request; None without."""
    underlying = getattr(request, "request", None) or request
    scope = getattr(underlying, "scope", None)
    return scope if isinstance(scope, dict) else None


def owner_in_scope(request: Any) -> str | None:
    """The owner `VisitorCookie` put in a request's scope (a gr.Request or a Starlette request)."""
    scope = request_scope(request)
    owner = scope.get(SCOPE_OWNER) if scope else None
    return owner if isinstance(owner, str) else None


def visitor_in_scope(request: Any) -> str | None:
    """The cookie's own visitor id of a request (None: the request did not come through the middleware)."""
    scope = request_scope(request)
    visitor = scope.get(SCOPE_VISITOR) if scope else None
    return visitor if isinstance(visitor, str) else None
