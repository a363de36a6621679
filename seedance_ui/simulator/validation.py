"""Validation of a create-task body, as the provider's contract tables state it (all nine models).

Only what the body itself shows is checked here (400 at create); the media files are fetched and
measured afterwards (simulator/media.py), and a broken file fails the task, as with the provider.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from seedance_ui import options

_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
# Media fields of the contract; any other media-looking key is refused on every model.
_CONTRACT_MEDIA = ("image_urls", "video_urls", "audio_urls")
_MEDIA_KEYS = frozenset(
    {
        "image",
        "images",
        "image_list",
        "video",
        "videos",
        "audio",
        "first_frame",
        "last_frame",
        "reference_images",
        "reference_videos",
        "reference_audios",
    }
)
_INTERNAL_HOST_SUFFIXES = (".localhost", ".local", ".internal", ".lan")
_TAG = re.compile(options.MEDIA_TAG_PATTERN, re.IGNORECASE)


class Invalid(Exception):
    """A create body breaks one rule; `param` names the field the way the provider does."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


@dataclass(frozen=True)
class CreateParams:
    """The normalised parameters of a valid create request (defaults filled in)."""

    model: str
    prompt: str
    duration: int
    quality: str
    aspect_ratio: str
    generate_audio: bool
    web_search: bool
    callback_url: str | None
    image_urls: tuple[str, ...] = ()
    video_urls: tuple[str, ...] = ()
    audio_urls: tuple[str, ...] = ()
    content_filter: bool = options.DEFAULT_CONTENT_FILTER


def count_chinese_chars(text: str) -> int:
    """Number of CJK ideographs in `text`."""
    return len(_CJK.findall(text))


def count_english_words(text: str) -> int:
    """Whitespace-separated tokens with a letter or digit, CJK ideographs left out."""
    return sum(1 for token in _CJK.sub(" ", text).split() if any(ch.isalnum() for ch in token))


def validate_create(body: Any) -> CreateParams:
    """Return the normalised parameters, or raise Invalid for the first rule broken."""
    if not isinstance(body, dict):
        raise Invalid("body", "request body must be a JSON object")
    model = _check_model(body.get("model"))
    spec = options.MODEL_SPECS[model]
    _check_no_media(body, spec)
    prompt = _check_prompt(body.get("prompt"))
    duration = _check_duration(_get(body, "duration", options.DEFAULT_DURATION))
    quality = _check_choice("quality", _get(body, "quality", options.DEFAULT_QUALITY), spec.qualities)
    aspect = _check_choice(
        "aspect_ratio", _get(body, "aspect_ratio", options.DEFAULT_ASPECT_RATIO), options.ASPECT_RATIOS
    )
    audio = _check_bool("generate_audio", _get(body, "generate_audio", options.DEFAULT_GENERATE_AUDIO))
    web_search = _check_model_params(body.get("model_params"))
    if web_search and not spec.web_search:
        raise Invalid("model_params.web_search", f"web_search is not supported by {model}")
    callback = _check_callback_url(body.get("callback_url"))
    content_filter = _get(body, "content_filter", options.DEFAULT_CONTENT_FILTER)
    content_filter = _check_bool("content_filter", content_filter)
    images, videos, audios = _check_media(body, spec, prompt)
    return CreateParams(
        model, prompt, duration, quality, aspect, audio, web_search, callback,
        images, videos, audios, content_filter,
    )


def _get(body: dict, key: str, default: Any) -> Any:
    value = body.get(key)
    return default if value is None else value


def _check_no_media(body: dict, spec: options.ModelSpec) -> None:
    for key in body:
        if spec.takes_media and key in _CONTRACT_MEDIA:
            continue
        media = key in _MEDIA_KEYS or (key.endswith(("_url", "_urls")) and key != "callback_url")
        if media and not spec.takes_media:
            raise Invalid(key, f"text-to-video does not accept media inputs ('{key}' is not allowed)")
        if media:
            raise Invalid(key, f"'{key}' is not a field of {spec.id}; use {', '.join(_CONTRACT_MEDIA)}")


def _check_model(model: Any) -> str:
    if model is None or model == "":
        raise Invalid("model", "model is required")
    if not isinstance(model, str) or model not in options.MODEL_SPECS:
        raise Invalid("model", f"model must be one of: {', '.join(options.MODEL_SPECS)}")
    return model


def _check_media(body: dict, spec: options.ModelSpec, prompt: str) -> tuple[tuple[str, ...], ...]:
    """image_urls, video_urls, audio_urls: lists of URLs, counted as the model allows."""
    lists = []
    for key, (low, high) in zip(_CONTRACT_MEDIA, (spec.images, spec.videos, spec.audios), strict=True):
        value = body.get(key) or []
        if not isinstance(value, list) or not all(isinstance(u, str) and u.strip() for u in value):
            raise Invalid(key, f"{key} must be an array of URL strings")
        if not low <= len(value) <= high:
            raise Invalid(key, f"{spec.id} takes {low}-{high} {key} (got {len(value)})")
        for url in value:
            if urlsplit(url).scheme.lower() not in ("http", "https"):
                shown = url[:40]
                raise Invalid(key, f"{key} must hold http(s) URLs (got {shown!r}); upload the file instead")
        lists.append(tuple(value))
    images, videos, audios = lists
    if spec.mode == options.MODE_REFERENCES and not images and not videos:
        param = "audio_urls" if audios else "image_urls"
        raise Invalid(param, "reference-to-video needs at least one image or video (audio alone is refused)")
    counts = {"image": len(images), "video": len(videos), "audio": len(audios)}
    for match in _TAG.finditer(prompt if spec.mode == options.MODE_REFERENCES else ""):
        if not 1 <= int(match.group(2)) <= counts[match.group(1).lower()]:
            kind = match.group(1).lower()
            raise Invalid("prompt", f"{match.group(0)} refers to a {kind} that was not given")
    return images, videos, audios


def _check_prompt(prompt: Any) -> str:
    if prompt is None:
        raise Invalid("prompt", "prompt is required")
    if not isinstance(prompt, str):
        raise Invalid("prompt", "prompt must be a string")
    if not prompt.strip():
        raise Invalid("prompt", "prompt must not be empty")
    words, chinese = count_english_words(prompt), count_chinese_chars(prompt)
    if words > options.MAX_PROMPT_ENGLISH_WORDS:
        raise Invalid(
            "prompt", f"prompt is too long: {words} English words (max {options.MAX_PROMPT_ENGLISH_WORDS})"
        )
    if chinese > options.MAX_PROMPT_CHINESE_CHARS:
        raise Invalid(
            "prompt",
            f"prompt is too long: {chinese} Chinese characters (max {options.MAX_PROMPT_CHINESE_CHARS})",
        )
    return prompt


def _check_duration(duration: Any) -> int:
    if isinstance(duration, bool) or not isinstance(duration, int):
        raise Invalid("duration", "duration must be an integer number of seconds")
    if not options.DURATION_MIN <= duration <= options.DURATION_MAX:
        raise Invalid(
            "duration", f"duration must be between {options.DURATION_MIN} and {options.DURATION_MAX} seconds"
        )
    return duration


def _check_choice(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise Invalid(field, f"{field} must be one of: {', '.join(allowed)}")
    return value


def _check_bool(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(field, f"{field} must be a boolean")
    return value


def _check_model_params(model_params: Any) -> bool:
    if model_params is None:
        return options.DEFAULT_WEB_SEARCH
    if not isinstance(model_params, dict):
        raise Invalid("model_params", "model_params must be an object")
    return _check_bool(
        "model_params.web_search", _get(model_params, "web_search", options.DEFAULT_WEB_SEARCH)
    )


def _check_callback_url(url: Any) -> str | None:
    if url is None:
        return None
    if not isinstance(url, str) or not url:
        raise Invalid("callback_url", "callback_url must be a non-empty string")
    if len(url) > options.MAX_CALLBACK_URL_LENGTH:
        raise Invalid(
            "callback_url", f"callback_url must be at most {options.MAX_CALLBACK_URL_LENGTH} characters"
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as exc:
        raise Invalid("callback_url", "callback_url is not a valid URL") from exc
    if parts.scheme.lower() != "https":
        raise Invalid("callback_url", "callback_url must use HTTPS")
    if not host:
        raise Invalid("callback_url", "callback_url must name a host")
    if _is_internal_host(host):
        raise Invalid("callback_url", "callback_url must not point to a private or internal address")
    return url


def _is_internal_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(_INTERNAL_HOST_SUFFIXES):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast
