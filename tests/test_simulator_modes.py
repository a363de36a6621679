"""The simulator's file API, nine models and media handling, spoken to with plain httpx as a client
written from the provider's documentation would (multipart `file`, `data.file_url`, `image_urls`)."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import av
import httpx
import pytest
from conftest import free_port, wait_until
from media_files import (
    QUADRANTS,
    MediaHost,
    close_to,
    margin_points,
    plain_image,
    quadrant_image,
    video_file,
)
from PIL import Image

from seedance_ui import options
from seedance_ui.simulator import Simulator
from seedance_ui.simulator.render import VideoSpec, render_video

KEY = {"Authorization": "Bearer test-key"}
FRAMES, REFS = options.model_id("frames", "Standard"), options.model_id("references", "Standard")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, httpx.Client]]:
    """One simulator for the module, and a plain httpx client that speaks to it with a key."""
    folder = tmp_path_factory.mktemp("videos")
    simulator = Simulator(speed=500, video_cache_dir=folder)
    with simulator, httpx.Client(base_url=simulator.start().base_url, headers=KEY, timeout=20) as http:
        yield simulator, http


@pytest.fixture
def sim(served: tuple[Simulator, httpx.Client]) -> Simulator:
    served[0].reset()
    served[0].set_behaviour(estimated_time=20)
    return served[0]


@pytest.fixture
def client(served: tuple[Simulator, httpx.Client]) -> httpx.Client:
    return served[1]


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pictures")
    quadrant_image(folder / "quad.png")
    plain_image(folder / "grey.jpg", (800, 600))
    plain_image(folder / "anim.gif", (640, 640), fmt="GIF")
    plain_image(folder / "tiny.png", (100, 100))
    video_file(folder / "clip.mp4", 3)
    return folder


def upload(client: httpx.Client, path: Path) -> dict:
    files = {"file": (path.name, path.read_bytes(), "image/png")}
    response = client.post(options.UPLOAD_STREAM_PATH, files=files)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["success"] is True and answer["code"] == 200
    return answer["data"]


def create(client: httpx.Client, **body: object) -> httpx.Response:
    body = {"prompt": "A slow push in.", "duration": 4, "quality": "480p", **body}
    return client.post(options.CREATE_PATH, json=body)


def wait(client: httpx.Client, task_id: str) -> dict:
    for _ in range(400):
        task = client.get(f"/v1/tasks/{task_id}").json()
        if task["status"] in options.TERMINAL_STATUSES:
            return task
        time.sleep(0.02)
    raise AssertionError("task did not finish")


# ---------------------------------------------------------------- the file API


def test_an_upload_answers_as_documented_and_the_file_url_serves_it_without_a_key(sim, client, pictures):
    data = upload(client, pictures / "quad.png")
    for name in ("file_id", "file_name", "original_name", "file_size", "mime_type", "upload_path", "file_url",
                 "download_url", "upload_time", "expires_at"):
        assert name in data
    assert data["original_name"] == "quad.png" and data["mime_type"] == "image/png"
    expires = datetime.fromisoformat(data["expires_at"].replace("Z", "+00:00")).timestamp()
    assert abs(expires - time.time() - options.UPLOADED_FILE_LIFETIME_SECONDS) < 60
    served = httpx.get(data["file_url"])  # public: no Authorization header
    assert served.status_code == 200 and served.content == (pictures / "quad.png").read_bytes()
    quota = client.get(options.FILES_QUOTA_PATH).json()["data"]
    assert quota["used_files"] == 1 and quota["remain_files"] == quota["max_files"] - 1


def test_base64_and_url_uploads_store_the_same_bytes(sim, client, pictures):
    raw = (pictures / "grey.jpg").read_bytes()
    as_data_url = "data:image/jpeg;base64," + base64.b64encode(raw).decode()
    one = client.post(options.UPLOAD_BASE64_PATH, json={"base64_data": as_data_url, "file_name": "g.jpg"})
    two = client.post(options.UPLOAD_BASE64_PATH, json={"base64_data": base64.b64encode(raw).decode()})
    three = client.post(options.UPLOAD_URL_PATH, json={"file_url": one.json()["data"]["file_url"]})
    urls = [r.json()["data"]["file_url"] for r in (one, two, three)]
    assert len(set(urls)) == 3 and all(httpx.get(u).content == raw for u in urls)


@pytest.mark.parametrize(
    ("files", "status", "fragment"),
    [
        ({"file": ("notes.txt", b"hello", "text/plain")}, 400, "Unsupported file type"),
        ({"other": ("a.png", b"x", "image/png")}, 400, "file is required"),
    ],
)
def test_a_refused_upload_answers_success_false_with_a_message(sim, client, files, status, fragment):
    response = client.post(options.UPLOAD_STREAM_PATH, files=files)
    assert response.status_code == status
    answer = response.json()
    assert answer["success"] is False and answer["code"] == status and fragment in answer["msg"]


def test_uploads_need_the_key(sim, pictures):
    sim.api_key = "test-key"
    try:
        response = httpx.post(sim.base_url + options.UPLOAD_STREAM_PATH, files={"file": ("a.png", b"x")})
    finally:
        sim.api_key = None
    assert response.status_code == 401


# ---------------------------------------------------------------- the nine models


def test_every_model_of_the_grid_is_accepted_with_the_inputs_it_takes(sim, client, pictures):
    image = upload(client, pictures / "quad.png")["file_url"]
    media = {options.MODE_TEXT: {}, options.MODE_FRAMES: {"image_urls": [image]},
             options.MODE_REFERENCES: {"image_urls": [image], "prompt": "@image1 dances."}}
    assert len(options.MODEL_SPECS) == 9
    for spec in options.MODEL_SPECS.values():
        quality = spec.qualities[-1]
        response = create(client, model=spec.id, quality=quality, **media[spec.mode])
        assert response.status_code == 200, (spec.id, response.text)
        assert response.json()["usage"]["credits_reserved"] > 0


def _bad_bodies(image: str) -> list[tuple[dict, str, str]]:
    return [
        ({"model": options.model_id("frames", "Fast"), "image_urls": [image], "quality": "1080p"}, "quality",
         "480p, 720p"),
        ({"model": options.MODEL_STANDARD, "quality": "1080p"}, "quality", "480p, 720p"),
        ({"model": FRAMES, "image_urls": [image], "model_params": {"web_search": True}},
         "model_params.web_search", "not supported"),
        ({"model": options.model_id("text", "Mini"), "model_params": {"web_search": True}},
         "model_params.web_search", "not supported"),
        ({"model": FRAMES}, "image_urls", "takes 1-2 image_urls (got 0)"),
        ({"model": FRAMES, "image_urls": [image] * 3}, "image_urls", "takes 1-2 image_urls (got 3)"),
        ({"model": FRAMES, "image_urls": [image], "video_urls": [image]}, "video_urls", "takes 0-0"),
        ({"model": REFS, "image_urls": [image] * 10}, "image_urls", "takes 0-9"),
        ({"model": REFS, "audio_urls": [image]}, "audio_urls", "audio alone is refused"),
        ({"model": REFS}, "image_urls", "at least one image or video"),
        ({"model": REFS, "image_urls": [image, image], "prompt": "@image1 and @image3"}, "prompt", "@image3"),
        ({"model": FRAMES, "image_urls": ["data:image/png;base64,AAAA"]}, "image_urls", "upload the file"),
        ({"model": FRAMES, "image_urls": [image], "first_frame": image}, "first_frame", "image_urls"),
        ({"model": FRAMES, "image_urls": [image], "content_filter": "off"}, "content_filter", "boolean"),
        ({"model": options.MODEL_STANDARD, "video_urls": [image]}, "video_urls", "text-to-video"),
    ]


@pytest.mark.parametrize("case", range(15))
def test_each_rule_of_the_grid_answers_400_naming_the_field(sim, client, case):
    body, param, fragment = _bad_bodies("https://cdn.example.com/a.png")[case]
    response = create(client, **body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param and fragment in error["message"] and error["code"] == "invalid_parameters"
    assert sim.create_count == 0


# ---------------------------------------------------------------- media fetched like the provider


def test_every_media_url_is_fetched_including_its_own_file_urls(sim, client, pictures):
    first = upload(client, pictures / "quad.png")["file_url"]
    last = upload(client, pictures / "grey.jpg")["file_url"]
    task = wait(client, create(client, model=FRAMES, image_urls=[first, last]).json()["id"])
    assert task["status"] == "completed"
    assert sim.count("GET", "/files/") == 2


@pytest.mark.parametrize(
    ("name", "code", "fragment"),
    [
        (None, "image_processing_error", "Failed to download image (HTTP 404)"),
        ("anim.gif", "invalid_parameters", "Unsupported image format GIF"),
        ("tiny.png", "invalid_parameters", "100x100 is outside 300-6000 px"),
    ],
)
def test_an_input_that_cannot_be_fetched_or_used_fails_the_task(sim, client, pictures, name, code, fragment):
    url = upload(client, pictures / name)["file_url"] if name else sim.base_url + "/files/file_missing/x.png"
    response = create(client, model=FRAMES, image_urls=[url])
    assert response.status_code == 200  # the create is accepted; the task fails, as with the provider
    task = wait(client, response.json()["id"])
    assert task["status"] == "failed" and task["error"]["code"] == code
    assert fragment in task["error"]["message"]


def test_reference_video_seconds_are_billed_and_checked(sim, client, pictures, tmp_path):
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "clip.mp4").write_bytes((pictures / "clip.mp4").read_bytes())
    with MediaHost(tmp_path / "www") as host:
        sim.trust(host.url)  # a loopback host: the simulator fetches only public addresses otherwise
        clip_url = f"{host.url}/clip.mp4"
        accepted = create(client, model=REFS, video_urls=[clip_url], content_filter=False)
        task = wait(client, accepted.json()["id"])
        too_many = create(client, model=REFS, video_urls=[clip_url] * 4)
        too_long = wait(client, create(client, model=REFS, video_urls=[clip_url] * 3).json()["id"])
    # 4 s out + max(3 s in, 4 s) = 8 billed seconds, x1.1 with the filter off.
    assert accepted.json()["usage"]["credits_reserved"] == pytest.approx(round(5.093 * 8 * 1.1, 4))
    assert task["status"] == "completed" and too_many.status_code == 400
    assert too_long["status"] == "completed"  # 9 s together: within 15 s
    assert host.served.count("/clip.mp4") == 4  # each URL fetched, once per use


def test_content_policy_with_an_image_names_the_input(sim, client, pictures):
    image = upload(client, pictures / "quad.png")["file_url"]
    response = create(client, model=FRAMES, image_urls=[image], prompt="[sim:fail=content_policy_violation]")
    task = wait(client, response.json()["id"])
    assert task["error"]["code"] == "content_policy_violation"
    assert "photorealistic people detected" in task["error"]["message"]


# ---------------------------------------------------------------- the picture in the placeholder


def test_the_placeholder_opens_on_the_first_frame_and_adaptive_follows_its_shape(sim, client, tmp_path):
    portrait = quadrant_image(tmp_path / "portrait.png", size=(720, 1280))
    image = upload(client, portrait)["file_url"]
    created = create(client, model=FRAMES, image_urls=[image], aspect_ratio="adaptive")
    task = wait(client, created.json()["id"])
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(httpx.get(task["results"][0]).content)
    with av.open(str(clip)) as container:
        first = next(container.decode(video=0)).to_image()
    assert first.size == options.frame_size("480p", "9:16")
    for point, colour in zip(margin_points(*first.size), QUADRANTS, strict=True):
        assert close_to(first.getpixel(point), colour), (point, first.getpixel(point))


def test_text_clips_keep_their_cache_key():
    from seedance_ui.simulator.render import RENDER_VERSION

    spec = VideoSpec("A lighthouse", 4, "480p", "16:9", False)
    before = {"prompt": "A lighthouse", "duration": 4, "quality": "480p", "aspect_ratio": "16:9",
              "generate_audio": False, "model": options.DEFAULT_MODEL, "v": RENDER_VERSION}
    blob = json.dumps(before, sort_keys=True, ensure_ascii=False).encode()
    assert spec.cache_key() == hashlib.sha256(blob).hexdigest()[:32]  # cached text clips stay valid
    framed = VideoSpec("A lighthouse", 4, "480p", "16:9", False, frames=("/x.png",))
    assert framed.cache_key() != spec.cache_key()


def test_frames_render_directly(tmp_path, pictures):
    spec = VideoSpec("Moving", 4, "480p", "16:9", False, frames=(str(pictures / "quad.png"),))
    path = render_video(spec, tmp_path / "f.mp4")
    with av.open(str(path)) as container:
        frames = [f.to_image() for f in container.decode(video=0)]
    points = margin_points(*frames[0].size)
    assert all(close_to(frames[0].getpixel(p), c) for p, c in zip(points, QUADRANTS, strict=True))
    assert frames[0].tobytes() != frames[-1].tobytes()  # the picture moves (a slow push-in)


# ---------------------------------------------------------------- pictures past the limits (issue 20)

BOMB_SIDE = 13_000  # 169 M pixels in about 20 KB: hundreds of MB once decoded
REFUSE_RSS_MB = 50  # a refused picture costs at most this much more peak memory (how fast: make bench)


def bomb(path: Path) -> Path:
    """A 1-bit PNG claiming BOMB_SIDE x BOMB_SIDE pixels, a few KB on disk."""
    Image.new("1", (BOMB_SIDE, BOMB_SIDE)).save(path, optimize=True)
    return path


def peak_mb(pid: int | str = "self") -> float:
    """VmHWM (peak resident memory) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def reset_peak(pid: int | str = "self") -> float:
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return peak_mb(pid)


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    """`python -m seedance_ui.simulator` in its own process (nothing of the studio imported: Pillow's
    limits are the simulator's own); its pid and base URL."""
    port = free_port()
    folder = tmp_path_factory.mktemp("standalone")
    process = subprocess.Popen(
        [sys.executable, "-m", "seedance_ui.simulator", "--port", str(port), "--api-key", "test-key",
         "--video-cache-dir", str(folder)],
        cwd=Path(__file__).resolve().parents[1], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{url}/api/v1/files/quota", headers=KEY, timeout=1).status_code == 200
        except httpx.HTTPError:
            return process.poll() is not None  # stopped: the assertion below says so

    try:
        wait_until(up, timeout=30)
        assert process.poll() is None, "the standalone simulator did not start"
        yield process.pid, url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_the_standalone_file_api_refuses_a_bomb_from_its_header(standalone, tmp_path):
    pid, url = standalone
    data = bomb(tmp_path / "bomb.png").read_bytes()
    assert len(data) < 64 * 1024
    before = reset_peak(pid)
    with httpx.Client(base_url=url, headers=KEY, timeout=20) as http:
        response = http.post(options.UPLOAD_STREAM_PATH, files={"file": ("bomb.png", data, "image/png")})
        quota = http.get("/api/v1/files/quota").json()["data"]
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["success"] is False and answer["code"] == 400 and answer.get("data") is None
    assert "Image too large" in answer["msg"] and f"{options.IMAGE_MAX_SIDE} px" in answer["msg"]
    assert peak_mb(pid) - before < REFUSE_RSS_MB
    assert quota["used_files"] == 0  # nothing was stored


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_bomb_behind_an_image_url_fails_the_task_undecoded(sim, client, tmp_path):
    (tmp_path / "www").mkdir()
    bomb(tmp_path / "www" / "bomb.png")
    side = options.IMAGE_MAX_SIDE + 1  # within Pillow's own limits, past the contract's sides
    Image.new("1", (side, 400)).save(tmp_path / "www" / "wide.png", optimize=True)
    with MediaHost(tmp_path / "www") as host:
        sim.trust(host.url)
        before = reset_peak()
        tasks = [wait(client, create(client, model=FRAMES, image_urls=[f"{host.url}/{name}"]).json()["id"])
                 for name in ("bomb.png", "wide.png")]
        growth = peak_mb() - before
    assert growth < REFUSE_RSS_MB, f"peak RSS grew {growth:.0f} MB"
    for task, size in zip(tasks, ("over", f"{side}x400 px"), strict=True):
        assert task["status"] == "failed" and task["error"]["code"] == "invalid_parameters", task
        assert "Image too large" in task["error"]["message"] and size in task["error"]["message"]
