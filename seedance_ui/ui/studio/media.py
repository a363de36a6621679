"""The create panel's media: the mode switch, the frames and references inputs, and their events (the
model's fields follow the mode). The create panel places them (`CreatePanel.build`).

Everything here is a queued event (it may read an image file or fetch a URL); the per-keystroke events
(`CreatePanel.on_prompt`, `CreatePanel.on_cost`) only get the plain values these leave in states.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

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
from seedance_ui.options import (
    AUDIO_TOTAL_SECONDS,
    DEFAULT_ASPECT_RATIO,
    MODE_FRAMES,
    MODE_REFERENCES,
    MODE_TEXT,
    TIERS,
    VIDEO_TOTAL_SECONDS,
    model_id,
)
from seedance_ui.ui.common import handler, toast_warning
from seedance_ui.ui.picture_inputs import (
    dropped_problem,
    dropped_refusal,
    guarded,
    guarded_gallery,
    guarded_uploads,
    refuse,
)
from seedance_ui.ui.studio import mode_views
from seedance_ui.ui.studio.fields import field_label
from seedance_ui.ui.studio.mode_views import FRAME_LABELS, chips_html, frames_note_html
from seedance_ui.ui.studio.modes import (
    ADAPTIVE,
    MODE_INFO,
    MODE_LABELS,
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
from seedance_ui.ui.studio.page import FETCH, QUIET, Panel, StudioPage
from seedance_ui.ui.studio.samples import SamplesPanel, demo_links_html

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



def model_view(p: StudioPage, model: Any, quality: Any, web_search: Any) -> dict[Any, Any]:
    """Whatever follows the model id: its mode and input panels (`mode_view`), its tiers, its qualities
    (1080p on Standard frames and references only), and web search (shown where allowed, or while still
    checked, to be unchecked). The quality's value is set only when the model does not offer `quality`:
    `quality` is what the page sent when the model changed, and a quality picked since then stays."""
    spec = spec_of(model)
    info = WEB_SEARCH_INFO if spec.web_search else WEB_SEARCH_OFF_INFO
    kept = {} if quality in spec.qualities else {"value": quality_for(spec.id, quality)}
    return {
        **mode_view(p, spec.mode),
        p.model: gr.update(choices=tier_choices(spec.mode)),
        p.quality: gr.update(choices=list(spec.qualities), **kept),
        p.web_search: gr.update(visible=spec.web_search or bool(web_search), info=info),
    }


def mode_outputs(p: StudioPage) -> list[Any]:
    """The components `mode_view` answers with."""
    return [p.mode, p.frames_panel, p.refs_panel, p.ref_tags]


def mode_view(p: StudioPage, mode: str) -> dict[Any, Any]:
    """The mode shown and which input panels show. An event that sets a model and then an input (Reuse,
    Continue) returns this with the model: an input zone in a hidden panel is not on the page, so a value
    put there raises no change event (no chips, no frames note) if the panel waits for the model's own
    change event to show it."""
    return {
        p.mode: gr.update(value=mode, info=MODE_INFO[mode]),
        p.frames_panel: gr.update(visible=mode == MODE_FRAMES),
        p.refs_panel: gr.update(visible=mode == MODE_REFERENCES),
        p.ref_tags: gr.update(visible=mode == MODE_REFERENCES),
    }


class MediaPanel(Panel):
    """The mode switch and the media inputs of the create panel, and their handlers (each a queued event:
    it may read an image file or fetch a URL)."""

    def mode_switch(self) -> None:
        """Text, Frames or References: one radio over the same panel (the model id follows it)."""
        p = self.page
        p.mode = gr.Radio(
            [(label, mode) for mode, label in MODE_LABELS.items()],
            value=MODE_TEXT,
            label="Mode",
            info=MODE_INFO[MODE_TEXT],
            elem_classes="sd-modes",
            elem_id="sd-mode",
        )

    def frames_panel(self) -> None:
        """Frames mode: the first frame and the optional last frame, what they are, and the ratio advice."""
        p = self.page
        with gr.Column(visible=False, elem_classes="sd-media-panel", elem_id="sd-frames") as p.frames_panel:
            with gr.Row(equal_height=True, elem_id="sd-frame-zones"):
                p.first_frame = frame_zone("First frame", "sd-first-frame", "first_frame")
                p.last_frame = frame_zone("Last frame (optional)", "sd-last-frame", "last_frame")
            p.frames_note = gr.HTML(frames_note_html({}, DEFAULT_ASPECT_RATIO), elem_id="sd-frames-note")
            p.adaptive_btn = gr.Button(
                "Use adaptive — keep the picture's shape", size="sm", variant="secondary", visible=False,
                elem_id="sd-use-adaptive",
            )

    def references_panel(self) -> None:
        """References mode: up to 9 images (a gallery, in tag order) and the video and audio URLs. The
        gallery and "Add images" take only files uploaded with the request, measured from their header
        before any handler sees them (`guarded_gallery`, `guarded_uploads`)."""
        p = self.page
        limits = reference_limits(model_id(MODE_REFERENCES, TIERS[0]))
        with gr.Column(visible=False, elem_classes="sd-media-panel", elem_id="sd-refs") as p.refs_panel:
            p.ref_images = guarded_gallery(gr.Gallery(
                label=f"Reference images · up to {limits['image']}",
                type="filepath",
                file_types=["image"],
                interactive=True,
                columns=6,
                fit_columns=False,
                height=230,
                object_fit="cover",
                allow_preview=False,
                buttons=[],
                elem_id="sd-ref-images",
            ), reference_image_label)
            p.add_refs_btn = guarded_uploads(gr.UploadButton(
                "＋ Add images", file_count="multiple", file_types=["image"], size="sm", variant="secondary",
                elem_id="sd-add-refs",
            ), added_image_label)
            self.samples = SamplesPanel(p, self.runtime, self)
            self.samples.build()  # demo mode: sample pictures and a sample clip
            with gr.Row(equal_height=False):
                p.ref_videos = url_box("video", limits["video"], "a 2–15 s MP4 or MOV the provider can fetch")
                p.ref_audios = url_box("audio", limits["audio"], "a 2–15 s WAV or MP3")
            p.ref_measures = gr.HTML("", elem_id="sd-ref-measures")

    def tag_chips(self) -> None:
        """The reference tags' chips (under the prompt, in references mode)."""
        self.page.ref_tags = gr.HTML(
            chips_html(input_counts((), (), ()), reference_limits(model_id(MODE_REFERENCES, TIERS[0]))),
            visible=False,
            elem_id="sd-ref-tags",
        )

    def wire(self) -> None:
        """The mode switch, the model's fields, the frames note and the reference chips (queued: they may
        read a file or fetch a URL)."""
        p = self.page
        p.mode.input(self.on_mode, inputs=[p.mode, p.model], outputs=[p.model], **QUIET)
        gr.on(
            [p.model.change, p.web_search.change],
            self.on_model,
            inputs=[p.model, p.quality, p.web_search],
            outputs=[p.mode, p.model, p.quality, p.web_search, p.frames_panel, p.refs_panel, p.ref_tags],
            trigger_mode="always_last",
            **QUIET,
        )
        # The zones' values come in as the page sent them (preprocess=False: the guard's refusal would stop
        # the event before the handler could answer at the zone); on_frames checks them itself.
        gr.on(
            [p.first_frame.change, p.last_frame.change, p.aspect_ratio.change],
            self.on_frames, **self._frames_io(), trigger_mode="always_last", preprocess=False, **QUIET,
        )
        p.adaptive_btn.click(self.use_adaptive, inputs=None, outputs=[p.aspect_ratio], **QUIET)
        p.ref_images.upload(self.caption_refs, inputs=[p.ref_images], outputs=[p.ref_images], **QUIET)
        p.add_refs_btn.upload(
            self.add_refs, inputs=[p.ref_images, p.add_refs_btn], outputs=[p.ref_images], **QUIET
        )
        gr.on(
            [p.ref_images.change, p.ref_videos.change, p.ref_audios.change],
            self.on_refs, **self._refs_io(), trigger_mode="always_last", **QUIET,
        )
        gr.on(
            [p.ref_videos.blur, p.ref_audios.blur, p.ref_videos.submit, p.ref_audios.submit],
            self.measure_references,
            inputs=[p.ref_videos, p.ref_audios],
            outputs=[p.video_seconds, p.ref_measures],
            trigger_mode="always_last",
            **FETCH,
        )
        self.samples.wire()

    # An event that puts values in the input zones (Reuse, Continue, the samples) is followed by the
    # chips or the frames note at once: the zones' change events are not enough there (the gallery raises
    # none for a value an event puts in it while it is on the page, and whether a zone is on the page yet
    # is a race with the model's own change event).
    def chips_after(self, event: Any) -> Any:
        """`event`, then the reference chips."""
        return event.then(self.on_refs, **self._refs_io(), **QUIET)

    def frames_note_after(self, event: Any) -> Any:
        """`event`, then the frames note (and the checks of the frames)."""
        return event.then(self.on_frames, **self._frames_io(), preprocess=False, **QUIET)

    def _frames_io(self) -> dict[str, list[Any]]:
        p = self.page
        return {"inputs": [p.first_frame, p.last_frame, p.aspect_ratio, p.frame_refusals],
                "outputs": [p.frames_note, p.adaptive_btn, p.first_frame, p.last_frame, p.frame_refusals]}

    def _refs_io(self) -> dict[str, list[Any]]:
        p = self.page
        return {"inputs": [p.ref_images, p.ref_videos, p.ref_audios, p.model],
                "outputs": [p.ref_tags, p.ref_counts]}

    # ---------------------------------------------------------------------------------------------
    # mode and model
    @handler
    def on_mode(self, mode: Any, model: Any) -> dict[Any, Any]:
        """The mode switch: the same tier's model in the new mode (the model's change does the rest)."""
        new = switch_mode(model, mode)
        return {self.page.model: gr.update(choices=tier_choices(mode_of(new)), value=new)}

    @handler
    def on_model(self, model: Any, quality: Any, web_search: Any) -> dict[Any, Any]:
        return model_view(self.page, model, quality, web_search)

    # ---------------------------------------------------------------------------------------------
    # frames
    @handler
    async def on_frames(
        self, first: Any, last: Any, aspect_ratio: Any, refusals: Any = None
    ) -> AsyncIterator[dict[Any, Any]]:
        """Each dropped frame checked as the page sent it (an upload, a readable picture within the limits:
        `dropped_problem`) and measured (size, ratio, the rule it breaks), and the aspect ratio checked
        against the first one; "Use adaptive" shows while a frame is there and the ratio is explicit.

        A refused file is taken out of its zone and named under the zones and in a toast; the refusal
        stays said (`frame_refusals`) until that zone takes a picture again. The event then ends refused
        with the rule, as the zones' guard ends any other (`refuse`: no toast of its own, no traceback)."""
        p = self.page
        zones = {"first_frame": (first, p.first_frame), "last_frame": (last, p.last_frame)}
        said = {k: v for k, v in (refusals or {}).items() if k in zones} if isinstance(refusals, dict) else {}
        out: dict[Any, Any] = {}
        paths: dict[str, str | None] = {}
        problems = []
        for field, (payload, zone) in zones.items():
            problem = await asyncio.to_thread(dropped_problem, field, payload)
            if problem is not None:
                said[field] = dropped_refusal(FRAME_LABELS[field], payload, problem)
                toast_warning(said[field], title="Picture refused")
                out[zone], paths[field] = None, None
                problems.append(problem)
                continue
            paths[field] = _payload_path(payload)
            if paths[field] is not None:
                said.pop(field, None)
        pictures = await asyncio.to_thread(
            lambda: {name: measure_picture(path, name) for name, path in paths.items()}
        )
        ratio = aspect_ratio if isinstance(aspect_ratio, str) else ADAPTIVE
        yield {
            **out,
            p.frames_note: mode_views.frames_note_html(pictures, ratio, list(said.values())),
            p.adaptive_btn: gr.update(visible=pictures["first_frame"] is not None and ratio != ADAPTIVE),
            p.frame_refusals: said,
        }
        refuse("; ".join(problems) or None, toast=False)

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
        """The provider's origins, and in demo mode the simulator's (its sample clip, its results)."""
        settings, simulator = self.runtime.settings, self.runtime.simulator
        own = (simulator.base_url,) if simulator is not None else ()
        return tuple(o for o in (settings.base_url, settings.files_url, *own) if o)

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
        html = mode_views.measures_html(lines) + (demo_links_html(lines) if self.runtime.demo_mode else "")
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


def frame_zone(label: str, elem_id: str, field: str) -> gr.Image:
    """A drop zone for one frame: the file as dropped (image_mode None: never re-encoded), with a preview;
    measured from its header before Gradio opens it (`guarded`: refused past the limits, never decoded)."""
    zone = gr.Image(
        label=label,
        type="filepath",
        image_mode=None,
        sources=["upload", "clipboard"],
        height=220,
        min_width=150,
        buttons=[],
        elem_id=elem_id,
    )
    return guarded(zone, field)


def _payload_path(payload: Any) -> str | None:
    """The file path of a zone's value as the page sent it (a dict or a FileData); None when empty."""
    path = payload.get("path") if isinstance(payload, dict) else getattr(payload, "path", None)
    return path if isinstance(path, str) and path else None


def reference_image_label(n: int) -> str:
    """How a refusal names the n-th reference image (as the chips tag it: "Reference image @image2")."""
    return field_label(f"reference_images[{n}]")


def added_image_label(n: int) -> str:
    """How a refusal names the n-th file of one press of "Add images" (not tagged yet)."""
    return f"Added image {n}"


def url_box(kind: str, limit: int, what: str) -> gr.Textbox:
    """A box of reference URLs of one kind (video or audio), one a line."""
    return gr.Textbox(
        label=f"Reference {kind} URLs · up to {limit}, one a line",
        placeholder=f"https://… {what}",
        lines=2,
        max_lines=4,
        min_width=220,
        elem_id=f"sd-ref-{kind}s",
    )
