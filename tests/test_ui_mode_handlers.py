"""The create panel's mode handlers against a real runtime and the contract simulator, no browser.

The model id carries the mode; the cost and lint events (raw page values) follow it; Generate sends only
the mode's media and checks the files before anything is sent; reference videos are fetched and measured
for the cost card.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from conftest import SERVER_KEY, run_async, wait_until
from media_files import MediaHost, plain_image, quadrant_image, video_file
from test_ui_handlers import running

from seedance_ui.config import Settings
from seedance_ui.options import (
    MODE_FRAMES,
    MODE_REFERENCES,
    MODE_TEXT,
    MODEL_FAST,
    MODEL_STANDARD,
    TIER_FAST,
    TIER_MINI,
    TIER_STANDARD,
    UPLOAD_STREAM_PATH,
    model_id,
)
from seedance_ui.pricing import estimate
from seedance_ui.store import JobStatus
from seedance_ui.ui.common import new_owner_id

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

FRAMES = model_id(MODE_FRAMES, TIER_STANDARD)
REFERENCES = model_id(MODE_REFERENCES, TIER_STANDARD)


@pytest.fixture()
def settings(tmp_path: Path, simulator: Any) -> Settings:
    """The API and the file API both on the simulator (frames are uploaded there)."""
    return Settings(
        api_key=SERVER_KEY,
        base_url=simulator.base_url,
        files_url=simulator.base_url,
        data_dir=tmp_path / "data",
        poll_interval=0.1,
        request_timeout=10.0,
    )


def probe(text: str) -> str:
    """The prompt as the page's probe sends it to the lint (ui/studio/create.py probe_js)."""
    return f"{len(text)}:{text}"


def update(value: Any) -> dict[str, Any]:
    assert isinstance(value, dict), value
    return value


def test_the_model_id_carries_the_mode_and_what_follows_it(settings: Settings) -> None:
    with running(settings) as (_runtime, studio):
        [model] = studio.media.on_mode(MODE_REFERENCES, MODEL_FAST).values()  # its one output
        assert update(model)["value"] == model_id(MODE_REFERENCES, TIER_FAST)

        mode, tiers, quality, web, frames, refs, tags = studio.media.on_model(FRAMES, "720p", False)
        assert update(mode)["value"] == MODE_FRAMES
        assert [v for _, v in update(tiers)["choices"]] == [
            model_id(MODE_FRAMES, t) for t in (TIER_STANDARD, TIER_FAST, TIER_MINI)
        ]
        assert update(quality)["choices"] == ["480p", "720p", "1080p"]
        # An offered quality is left as the page has it: the value sent may be stale by the answer (a
        # quality picked right after the model would snap back).
        assert "value" not in update(quality)
        assert update(web)["visible"] is False  # not offered on a frames model
        assert update(frames)["visible"] is True and update(refs)["visible"] is False
        assert update(tags)["visible"] is False

        # Mini has no 1080p: the quality falls back; web search still checked stays in sight to be unchecked.
        mini_frames = model_id(MODE_FRAMES, TIER_MINI)
        _mode, _tiers, quality, web, *_ = studio.media.on_model(mini_frames, "1080p", True)
        assert update(quality)["value"] == "720p" and "1080p" not in update(quality)["choices"]
        assert update(web)["visible"] is True and "uncheck it" in update(web)["info"]
        mode, *_ = studio.media.on_model(MODEL_STANDARD, "720p", False)
        assert update(mode)["value"] == MODE_TEXT


def test_cost_and_lint_follow_the_mode_from_raw_values(settings: Settings) -> None:
    with running(settings) as (_runtime, studio):
        off = estimate(FRAMES, "720p", 5, content_filter=False)
        card = run_async(studio.create.on_cost(FRAMES, 5, "720p", False, False, 0))
        assert f'data-credits="{off.credits:.4f}"' in card and "×1.1" in card
        mini_refs = model_id(MODE_REFERENCES, TIER_MINI)
        mini = run_async(studio.create.on_cost(mini_refs, "5", "720p", False, True, 0))
        assert 'data-published="false"' in mini and "data-credits" not in mini
        # Reference-video seconds are billed in references mode only (and junk is none).
        def billed(model: str, video_seconds: Any) -> bool | str:
            card = run_async(studio.create.on_cost(model, 5, "720p", False, True, video_seconds))
            return card.split('data-billed-seconds="')[1].split('"')[0]

        assert billed(REFERENCES, 8.0) == "13"
        for junk in ("8", None, float("nan"), True, -3):
            assert billed(REFERENCES, junk) == "5"
        assert billed(FRAMES, 8.0) == "5"

        counts = {"image": 2, "video": 0, "audio": 0}
        counter, _straighten = run_async(studio.create.on_prompt(probe("@image1 meets @image3"), False,
                                                                 REFERENCES, counts))
        assert 'data-code="tag_without_input"' in counter and "@image2 is not in the prompt" in counter
        for model, counts in ((FRAMES, {"image": 2}), (REFERENCES, "junk"), (None, None)):
            counter, _ = run_async(studio.create.on_prompt(probe("@image3 walks"), False, model, counts))
            if model == REFERENCES:
                assert "no images given" in counter  # junk counts are none
            else:
                assert "tag_without_input" not in counter


def test_generate_sends_only_the_modes_media_and_checks_the_files_first(
    settings: Settings, simulator: Any, tmp_path: Path
) -> None:
    picture = quadrant_image(tmp_path / "quad.png", (960, 720))
    small = plain_image(tmp_path / "small.png", (200, 200))
    with running(settings) as (runtime, studio):
        owner = new_owner_id()
        creates, uploads = simulator.create_count, simulator.count("POST", UPLOAD_STREAM_PATH)

        submit = studio.preview.submit
        out = run_async(submit("Refused: a tiny picture", FRAMES, 4, "480p", "adaptive", False, False,
                               owner, None, True, str(small)))
        assert out[1] is None and "First frame" in out[2] and "each side must be 300-6000 px" in out[2]
        assert (simulator.create_count, simulator.count("POST", UPLOAD_STREAM_PATH)) == (creates, uploads)

        # A text model: the frames zone's picture stays on the page but is not sent.
        out = run_async(submit("Text only: a kite", MODEL_FAST, 4, "480p", "16:9", False, False,
                               owner, None, True, str(picture), None, [(str(picture), "@image1")]))
        text_job = runtime.manager.get(out[1], owner)
        assert text_job is not None and "first_frame" not in text_job.params
        assert "reference_images" not in text_job.params

        out = run_async(submit("Frames: the quadrants turn", FRAMES, 4, "480p", "adaptive", False,
                               False, owner, None, False, str(picture)))
        done = runtime.manager.wait(out[1], timeout=30)
        assert done.status == JobStatus.COMPLETED
        # The job keeps its own copy of the picture, written before anything was sent.
        copy = runtime.store.resolve(done.params["first_frame"])
        assert copy is not None and copy.read_bytes() == picture.read_bytes()
        assert [i["name"] for i in done.params["inputs"]] == ["quad.png"]
        assert done.params["content_filter"] is False
        assert simulator.count("POST", UPLOAD_STREAM_PATH) == uploads + 1
        wait_until(lambda: runtime.manager.get(text_job.id, owner).terminal)


def test_reference_videos_are_measured_for_the_cost_card(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "hosted"
    folder.mkdir()
    video_file(folder / "three.mp4", 3)
    video_file(folder / "nine.mp4", 9)
    video_file(folder / "nine-too.mp4", 9)
    with MediaHost(folder) as host, running(dataclasses.replace(settings, files_url=host.url)) as (_, studio):
        # The host is trusted as the file API's origin (a public URL stands in for it here).
        seconds, notes = run_async(studio.media.measure_references(f"{host.url}/three.mp4\n", ""))
        assert seconds == pytest.approx(3, abs=0.1) and "@video1: 3.0 s" in notes
        two = f"{host.url}/nine.mp4\n{host.url}/nine-too.mp4"
        seconds, notes = run_async(studio.media.measure_references(two, ""))
        assert "must last at most 15 s together (got 18.0 s)" in notes
        _seconds, notes = run_async(studio.media.measure_references(f"{host.url}/missing.mp4", ""))
        assert "@video1: could not be fetched (HTTP 404)" in notes
        _seconds, notes = run_async(studio.media.measure_references("http://10.0.0.1/private.mp4", ""))
        assert "@video1: must" in notes  # a private address: the provider could not fetch it


def test_continue_this_shot_saves_the_last_frame_and_delete_takes_it_away(settings: Settings) -> None:
    from seedance_ui.client import GenerationRequest
    from seedance_ui.ui.picture_inputs import upload_problem
    from seedance_ui.ui.studio.history import continue_frame

    with running(settings) as (runtime, studio):
        owner = new_owner_id()
        request = GenerationRequest(prompt="Continue me", model=MODEL_FAST, duration=4, quality="480p")
        done = runtime.manager.wait(runtime.manager.submit(request, owner).id, 60)
        assert done.status == JobStatus.COMPLETED
        continued = run_async(studio.history.continue_shot(done.id, owner))
        model, first, last, _ratio, _status, mode, frames_panel, refs_panel, _tags = continued
        frame = continue_frame(runtime.store.data_dir, done.id)
        assert update(model)["value"] == model_id(MODE_FRAMES, TIER_FAST)
        # The frames panel shows with its first frame (a zone in a hidden panel raises no change event).
        assert update(mode)["value"] == MODE_FRAMES
        assert update(frames_panel)["visible"] and not update(refs_panel)["visible"]
        assert frame.is_file() and last is None
        # The zone gets a copy in Gradio's upload folder (its guard takes only uploads back), same bytes.
        assert upload_problem("First frame", first) is None and Path(first).read_bytes() == frame.read_bytes()
        studio.history.delete(done.id, owner)
        studio.history.undo.shelf.close()  # the undo time is up
        assert runtime.manager.get(done.id, owner) is None and not frame.exists()
