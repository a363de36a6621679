"""The generation request: validated locally, before any network call."""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

from seedance_ui.client.errors import ValidationError
from seedance_ui.options import (
    ASPECT_RATIOS,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_DURATION,
    DEFAULT_GENERATE_AUDIO,
    DEFAULT_MODEL,
    DEFAULT_QUALITY,
    DEFAULT_WEB_SEARCH,
    DURATION_MAX,
    DURATION_MIN,
    MAX_CALLBACK_URL_LENGTH,
    MAX_PROMPT_CHINESE_CHARS,
    MAX_PROMPT_ENGLISH_WORDS,
    MODELS,
    QUALITIES,
)

# Han ideographs: CJK Unified Ideographs, Extension A, Compatibility Ideographs, Extensions B and later.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RE = re.compile(f"[{_HAN}]")
_WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


def count_chinese_chars(text: str) -> int:
    """Number of Han ideographs in `text`."""
    return len(_HAN_RE.findall(text))


def count_english_words(text: str) -> int:
    """Number of words outside Han text ("don't" and "state-of-the-art" count as one)."""
    return len(_WORD_RE.findall(_HAN_RE.sub(" ", text)))


def _one_of(values: Any) -> str:
    return ", ".join(values)


def _shown(value: Any, limit: int = 60) -> str:
    """`repr(value)` cut to `limit` characters: a rule message never echoes a huge value back."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _member(value: Any, options: Any) -> bool:
    """`value in options` for text only (a list or dict from an API caller is not hashable)."""
    return isinstance(value, str) and value in options


def _blocked_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP a host literal denotes (including legacy forms like 127.1), or None for a name."""
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


def callback_url_problem(url: Any) -> str | None:
    """Why `url` cannot be a callback URL, or None when it can."""
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
    ip = _blocked_ip(host)
    if ip is not None and (not ip.is_global or ip.is_multicast):
        return (
            "must not point at a private, loopback, link-local, reserved or unspecified address "
            f"(got {ip})"
        )
    return None


@dataclass(frozen=True)
class GenerationRequest:
    """One text-to-video request; `validate()` before sending, `to_body()` to send."""

    prompt: str
    model: str = DEFAULT_MODEL
    duration: int = DEFAULT_DURATION
    quality: str = DEFAULT_QUALITY
    aspect_ratio: str = DEFAULT_ASPECT_RATIO
    generate_audio: bool = DEFAULT_GENERATE_AUDIO
    web_search: bool = DEFAULT_WEB_SEARCH
    callback_url: str | None = None

    def problems(self) -> list[ValidationError]:
        """Every rule this request breaks, in field order."""
        out: list[ValidationError] = []

        def bad(field: str, rule: str) -> None:
            out.append(ValidationError(field, rule))

        if not isinstance(self.prompt, str):
            bad("prompt", f"must be text (got {type(self.prompt).__name__})")
        elif not self.prompt.strip():
            bad("prompt", "must not be empty")
        else:
            words = count_english_words(self.prompt)
            if words > MAX_PROMPT_ENGLISH_WORDS:
                bad("prompt", f"must be at most {MAX_PROMPT_ENGLISH_WORDS} English words (got {words})")
            han = count_chinese_chars(self.prompt)
            if han > MAX_PROMPT_CHINESE_CHARS:
                bad("prompt", f"must be at most {MAX_PROMPT_CHINESE_CHARS} Chinese characters (got {han})")
        if not _member(self.model, MODELS):
            bad("model", f"must be one of {_one_of(MODELS)} (got {_shown(self.model)})")
        d = self.duration
        if isinstance(d, bool) or not isinstance(d, int) or not DURATION_MIN <= d <= DURATION_MAX:
            bad(
                "duration",
                f"must be a whole number of seconds from {DURATION_MIN} to {DURATION_MAX} (got {_shown(d)})",
            )
        if not _member(self.quality, QUALITIES):
            bad("quality", f"must be one of {_one_of(QUALITIES)} (got {_shown(self.quality)})")
        if not _member(self.aspect_ratio, ASPECT_RATIOS):
            bad("aspect_ratio", f"must be one of {_one_of(ASPECT_RATIOS)} (got {_shown(self.aspect_ratio)})")
        for name in ("generate_audio", "web_search"):
            value = getattr(self, name)
            if not isinstance(value, bool):
                bad(name, f"must be true or false (got {_shown(value)})")
        if self.callback_url is not None and self.callback_url != "":
            problem = callback_url_problem(self.callback_url)
            if problem:
                bad("callback_url", problem)
        return out

    def validate(self) -> None:
        """Raise ValidationError for the first broken rule."""
        problems = self.problems()
        if problems:
            raise problems[0]

    def to_body(self) -> dict[str, Any]:
        """The JSON body of POST /v1/videos/generations."""
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": self.prompt.strip(),
            "duration": self.duration,
            "quality": self.quality,
            "aspect_ratio": self.aspect_ratio,
            "generate_audio": self.generate_audio,
            "model_params": {"web_search": self.web_search},
        }
        if self.callback_url:
            body["callback_url"] = self.callback_url
        return body

    def to_params(self) -> dict[str, Any]:
        """The fields as a flat JSON-safe dict (for history and re-use)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> GenerationRequest:
        """Inverse of to_params; unknown keys are ignored, missing ones take the defaults."""
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in params.items() if k in names}
        model_params = params.get("model_params")
        if "web_search" not in kwargs and isinstance(model_params, dict) and "web_search" in model_params:
            kwargs["web_search"] = model_params["web_search"]
        kwargs.setdefault("prompt", "")
        return cls(**kwargs)
