"""Demo mode's sample reference media: two pictures and a short clip (assets/samples/), offered in the
References panel so the mode can be tried end to end without media at hand or web access.

The pictures go in as the references gallery's own files (handed over as uploads: nothing fetches
them). The clip is a video, which the file API does not take (CONTRACT-MODES.md section 4), so it goes
in as a link on the simulator's own origin (`Simulator.sample_url`), which the demo client and the
simulator trust as the provider trusts its own result links; nothing else of the SSRF rules changes.
With a visitor's own key the link is refused at Generate, as any link the provider could not fetch.

The files: the continuity sample's cast (`storyboard.sample.draw_keeper`, `draw_lighthouse`, saved as
PNG) and a 4 s 480p placeholder clip of the lighthouse (`simulator.render`, frames mode, no sound).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from seedance_ui.ui import views
from seedance_ui.ui.common import handler, toast_info
from seedance_ui.ui.studio.modes import url_lines
from seedance_ui.ui.studio.page import FETCH, QUIET, Panel, StudioPage

SAMPLES_DIR = Path(__file__).resolve().parents[3] / "assets" / "samples"
SAMPLE_PICTURES = ("keeper.png", "lighthouse.png")
SAMPLE_CLIP = "lighthouse.mp4"
SAMPLE_PROMPT = (
    "@image1 climbs to the lamp room of @image2 at dusk; the camera movement follows @video1"
)
DEMO_LINKS_NOTE = (
    "Demo mode: the built-in simulator stands in for the provider and fetches reference links from this "
    "server, which could not get this one (it may have no web access). Use the sample clip, or paste "
    "your own Evolink key to send your own links."
)


def sample_pictures() -> tuple[str, ...]:
    """The sample pictures' files, in the order they are tagged (@image1 the keeper, @image2 the
    lighthouse)."""
    return tuple(str(SAMPLES_DIR / name) for name in SAMPLE_PICTURES)


def with_line(text: Any, line: str) -> str:
    """A box of links, one a line, with `line` added at the end (once)."""
    lines = list(url_lines(text))
    return "\n".join(lines if line in lines else [*lines, line])


def demo_links_html(notes: list[tuple[bool, str]]) -> str:
    """DEMO_LINKS_NOTE when a reference link could not be used ("" when all were fine)."""
    if all(fine for fine, _ in notes):
        return ""
    return f'<p class="sd-ref-demo" role="note">{views.esc(DEMO_LINKS_NOTE)}</p>'


class SamplesPanel(Panel):
    """The sample buttons under the references gallery (demo mode only), handed the media panel whose
    "Add images" and link measures they reuse (a `media.MediaPanel`, not imported: it places this one)."""

    def __init__(self, page: StudioPage, runtime: Any, media: Any) -> None:
        super().__init__(page, runtime)
        self.media = media

    @property
    def offered(self) -> bool:
        return self.runtime.simulator is not None

    def build(self) -> None:
        if not self.offered:
            return
        p = self.page
        with gr.Row(elem_id="sd-ref-samples", elem_classes="sd-ref-samples"):
            gr.HTML('<span class="sd-ref-samples-intro">No media at hand? This demo has its own:</span>')
            p.sample_pictures_btn = gr.Button("Use sample pictures", size="sm", variant="secondary",
                                              elem_id="sd-sample-pictures")
            p.sample_clip_btn = gr.Button("Use sample clip", size="sm", variant="secondary",
                                          elem_id="sd-sample-clip")

    def wire(self) -> None:
        if not self.offered:
            return
        p = self.page
        self.media.chips_after(p.sample_pictures_btn.click(  # the chips follow at once
            self.use_pictures, inputs=[p.ref_images, p.prompt], outputs=[p.ref_images, p.prompt], **QUIET
        ))
        self.media.chips_after(p.sample_clip_btn.click(
            self.use_clip, inputs=[p.ref_videos], outputs=[p.ref_videos], **QUIET
        )).then(
            self.media.measure_references, inputs=[p.ref_videos, p.ref_audios],
            outputs=[p.video_seconds, p.ref_measures], **FETCH,
        )

    @handler
    def use_pictures(self, images: Any, prompt: Any) -> dict[Any, Any]:
        """The sample pictures after the gallery's own (captioned with their tags, as "Add images" does);
        an empty prompt gets one that names them."""
        p = self.page
        out: dict[Any, Any] = self.media.add_refs(images, list(sample_pictures()))
        if not (prompt or "").strip():
            out[p.prompt] = SAMPLE_PROMPT
        toast_info("Two sample pictures added: the keeper and the lighthouse.")
        return out

    @handler
    def use_clip(self, videos: Any) -> dict[Any, Any]:
        """The sample clip's link (served by the demo's simulator) added to the reference video links."""
        return {self.page.ref_videos: with_line(videos, self.runtime.simulator.sample_url(SAMPLE_CLIP))}
