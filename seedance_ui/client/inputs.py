"""Media inputs before a create: fetch what is remote, measure everything, refuse what breaks a rule.

Nothing is uploaded or created here; a ValidationError names the field and the rule. Remote media is
fetched without the API key (it is not the provider's), following at most a few redirects, each of
which must pass the same URL rule. A URL off the trusted origins is fetched from the public address its
name resolved to, once (`seedance_ui.addresses`): a name that does not resolve, or resolves to a private
address, is refused, and no second lookup can send the fetch elsewhere.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from seedance_ui.addresses import AddressRefused, AsyncPublicTransport, transport_reason, trusting
from seedance_ui.client.errors import ValidationError
from seedance_ui.client.media_rules import (
    KIND_LIMITS,
    AvInfo,
    ImageInfo,
    audio_problem,
    image_problem,
    is_url,
    measure_av,
    measure_image,
    media_url_problem,
    total_problem,
    video_problem,
)
from seedance_ui.client.request import GenerationRequest
from seedance_ui.options import AUDIO_TOTAL_SECONDS, MB, VIDEO_TOTAL_SECONDS

MAX_REDIRECTS = 5


@dataclass
class MeasuredInputs:
    """What each input measured, in request order."""

    images: list[ImageInfo] = field(default_factory=list)
    videos: list[AvInfo] = field(default_factory=list)
    audios: list[AvInfo] = field(default_factory=list)

    @property
    def video_seconds(self) -> float:
        """Input video seconds (billed with references: see pricing.billed_seconds)."""
        return sum(info.seconds for info in self.videos)


class MediaFetcher:
    """Fetches remote media into a temporary directory, size-capped per kind."""

    def __init__(self, http: httpx.AsyncClient, directory: Path, trusted_origins: Iterable[str]) -> None:
        """`http` fetches from the trusted origins (the provider's own, the operator's); any other URL is
        fetched through a client of its own that connects only to the public address it checked."""
        self.http, self.directory, self.trusted = http, directory, tuple(trusted_origins)
        self._is_trusted = trusting(self.trusted)
        self._count = 0

    async def local(self, field_name: str, value: str, kind: str) -> Path:
        """`value` itself when it is a local path; else the fetched copy of the URL."""
        if not is_url(value):
            return Path(value)
        self._count += 1
        target = self.directory / f"{kind}-{self._count}"
        url = value
        for _ in range(MAX_REDIRECTS + 1):
            url = await self._get(field_name, url, target, KIND_LIMITS[kind])
            if not url:
                return target
        raise ValidationError(field_name, f"could not be fetched: more than {MAX_REDIRECTS} redirects")

    @contextlib.asynccontextmanager
    async def _client_for(self, url: str) -> AsyncIterator[httpx.AsyncClient]:
        """The given client for a trusted origin; else one that checks and pins the address."""
        if self._is_trusted(url):
            yield self.http
            return
        transport = AsyncPublicTransport()
        async with httpx.AsyncClient(transport=transport, timeout=self.http.timeout,
                                     follow_redirects=False) as http:
            yield http

    async def _get(self, field_name: str, url: str, target: Path, limit: int) -> str | None:
        """Save `url` to `target`; the next URL when it redirects, else None."""

        def fail(reason: str) -> ValidationError:
            rule = f"could not be fetched ({reason}); the provider must be able to fetch it"
            return ValidationError(field_name, rule)

        try:
            async with self._client_for(url) as http, \
                    http.stream("GET", url, headers={"Accept": "*/*"}) as response:
                if response.is_redirect and response.headers.get("location"):
                    nxt = str(response.url.join(response.headers["location"]))
                    problem = media_url_problem(nxt, self.trusted)
                    if problem:
                        raise ValidationError(field_name, f"redirects to a URL that {problem}")
                    return nxt
                if response.status_code != 200:
                    raise fail(f"HTTP {response.status_code}")
                size = 0
                with target.open("wb") as handle:
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > limit:
                            raise ValidationError(field_name, f"must be at most {limit // MB} MB (got more)")
                        handle.write(chunk)
        except AddressRefused as refused:
            raise ValidationError(field_name, refused.rule) from None
        except httpx.HTTPError as exc:
            raise fail(transport_reason(exc)) from None
        return None


async def measure_inputs(
    http: httpx.AsyncClient, request: GenerationRequest, trusted_origins: Iterable[str] = ()
) -> MeasuredInputs:
    """Measure every media input of a (field-valid) request; raises the first ValidationError."""
    measured = MeasuredInputs()
    with tempfile.TemporaryDirectory(prefix="seedance-inputs-") as tmp:
        fetcher = MediaFetcher(http, Path(tmp), trusted_origins)
        for name, value in request.image_fields():
            info = measure_image(await fetcher.local(name, value, "image"))
            _raise(image_problem(name, info))
            measured.images.append(info)  # type: ignore[arg-type]
        for kind, urls, check, total, out in (
            ("video", request.reference_video_urls, video_problem, VIDEO_TOTAL_SECONDS, measured.videos),
            ("audio", request.reference_audio_urls, audio_problem, AUDIO_TOTAL_SECONDS, measured.audios),
        ):
            list_name = f"reference_{kind}_urls"
            for i, url in enumerate(urls, 1):
                name = f"{list_name}[{i}]"
                info = measure_av(await fetcher.local(name, url, kind))
                _raise(check(name, info))
                out.append(info)  # type: ignore[arg-type]
            _raise(total_problem(list_name, out, total))
    return measured


def _raise(problem: ValidationError | None) -> None:
    if problem is not None:
        raise problem
