"""The create panel's mode handlers: the mode switch, the model's fields, the frames and references
inputs, and "Continue this shot". A mixin of `handlers.Studio` (same page, same runtime).

Everything here is a queued event (it may read an image file or fetch a URL); the per-keystroke events
(`Studio.on_prompt`, `Studio.on_cost`) only get the plain values these leave in states.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
import httpx

from seedance_ui.client import ValidationError
from seedance_ui.client.inputs import MediaFetcher
from seedance_ui.client.media_rules import (
    audio_problem,
    image_problem,
    measure_av,
    measure_image,
    media_url_problem,
    total_problem,
    video_problem,
)
from seedance_ui.media import MediaError, save_last_frame
from seedance_ui.options import (
    AUDIO_TOTAL_SECONDS,
    MODE_FRAMES,
    MODE_REFERENCES,
    MODEL_SPECS,
    VIDEO_TOTAL_SECONDS,
    model_id,
)
from seedance_ui.store import JobStatus
from seedance_ui.ui import views
from seedance_ui.ui.common import handler, toast_info, toast_warning
from seedance_ui.ui.studio import mode_views
from seedance_ui.ui.studio.modes import (
    ADAPTIVE,
    MODE_INFO,
    gallery_paths,
    input_counts,
    measure_picture,
    mode_of,
    quality_for,
    spec_of,
    switch_mode,
    tier_choices,
    url_lines,
)

if TYPE_CHECKING:
    from seedance_ui.ui.studio.preview import StudioPage

CONTINUE_DIR = ("ui", "continue")  # under the data directory (served: gr.Image shows the file from there)


def continue_frame(data_dir: Path, job_id: str) -> Path:
    """Where "Continue this shot" keeps the last frame of a job's video (deleted with the job)."""
    return Path(data_dir, *CONTINUE_DIR, f"{job_id}-last.png")

WEB_SEARCH_INFO = "For recent events; billed only if a search happens."
WEB_SEARCH_OFF_INFO = "Only the Standard and Fast text models search the web: uncheck it for this model."
FETCH_TIMEOUT = 30.0


def reference_limits(model: Any) -> dict[str, int]:
    """How many reference images, videos and audio clips the model takes at most (by kind)."""
    spec = spec_of(model)
    return {"image": spec.images[1], "video": spec.videos[1], "audio": spec.audios[1]}


def _count_problems(counts: dict[str, int], limits: dict[str, int]) -> list[str]:
    """A refusal per kind with more inputs than the model takes, naming the field and the rule."""
    names = {"image": "Reference images", "video": "Reference video URLs", "audio": "Reference audio URLs"}
    return [
        f"{names[kind]}: at most {limits[kind]} (got {counts[kind]})"
        for kind in names
        if counts.get(kind, 0) > limits.get(kind, 0)
    ]


def captioned(paths: tuple[str, ...]) -> list[tuple[str, str]]:
    """Gallery items: each path with its tag as the caption."""
    return [(path, f"@image{i}") for i, path in enumerate(paths, 1)]


class ModeHandlers:
    """Handlers for the mode switch and the media inputs; `Studio` provides page, runtime, store, ..."""

    page: StudioPage
    runtime: Any
    store: Any

    # ---------------------------------------------------------------------------------------------
    # mode and model
    @handler
    def on_mode(self, mode: Any, model: Any) -> dict[Any, Any]:
        """The mode switch: the same tier's model in the new mode (the model's change does the rest)."""
        new = switch_mode(model, mode)
        return {self.page.model: gr.update(choices=tier_choices(mode_of(new)), value=new)}

    @handler
    def on_model(self, model: Any, quality: Any, web_search: Any) -> dict[Any, Any]:
        """Whatever follows the model id: the mode shown, its tiers, its qualities (1080p on Standard
        frames and references only), web search (shown where allowed, or while still checked, to be
        unchecked), and which inputs show."""
        spec, p = spec_of(model), self.page
        searching = bool(web_search)
        info = WEB_SEARCH_INFO if spec.web_search else WEB_SEARCH_OFF_INFO
        return {
            p.mode: gr.update(value=spec.mode, info=MODE_INFO[spec.mode]),
            p.model: gr.update(choices=tier_choices(spec.mode)),
            p.quality: gr.update(choices=list(spec.qualities), value=quality_for(spec.id, quality)),
            p.web_search: gr.update(visible=spec.web_search or searching, info=info),
            p.frames_panel: gr.update(visible=spec.mode == MODE_FRAMES),
            p.refs_panel: gr.update(visible=spec.mode == MODE_REFERENCES),
            p.ref_tags: gr.update(visible=spec.mode == MODE_REFERENCES),
        }

    # ---------------------------------------------------------------------------------------------
    # frames
    @handler
    async def on_frames(self, first: Any, last: Any, aspect_ratio: Any) -> dict[Any, Any]:
        """Each dropped frame measured (size, ratio, the rule it breaks), and the aspect ratio checked
        against the first one; "Use adaptive" shows while a frame is there and the ratio is explicit."""
        pictures = await asyncio.to_thread(
            lambda: {"first_frame": measure_picture(first, "first_frame"),
                     "last_frame": measure_picture(last, "last_frame")}
        )
        ratio = aspect_ratio if isinstance(aspect_ratio, str) else ADAPTIVE
        p = self.page
        return {
            p.frames_note: mode_views.frames_note_html(pictures, ratio),
            p.adaptive_btn: gr.update(visible=pictures["first_frame"] is not None and ratio != ADAPTIVE),
        }

    @handler
    def use_adaptive(self) -> dict[Any, Any]:
        return {self.page.aspect_ratio: ADAPTIVE}

    # ---------------------------------------------------------------------------------------------
    # references
    @handler
    async def on_refs(self, images: Any, videos: Any, audios: Any, model: Any) -> dict[Any, Any]:
        """The tag chips, the counts the prompt lint uses, and what is wrong with an input already
        (an image's own rules, a URL the provider could not fetch, too many of a kind)."""
        paths, video_urls, audio_urls = gallery_paths(images), url_lines(videos), url_lines(audios)
        counts = input_counts(paths, video_urls, audio_urls)
        limits = reference_limits(switch_mode(model, MODE_REFERENCES))
        problems = _count_problems(counts, limits)
        problems += await asyncio.to_thread(self._image_problems, paths)
        problems += self._url_problems(video_urls, "Reference video") + self._url_problems(
            audio_urls, "Reference audio"
        )
        p = self.page
        return {p.ref_tags: mode_views.chips_html(counts, limits, problems), p.ref_counts: counts}

    @handler
    def caption_refs(self, images: Any) -> dict[Any, Any]:
        """Each reference image captioned with its tag (@image1 …), the order the request sends them in."""
        return {self.page.ref_images: captioned(gallery_paths(images))}

    @handler
    def add_refs(self, images: Any, added: Any) -> dict[Any, Any]:
        """"Add images": the new files after the gallery's own, captioned with their tags (more than the
        model takes stay, so the chips can say so)."""
        new = [str(f) for f in (added if isinstance(added, list) else [added]) if isinstance(f, str | Path)]
        return {self.page.ref_images: captioned((*gallery_paths(images), *new))}

    @staticmethod
    def _image_problems(paths: tuple[str, ...]) -> list[str]:
        out = []
        for i, path in enumerate(paths, 1):
            problem = image_problem(f"reference_images[{i}]", measure_image(Path(path)))
            if problem:
                out.append(f"@image{i}: {problem.rule}")
        return out

    def _trusted(self) -> tuple[str, ...]:
        settings = self.runtime.settings
        return tuple(o for o in (settings.base_url, settings.files_url) if o)

    def _url_problems(self, urls: tuple[str, ...], label: str) -> list[str]:
        out = []
        for i, url in enumerate(urls, 1):
            problem = media_url_problem(url, self._trusted())
            if problem:
                out.append(f"{label} {i}: {problem}")
        return out

    @handler
    async def measure_references(self, videos: Any, audios: Any) -> dict[Any, Any]:
        """Fetch and measure the reference videos and audio (on leaving their boxes): their rules now,
        and the input-video seconds the cost card bills."""
        lines: list[tuple[bool, str]] = []
        seconds = 0.0
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT, follow_redirects=False) as http:
            for kind, urls, check, limit in (
                ("video", url_lines(videos), video_problem, VIDEO_TOTAL_SECONDS),
                ("audio", url_lines(audios), audio_problem, AUDIO_TOTAL_SECONDS),
            ):
                total, note = await self._measure_kind(http, kind, urls, check, limit)
                seconds += total if kind == "video" else 0.0
                lines += note
        html = mode_views.measures_html(lines)
        return {self.page.video_seconds: round(seconds, 3), self.page.ref_measures: html}

    async def _measure_kind(
        self, http: httpx.AsyncClient, kind: str, urls: tuple[str, ...], check: Any, limit: float
    ) -> tuple[float, list[tuple[bool, str]]]:
        """(seconds of the inputs, one (fine, note) per input and one for a broken together-rule)."""
        if not urls:
            return 0.0, []
        infos, notes = [], []
        with tempfile.TemporaryDirectory(prefix="seedance-refs-") as tmp:
            fetcher = MediaFetcher(http, Path(tmp), self._trusted())
            for i, url in enumerate(urls, 1):
                try:
                    info = await asyncio.to_thread(measure_av, await fetcher.local(f"{kind}{i}", url, kind))
                except ValidationError as exc:
                    notes.append((False, f"@{kind}{i}: {exc.rule}"))
                    continue
                problem = check(f"@{kind}{i}", info)
                said = problem.rule if problem else f"{info.seconds:.1f} s"
                notes.append((problem is None, f"@{kind}{i}: {said}"))
                infos.append(info)
        together = total_problem(f"reference {kind}", infos, limit)
        if together:
            notes.append((False, f"Reference {kind}s: {together.rule}"))
        return sum(i.seconds for i in infos if i is not None), notes

    # ---------------------------------------------------------------------------------------------
    # continue this shot
    @handler
    async def continue_shot(self, job_id: Any, owner: Any, request: gr.Request | None = None) -> Any:
        """The selected video's last frame becomes the first frame of a new Frames generation: the
        mode switches to Frames (same tier), the frame fills the first-frame zone, the last is cleared."""
        _owner_id, record = self.job_of(job_id, owner, request)  # type: ignore[attr-defined]
        video = self.store.video_file(record) if record is not None else None
        if record is None or record.status != JobStatus.COMPLETED or video is None:
            toast_info("Select a finished video in your history first.")
            return gr.skip()
        target = continue_frame(self.store.data_dir, record.id)
        try:
            await asyncio.to_thread(save_last_frame, Path(video), target)
        except (MediaError, OSError):
            toast_warning("The last frame of this video could not be read.", "Pick another video.")
            return gr.skip()
        params = record.params or {}
        model = params.get("model")
        tier = MODEL_SPECS[model].tier if model in MODEL_SPECS else spec_of(None).tier
        p = self.page
        toast_info("The last frame is your new first frame.")
        return {
            p.model: gr.update(choices=tier_choices(MODE_FRAMES), value=model_id(MODE_FRAMES, tier)),
            p.first_frame: str(target),
            p.last_frame: None,
            p.aspect_ratio: ADAPTIVE,
            p.status: views.notice_html(
                "info",
                "Continuing this shot: its last frame is now the first frame of a new Frames generation.",
                "Describe what happens next, then press Generate.",
            ),
        }
