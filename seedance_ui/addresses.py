"""Public network addresses, for every fetch of a URL someone else chose (the studio's and the simulator's).

One rule: an address is public when it is global and not multicast. A name is resolved ONCE, every
address it resolves to must be public (a name that does not resolve is refused: fail closed), and the
connection goes to the address that was checked, with the name in the Host header and in TLS (SNI and
the certificate check), so a second lookup (DNS rebinding) cannot send it elsewhere. The transports
below do this on every request they send, so each redirect hop is checked too. Origins the caller trusts
(the provider's own, the operator's) pass unchecked.

Shared by the client and the simulator: nothing here imports the rest of the studio.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Trusted = Callable[[str | httpx.URL], bool]
_DEFAULT_PORTS = {"http": 80, "https": 443}


class AddressRefused(Exception):
    """A URL whose host is not public or does not resolve; `rule` says which, for the user."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


def literal_ip(host: str) -> IPAddress | None:
    """The IP a host literal denotes (including legacy forms like 127.1 and IPv4-mapped IPv6), or None
    for a name."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if not re.fullmatch(r"[0-9a-fA-Fx.]+", host) or not any(c.isdigit() for c in host):
            return None
        try:
            ip = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def origin(url: str | httpx.URL) -> str:
    """scheme://host:port of a URL, lower-cased (for comparing against trusted origins)."""
    parts = urlsplit(str(url))
    scheme = parts.scheme.lower()
    port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def trusting(origins: Iterable[str]) -> Trusted:
    """A predicate: is a URL on one of `origins`?"""
    trusted = frozenset(origin(o) for o in origins if o)
    return lambda url: origin(url) in trusted


# Why a fetch failed below HTTP, in plain words for a visitor (httpx's exception names mean nothing to one)
_TRANSPORT_REASONS: tuple[tuple[type[httpx.HTTPError], str], ...] = (
    (httpx.TimeoutException, "the server there did not answer in time"),
    (httpx.ConnectError, "the server there could not be reached from here"),
    (httpx.TooManyRedirects, "it redirects too many times"),
)


def transport_reason(exc: httpx.HTTPError) -> str:
    """Why a fetch of a URL failed below HTTP, in plain words (never an exception's name)."""
    for kind, reason in _TRANSPORT_REASONS:
        if isinstance(exc, kind):
            return reason
    return "the connection to the server there failed"


def resolve_public(host: str, port: int) -> str:
    """The address to connect to for `host`: resolved once; AddressRefused unless it resolves and every
    address it resolves to is public."""
    name = host.strip("[]").rstrip(".").lower()
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise AddressRefused(f"must name a host that resolves ({name} does not)") from None
    addresses = [ipaddress.ip_address(sockaddr[0].split("%", 1)[0]) for *_, sockaddr in infos]
    if not addresses:
        raise AddressRefused(f"must name a host that resolves ({name} does not)")
    for ip in addresses:
        if not is_public(ip):
            raise AddressRefused(f"must point at a public address ({name} resolves to {ip})")
    return str(addresses[0])


def _pinned(request: httpx.Request, address: str) -> httpx.Request:
    """`request` sent to `address`; its Host header (set from the URL) and TLS keep the name. A copy:
    the caller's request (which redirects are resolved against) keeps its URL."""
    extensions = dict(request.extensions)
    if request.url.scheme == "https":
        extensions["sni_hostname"] = request.url.host
    return httpx.Request(request.method, request.url.copy_with(host=address), headers=request.headers,
                         stream=request.stream, extensions=extensions)


def _port(url: httpx.URL) -> int:
    return url.port or _DEFAULT_PORTS.get(url.scheme, 443)


class PublicTransport(httpx.HTTPTransport):
    """A sync transport that connects only to public addresses it resolved itself (see the module)."""

    def __init__(self, trusted: Trusted = lambda url: False, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._trusted = trusted

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self._trusted(request.url):
            request = _pinned(request, resolve_public(request.url.host, _port(request.url)))
        return super().handle_request(request)


class AsyncPublicTransport(httpx.AsyncHTTPTransport):
    """The async `PublicTransport` (the lookup runs in a worker thread)."""

    def __init__(self, trusted: Trusted = lambda url: False, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._trusted = trusted

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self._trusted(request.url):
            address = await asyncio.to_thread(resolve_public, request.url.host, _port(request.url))
            request = _pinned(request, address)
        return await super().handle_async_request(request)
