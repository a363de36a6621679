"""Frames and references over `/generate`: `python app.py` in a subprocess, driven with gradio_client and
`handle_file`, against the contract simulator behind a recording proxy (API and file API both), so each
upload and create is checked as the provider received it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from app_process import all_jobs, app_env, start_app, stop_app, wait_healthy
from conftest import RecordingProxy, free_port
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from media_files import (
    QUADRANTS,
    close_to,
    first_and_last_frames,
    margin_points,
    plain_image,
    quadrant_image,
)

from seedance_ui.options import ALL_QUALITIES, MODEL_SPECS, UPLOAD_STREAM_PATH, model_id
from seedance_ui.simulator import Simulator
from seedance_ui.store import JobStatus

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

KEY = "sk-media-api-test-key-0123"
FRAMES = model_id("frames", "Fast")
REFERENCES = model_id("references", "Fast")
TEXT = model_id("text", "Fast")
MEDIA_PARAMS = ["first_frame", "last_frame", "reference_images", "reference_video_urls",
                "reference_audio_urls", "content_filter", "idempotency_key"]
SECOND_PICTURE = ((20, 20, 20), (250, 250, 250), (250, 140, 0), (120, 0, 160))


@dataclass
class App:
    url: str
    client: Client
    sim: Simulator
    proxy: RecordingProxy
    data_dir: Path
    pictures: Path

    def uploads(self) -> list:
        return [r for r in self.proxy.records if r.method == "POST" and r.path == UPLOAD_STREAM_PATH]

    def job_for(self, prompt: str):
        [job] = [j for j in all_jobs(self.data_dir) if j.params["prompt"] == prompt]
        return job


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    root = tmp_path_factory.mktemp("media-api")
    pictures = root / "pictures"
    pictures.mkdir()
    quadrant_image(pictures / "quad.png")
    quadrant_image(pictures / "second.png", colours=SECOND_PICTURE)
    plain_image(pictures / "small.png", (200, 200))
    plain_image(pictures / "fresh.png", (640, 480), colour=(10, 120, 90))  # uploaded by no other test
    plain_image(pictures / "anim.gif", (640, 640), fmt="GIF")
    with Simulator(speed=40, api_key=KEY, video_cache_dir=root / "clips") as sim:
        sim.set_behaviour(estimated_time=20)
        proxy = RecordingProxy(sim.base_url).start()
        port = free_port()
        env = {**app_env(proxy.url, KEY, root / "data", port), "EVOLINK_FILES_URL": proxy.url}
        log_path = root / "app.log"
        process = start_app(env, log_path)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, process, log_path)
            client = Client(url, verbose=False, download_files=False)
            yield App(url, client, sim, proxy, root / "data", pictures)
        finally:
            stop_app(process)
            proxy.stop()


def test_generate_lists_the_media_parameters_and_every_model(app: App) -> None:
    api = app.client.view_api(return_format="dict", print_info=False)
    params = api["named_endpoints"]["/generate"]["parameters"]
    names = [p["parameter_name"] for p in params]
    assert names[-len(MEDIA_PARAMS):] == MEDIA_PARAMS
    by_name = {p["parameter_name"]: p for p in params}
    assert set(by_name["model"]["type"]["enum"]) == set(MODEL_SPECS) and len(MODEL_SPECS) == 9
    assert by_name["quality"]["type"]["enum"] == list(ALL_QUALITIES)


def test_a_frames_job_uploads_its_png_once_and_the_clip_opens_on_it(app: App) -> None:
    prompt = "API frames: the picture comes alive, slow push in"
    picture = app.pictures / "quad.png"
    video, result = app.client.predict(
        prompt=prompt, model=FRAMES, duration=4, quality="480p", aspect_ratio="adaptive",
        generate_audio=False, first_frame=handle_file(str(picture)), api_name="/generate",
    )
    [upload] = app.uploads()
    digest = hashlib.sha256(picture.read_bytes()).hexdigest()
    # our copy's name (kept once per content), not the caller's temp path
    assert f'filename="{digest}.png"'.encode() in upload.body
    [create] = app.proxy.creates_with("API frames")
    [entry] = result["params"]["inputs"]
    [stored] = app.job_for(prompt).params["inputs"]  # the record: the copy relative to the data dir
    assert create.body["image_urls"] == [stored["file_url"]]
    assert "file_url" not in entry  # the upload's URL (the simulator's, on loopback) stays on the server
    assert entry["role"] == "first_frame" and entry["name"] == "quad.png"
    assert entry["sha256"] == digest
    assert not Path(entry["saved_copy"]).is_absolute()  # relative to the data dir, like video_path
    copy = app.data_dir / entry["saved_copy"]
    assert copy.is_file() and copy.read_bytes() == picture.read_bytes()
    assert stored.pop("path") == entry["saved_copy"]
    assert {k: v for k, v in stored.items() if k != "file_url"} == {
        k: v for k, v in entry.items() if k != "saved_copy"}
    first, _ = first_and_last_frames(app.data_dir / result["video_path"])
    for point, colour in zip(margin_points(*first.size), QUADRANTS, strict=True):
        assert close_to(first.getpixel(point), colour), (point, first.getpixel(point), colour)
    # The history's thumbnail: the copy is served like posters are.
    served = httpx.get(f"{app.url}/gradio_api/file={copy.resolve()}", timeout=10)
    assert served.status_code == 200 and served.content == picture.read_bytes()
    assert Path(video["path"]).resolve() == (app.data_dir / result["video_path"]).resolve()  # the mp4


def test_a_references_job_sends_both_images_in_order(app: App) -> None:
    prompt = "API references: @image1 walks into the room of @image2, handheld"
    before = len(app.uploads())
    _video, result = app.client.predict(
        prompt=prompt, model=REFERENCES, duration=4, quality="480p", generate_audio=False,
        reference_images=[handle_file(str(app.pictures / "quad.png")),
                          handle_file(str(app.pictures / "second.png"))],
        api_name="/generate",
    )
    assert result["status"] == "completed"
    [create] = app.proxy.creates_with("API references")
    entries = result["params"]["inputs"]
    assert [(e["role"], e["name"]) for e in entries] == [("reference_image", "quad.png"),
                                                         ("reference_image", "second.png")]
    stored = app.job_for(prompt).params["inputs"]
    assert create.body["image_urls"] == [e["file_url"] for e in stored]
    assert len(set(create.body["image_urls"])) == 2
    # quad.png was uploaded by the frames test under the same key: only second.png goes up now.
    assert len(app.uploads()) - before == 1


@pytest.mark.parametrize(
    ("fields", "named", "rule"),
    [
        ({"model": FRAMES, "first_frame": "small.png"}, "first_frame", "300"),
        ({"model": FRAMES, "first_frame": "anim.gif"}, "first_frame", "GIF"),
        ({"model": TEXT, "first_frame": "quad.png"}, "first_frame", "text model"),
        ({"model": FRAMES, "first_frame": "quad.png", "web_search": True}, "web_search", "text models"),
        ({"model": REFERENCES, "reference_images": ["quad.png", "second.png"],
          "prompt": "@image1 and @image3"}, "prompt", "@image3"),
        ({"model": REFERENCES, "reference_audio_urls": ["https://example.com/voice.wav"]},
         "reference_audio_urls", "audio alone"),
        ({"model": REFERENCES, "reference_images": ["quad.png"],
          "reference_video_urls": ["http://127.0.0.1:9/clip.mp4"]}, "reference_video_urls[1]", "https"),
    ],
)
def test_refusals_name_field_and_rule_before_any_upload_or_create(
    app: App, fields: dict, named: str, rule: str
) -> None:
    uploads, creates, jobs = len(app.uploads()), len(app.proxy.creates()), len(all_jobs(app.data_dir))
    args = {"prompt": "Refusal check: a quiet harbour", "duration": 4, "quality": "480p", **fields}
    for name in ("first_frame", "last_frame"):
        if name in args:
            args[name] = handle_file(str(app.pictures / args[name]))
    if "reference_images" in args:
        args["reference_images"] = [handle_file(str(app.pictures / n)) for n in args["reference_images"]]
    with pytest.raises(AppError) as caught:
        app.client.predict(**args, api_name="/generate")
    text = str(caught.value)
    assert f"{named}:" in text and rule in text, text
    assert "Traceback" not in text
    assert len(app.uploads()) == uploads and len(app.proxy.creates()) == creates
    assert len(all_jobs(app.data_dir)) == jobs  # nothing written either


def test_a_refused_upload_fails_with_the_providers_message_and_creates_nothing(app: App) -> None:
    refusal = {"success": False, "code": 403, "msg": "File quota exhausted: 2000 files", "data": None}
    body = json.dumps(refusal)
    app.sim.inject("upload", status=403, body=body)
    prompt = "API upload refused: a green field, slow zoom"
    creates = len(app.proxy.creates())
    with pytest.raises(AppError) as caught:
        app.client.predict(
            prompt=prompt, model=FRAMES, duration=4, quality="480p", aspect_ratio="adaptive",
            first_frame=handle_file(str(app.pictures / "fresh.png")), api_name="/generate",
        )
    assert "File quota exhausted: 2000 files" in str(caught.value)
    assert len(app.proxy.creates()) == creates
    job = app.job_for(prompt)
    assert job.status == JobStatus.FAILED and job.task_id is None
    assert (app.data_dir / job.params["inputs"][0]["path"]).is_file()  # kept with its job in the history


def test_a_raw_call_with_the_seven_first_parameters_still_works(app: App) -> None:
    """Callers written before the media parameters send seven values: the rest take their defaults."""
    prompt = "API raw seven: a lighthouse beam sweeps the sea"
    data = [prompt, model_id("text", "Fast"), 4, "480p", "16:9", False, False]
    joined = httpx.post(f"{app.url}/gradio_api/call/generate", json={"data": data}, timeout=30)
    stream = httpx.get(f"{app.url}/gradio_api/call/generate/{joined.json()['event_id']}", timeout=120)
    assert "event: complete" in stream.text, stream.text[-2000:]
    [create] = app.proxy.creates_with("API raw seven")
    assert "image_urls" not in create.body and "content_filter" not in create.body  # the defaults
    assert app.job_for(prompt).status == JobStatus.COMPLETED
