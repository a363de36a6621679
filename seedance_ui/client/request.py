"""The generation request: validated locally, before any network call."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from seedance_ui.client.errors import ValidationError
from seedance_ui.client.media_rules import is_url, source_problem, tag_problem
from seedance_ui.client.urls import callback_url_problem
from seedance_ui.options import (
    ASPECT_RATIOS,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_CONTENT_FILTER,
    DEFAULT_DURATION,
    DEFAULT_GENERATE_AUDIO,
    DEFAULT_MODEL,
    DEFAULT_QUALITY,
    DEFAULT_WEB_SEARCH,
    DURATION_MAX,
    DURATION_MIN,
    MAX_PROMPT_CHINESE_CHARS,
    MAX_PROMPT_ENGLISH_WORDS,
    MODE_FRAMES,
    MODE_TEXT,
    MODEL_SPECS,
    QUALITIES,
    ModelSpec,
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


# The media fields, in the order their problems are reported; to_params lists them only when set.
_LIST_FIELDS = ("reference_images", "reference_video_urls", "reference_audio_urls")
MEDIA_FIELDS = ("first_frame", "last_frame", *_LIST_FIELDS)
_CORE_FIELDS = (
    "prompt", "model", "duration", "quality", "aspect_ratio", "generate_audio", "web_search", "callback_url",
)


@dataclass(frozen=True)
class GenerationRequest:
    """One generation request (text, frames or references); `validate()` before sending, `to_body()` to send.

    Images (`first_frame`, `last_frame`, `reference_images`) are local file paths (uploaded by the
    client) or URLs; video and audio references are URLs. The model picks the mode (options.MODEL_SPECS).
    """

    prompt: str
    model: str = DEFAULT_MODEL
    duration: int = DEFAULT_DURATION
    quality: str = DEFAULT_QUALITY
    aspect_ratio: str = DEFAULT_ASPECT_RATIO
    generate_audio: bool = DEFAULT_GENERATE_AUDIO
    web_search: bool = DEFAULT_WEB_SEARCH
    callback_url: str | None = None
    first_frame: str | None = None
    last_frame: str | None = None
    reference_images: tuple[str, ...] = ()
    reference_video_urls: tuple[str, ...] = ()
    reference_audio_urls: tuple[str, ...] = ()
    content_filter: bool = DEFAULT_CONTENT_FILTER

    def __post_init__(self) -> None:
        for name in _LIST_FIELDS:  # a JSON list (history, API callers) becomes a tuple
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))

    @property
    def spec(self) -> ModelSpec | None:
        """The model's row of the grid, or None for an unknown model."""
        return MODEL_SPECS.get(self.model) if isinstance(self.model, str) else None

    @property
    def images(self) -> tuple[str, ...]:
        """The image inputs in `image_urls` order: first and last frame, or the reference images."""
        frames = tuple(f for f in (self.first_frame, self.last_frame) if f)
        return frames + _items(self.reference_images)

    @property
    def has_media(self) -> bool:
        return any(getattr(self, name) for name in MEDIA_FIELDS)

    def image_fields(self) -> list[tuple[str, str]]:
        """(field name, value) of each image input, in `image_urls` order."""
        named = [("first_frame", self.first_frame), ("last_frame", self.last_frame)]
        out = [(name, value) for name, value in named if value]
        return out + [(f"reference_images[{i}]", v) for i, v in enumerate(_items(self.reference_images), 1)]

    def problems(self, trusted_origins: Iterable[str] | None = None) -> list[ValidationError]:
        """Every rule this request breaks, in field order (files are measured later, by the client).

        `trusted_origins`: URL origins accepted without the https-and-public rule (the provider's);
        None leaves that rule to `url_problems` (SeedanceClient.check knows the provider's origins).
        """
        out = self._core_problems()
        out += self._mode_problems()
        out += self._source_problems(None if trusted_origins is None else tuple(trusted_origins))
        return out

    def url_problems(self, trusted_origins: Iterable[str]) -> list[ValidationError]:
        """The https-and-public rule on every media URL, except those on `trusted_origins`."""
        return self._source_problems(tuple(trusted_origins))

    def _core_problems(self) -> list[ValidationError]:
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
        spec = self.spec
        if spec is None:
            bad("model", f"must be one of {_one_of(MODEL_SPECS)} (got {_shown(self.model)})")
        d = self.duration
        if isinstance(d, bool) or not isinstance(d, int) or not DURATION_MIN <= d <= DURATION_MAX:
            bad(
                "duration",
                f"must be a whole number of seconds from {DURATION_MIN} to {DURATION_MAX} (got {_shown(d)})",
            )
        qualities = spec.qualities if spec else QUALITIES
        if not _member(self.quality, qualities):
            where = f" on {self.model}" if spec else ""
            bad("quality", f"must be one of {_one_of(qualities)} (got {_shown(self.quality)}){where}")
        if not _member(self.aspect_ratio, ASPECT_RATIOS):
            bad("aspect_ratio", f"must be one of {_one_of(ASPECT_RATIOS)} (got {_shown(self.aspect_ratio)})")
        for name in ("generate_audio", "web_search", "content_filter"):
            value = getattr(self, name)
            if not isinstance(value, bool):
                bad(name, f"must be true or false (got {_shown(value)})")
        if self.web_search is True and spec is not None and not spec.web_search:
            bad("web_search", f"only the Standard and Fast text models search the web (not {self.model})")
        if self.callback_url is not None and self.callback_url != "":
            problem = callback_url_problem(self.callback_url)
            if problem:
                bad("callback_url", problem)
        return out

    def _mode_problems(self) -> list[ValidationError]:
        """Which media fields the model's mode takes, how many, and tags naming inputs that exist."""
        spec = self.spec
        if spec is None:
            return []
        for name in _LIST_FIELDS:
            if not isinstance(getattr(self, name), tuple):
                return [ValidationError(name, "must be a list")]
        given = [name for name in MEDIA_FIELDS if getattr(self, name)]
        if spec.mode == MODE_TEXT:
            return [
                ValidationError(name, f"{self.model} is a text model and takes no media; pick a frames or "
                                "references model") for name in given[:1]
            ]
        if spec.mode == MODE_FRAMES:
            return _frames_problems(self, given)
        return _references_problems(self, spec)

    def _source_problems(self, trusted: tuple[str, ...] | None) -> list[ValidationError]:
        out = []
        for field, value in self.image_fields():
            problem = source_problem(value, trusted)
            if problem:
                out.append(ValidationError(field, problem))
        for name in ("reference_video_urls", "reference_audio_urls"):
            for i, value in enumerate(_items(getattr(self, name)), 1):
                problem = source_problem(value, trusted, url_only=True)
                if problem:
                    out.append(ValidationError(f"{name}[{i}]", problem))
        return out

    def validate(self, trusted_origins: Iterable[str] | None = None) -> None:
        """Raise ValidationError for the first broken rule (URL hosts too when origins are given)."""
        problems = self.problems(trusted_origins)
        if problems:
            raise problems[0]

    def to_body(self) -> dict[str, Any]:
        """The JSON body of POST /v1/videos/generations (every image must be a URL by now)."""
        spec = self.spec
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": self.prompt.strip(),
            "duration": self.duration,
            "quality": self.quality,
            "aspect_ratio": self.aspect_ratio,
            "generate_audio": self.generate_audio,
        }
        if spec is None or spec.web_search:
            body["model_params"] = {"web_search": self.web_search}
        for field, value in self.image_fields():
            if not is_url(value):
                raise ValidationError(field, "is a local file: upload it first (SeedanceClient.create does)")
        for key, values in (
            ("image_urls", self.images),
            ("video_urls", self.reference_video_urls),
            ("audio_urls", self.reference_audio_urls),
        ):
            if values:
                body[key] = list(values)
        if self.content_filter is not DEFAULT_CONTENT_FILTER:
            body["content_filter"] = self.content_filter
        if self.callback_url:
            body["callback_url"] = self.callback_url
        return body

    def to_params(self) -> dict[str, Any]:
        """The fields as a flat JSON-safe dict (for history and re-use); media fields only when set."""
        params = {name: getattr(self, name) for name in _CORE_FIELDS}
        for name in (*MEDIA_FIELDS, "content_filter"):
            value = getattr(self, name)
            if value != getattr(_DEFAULTS, name):
                params[name] = list(value) if isinstance(value, tuple) else value
        return params

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


_DEFAULTS = GenerationRequest(prompt="")


def _items(value: Any) -> tuple[Any, ...]:
    """A list field's items; none when it is not a list (that problem is reported on its own)."""
    return value if isinstance(value, tuple) else ()


def _frames_problems(request: GenerationRequest, given: list[str]) -> list[ValidationError]:
    out = []
    for name in ("reference_video_urls", "reference_audio_urls"):
        if name in given:
            out.append(ValidationError(name, f"only references models take video or audio ({request.model} "
                                       "is a frames model)"))
    if "reference_images" in given:
        out.append(ValidationError(
            "reference_images",
            "frames models take a first_frame and an optional last_frame only (at most 2 images); "
            "use a references model for more",
        ))
    if not request.first_frame:
        out.append(ValidationError("first_frame", f"is required on {request.model} (a frames model)"))
    return out


def _references_problems(request: GenerationRequest, spec: ModelSpec) -> list[ValidationError]:
    out = []
    for name in ("first_frame", "last_frame"):
        if getattr(request, name):
            out.append(ValidationError(name, "references models take reference_images; write \"@image1 as "
                                       "the first frame\" in the prompt, or use a frames model"))
    counts = {
        "image": len(request.reference_images),
        "video": len(request.reference_video_urls),
        "audio": len(request.reference_audio_urls),
    }
    limits = {"image": spec.images[1], "video": spec.videos[1], "audio": spec.audios[1]}
    for (kind, count), name in zip(counts.items(), _LIST_FIELDS, strict=True):
        if count > limits[kind]:
            out.append(ValidationError(name, f"at most {limits[kind]} on {request.model} (got {count})"))
    if not counts["image"] and not counts["video"]:
        if counts["audio"]:
            out.append(ValidationError("reference_audio_urls", "audio alone is refused: add at least one "
                                       "reference image or video"))
        else:
            out.append(ValidationError("reference_images", "a references request needs at least one image or "
                                       "video"))
    problem = tag_problem(request.prompt, counts) if isinstance(request.prompt, str) else None
    if problem:
        out.append(ValidationError("prompt", problem))
    return out
