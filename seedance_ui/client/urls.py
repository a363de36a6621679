"""Whether a URL points somewhere the provider's servers can reach: https and a public host.

The text of the URL only (names are resolved where a URL is fetched: `seedance_ui.addresses`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from seedance_ui.addresses import is_public, literal_ip
from seedance_ui.options import MAX_CALLBACK_URL_LENGTH


def public_url_problem(url: Any) -> str | None:
    """Why the provider could not reach `url` (a callback or a media URL), or None when it can."""
    if not isinstance(url, str):
        return f"must be text (got {type(url).__name__})"
    if len(url) > MAX_CALLBACK_URL_LENGTH:
        return f"must be at most {MAX_CALLBACK_URL_LENGTH} characters (got {len(url)})"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return "must be a valid URL"
    if parts.scheme.lower() != "https":
        return f"must be an https:// URL (got {parts.scheme + '://' if parts.scheme else 'no scheme'})"
    if not host:
        return "must name a host"
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "must not point at localhost"
    ip = literal_ip(host)
    if ip is not None and not is_public(ip):
        return (
            "must not point at a private, loopback, link-local, reserved or unspecified address "
            f"(got {ip})"
        )
    return None


callback_url_problem = public_url_problem
