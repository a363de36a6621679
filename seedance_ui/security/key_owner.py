"""Who an agent (an MCP or API caller) is: its own Evolink key, or else its network address.

An agent that sends its key in the `X-Evolink-Key` header generates on that key, and its jobs belong to
`key:` + the first 32 hex characters of the key's SHA-256: a one-way name, so the key itself is never
written down, and the same key finds the same jobs from any machine. Without a key the owner is `addr:`
+ 16 hex characters of the SHA-256 of the client's address (`owners.client_host`: behind a trusted
proxy, the X-Forwarded-For hop that proxy added). Neither prefix can be confused with a browser id (32
bare hex) or a signed-in `hf:` owner. An address is not an identity (neighbours behind one NAT share it):
a keyless caller reaches a job only by the unguessable id start_video returned, and cannot list them.

Pure functions; no Gradio import.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from seedance_ui.client.errors import api_key_problem
from seedance_ui.security.owners import address_pseudonym

KEY_HEADER = "X-Evolink-Key"
KEY_OWNER_PREFIX = "key:"
KEY_OWNER_HEX = 32


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def key_owner(api_key: str) -> str:
    """The owner of jobs made with `api_key`: a one-way hash, never the key."""
    return KEY_OWNER_PREFIX + _sha256_hex(api_key)[:KEY_OWNER_HEX]


def address_owner(host: str | None) -> str:
    """The owner of a keyless caller at `host` (an unknown host is one shared owner): the same
    pseudonym the per-visitor limits bind an address by."""
    return address_pseudonym(host or "unknown")


def header_key(headers: Mapping[str, str] | None) -> str | None:
    """The caller's key from the `X-Evolink-Key` header (any letter case), stripped; None when absent
    or blank. ValueError (naming the header and the rule, never quoting it) when it cannot be a key: the
    same shape check as a key pasted into the page (`api_key_problem`)."""
    if not headers:
        return None
    wanted = KEY_HEADER.lower()
    value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    key = (value or "").strip()
    if not key:
        return None
    problem = api_key_problem(key)
    if problem is not None:
        raise ValueError(f"{KEY_HEADER}: {problem}")
    return key
