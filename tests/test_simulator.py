"""The Seedance API simulator, spoken to over real HTTP on loopback with plain httpx."""

from __future__ import annotations

import json
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import pytest
from conftest import missing_system_package
from PIL import ImageFont
from virtual_clock import VirtualClock

from seedance_ui import options
from seedance_ui.simulator import LABEL, Simulator
from seedance_ui.simulator import server as sim_server
from seedance_ui.simulator.tasks import advertised_seconds, estimated_seconds

ROOT = Path(__file__).resolve().parent.parent
KEY = {"Authorization": "Bearer test-key"}
BODY = {
    "model": options.MODEL_STANDARD,
    "prompt": "A red kite over a windy beach",
    "duration": 4,
    "quality": "480p",
}
FAST = 20.0  # an estimated_time override (simulated s) that runs ~40 ms at the module's speed


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def shared_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    with Simulator(speed=500, video_cache_dir=tmp_path_factory.mktemp("videos")) as sim:
        yield sim


@pytest.fixture
def sim(shared_sim: Simulator) -> Simulator:
    shared_sim.reset()
    return shared_sim


@pytest.fixture(scope="module")
def client(shared_sim: Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=shared_sim.base_url, headers=KEY, timeout=10) as c:
        yield c


def create(client: httpx.Client, **overrides: object) -> dict:
    response = client.post(options.CREATE_PATH, json={**BODY, **overrides})
    assert response.status_code == 200, response.text
    return response.json()


def get(client: httpx.Client, task_id: str) -> dict:
    response = client.get(f"/v1/tasks/{task_id}")
    assert response.status_code == 200, response.text
    return response.json()


def wait_for(client: httpx.Client, task_id: str, statuses: set[str], timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        task = get(client, task_id)
        if task["status"] in statuses or time.monotonic() > deadline:
            assert task["status"] in statuses, task
            return task
        time.sleep(0.01)


def handler_threads() -> int:
    return sum(1 for t in threading.enumerate() if "process_request" in t.name)


def top_level_boxes(data: bytes) -> list[str]:
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        boxes.append(data[offset + 4 : offset + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        if size < 8:
            break
        offset += size
    return boxes


# ---------------------------------------------------------------- lifecycle


def test_lifecycle_to_completion_with_rising_progress(sim: Simulator, client: httpx.Client) -> None:
    sim.set_behaviour(estimated_time=300)  # 0.6 s real at speed 500
    first = create(client, duration=8, quality="720p")
    assert re.fullmatch(r"task-unified-\d+-[a-z0-9]+", first["id"])
    assert first["object"] == "video.generation.task" and first["type"] == "video"
    assert first["status"] == "pending" and first["progress"] == 0
    assert first["model"] == options.MODEL_STANDARD and abs(first["created"] - time.time()) < 5
    # The estimate is on the simulator's clock (300 provider seconds at speed 500), as the provider's is.
    assert first["task_info"] == {"can_cancel": True, "estimated_time": 1, "video_duration": 8}
    assert first["usage"] == {"billing_rule": "per_second", "credits_reserved": 88.0, "user_group": "default"}
    snapshots = [first]
    while snapshots[-1]["status"] != "completed":
        time.sleep(0.02)
        snapshots.append(get(client, first["id"]))
        assert len(snapshots) < 500
    progress = [s["progress"] for s in snapshots]
    assert progress == sorted(progress) and progress[-1] == 100
    assert "processing" in {s["status"] for s in snapshots}
    assert all(s["progress"] <= 99 for s in snapshots if s["status"] != "completed")
    for snap in snapshots:
        assert ("estimated_time" in snap["task_info"]) == (snap["progress"] < 50)
    done = snapshots[-1]
    assert done["task_info"]["can_cancel"] is False and "usage" not in done
    assert done["results"] == [f"{sim.base_url}/_sim/videos/{first['id']}.mp4"]
    completed_at = sim.task_completed_at(first["id"])
    assert completed_at is not None and completed_at <= time.monotonic()
    assert sim.task_completed_at("task-unknown") is None


def test_estimates_credits_and_defaults(sim: Simulator, client: httpx.Client) -> None:
    task = create(client, duration=None, quality=None)  # nulls mean the defaults: 5 s, 720p
    assert task["task_info"]["video_duration"] == 5
    assert estimated_seconds(options.MODEL_STANDARD, "720p", 5) == 45 + 15 * 5
    assert task["task_info"]["estimated_time"] == advertised_seconds(45 + 15 * 5, sim.speed)
    assert task["usage"]["credits_reserved"] == pytest.approx(55.0)
    fast = create(client, model=options.MODEL_FAST, duration=8, quality="480p")
    assert estimated_seconds(options.MODEL_FAST, "480p", 8) == round(165 * 0.8 * 0.6)
    assert fast["task_info"]["estimated_time"] == advertised_seconds(165 * 0.8 * 0.6, sim.speed)
    assert fast["usage"]["credits_reserved"] == pytest.approx(4.1254 * 8)


def test_create_answers_pending_however_fast_the_run(sim: Simulator, client: httpx.Client) -> None:
    sim.set_behaviour(estimated_time=0.001)
    sim.inject("create", status=200, delay=0.05)  # the run is over before the answer goes out
    task = create(client)
    assert (task["status"], task["progress"]) == ("pending", 0)
    assert get(client, task["id"])["status"] == "completed"


def test_public_base_url_prefixes_video_urls() -> None:
    sim = Simulator(public_base_url="http://sim.example:9000/")
    assert sim.video_url("task-1") == "http://sim.example:9000/_sim/videos/task-1.mp4"


def test_unknown_task_is_404(client: httpx.Client) -> None:
    response = client.get("/v1/tasks/task-unified-0-nothere")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "task_not_found"


def test_unknown_endpoint_and_wrong_method(client: httpx.Client) -> None:
    assert client.get("/v1/nothing").status_code == 404
    response = client.delete("/v1/tasks/task-unified-1-abc")
    assert response.status_code == 405 and "GET" in response.headers["allow"]


def test_duration_factor_and_slow_trigger_stretch_the_run(tmp_path: Path, monkeypatch) -> None:
    clock = VirtualClock().install(monkeypatch, sim_server)  # the simulator's time moves only when told
    with (
        Simulator(speed=500, duration_factor=(2.0, 2.0), video_cache_dir=tmp_path) as sim,
        httpx.Client(base_url=sim.base_url, headers=KEY) as client,
    ):
        sim.set_behaviour(estimated_time=50)  # 0.1 s nominal, 0.2 s actual, 0.6 s when slow
        started = clock.monotonic()
        normal = create(client)
        slow = create(client, prompt="A slow snail [sim:slow]")
        assert slow["task_info"]["estimated_time"] == normal["task_info"]["estimated_time"]  # unaware
        clock.advance(0.19)
        assert get(client, normal["id"])["status"] == "processing"
        clock.advance(0.02)
        assert get(client, normal["id"])["status"] == "completed"
        assert sim.task_completed_at(normal["id"]) - started == pytest.approx(0.2)
        assert get(client, slow["id"])["status"] in ("pending", "processing")
        clock.advance(0.38)
        assert get(client, slow["id"])["status"] == "processing"
        clock.advance(0.02)
        assert get(client, slow["id"])["status"] == "completed"
        assert sim.task_completed_at(slow["id"]) - started == pytest.approx(0.6)


def test_in_flight_and_max_in_flight(sim: Simulator, client: httpx.Client) -> None:
    sim.set_behaviour(estimated_time=100)
    ids = [create(client)["id"] for _ in range(3)]
    assert sim.in_flight() == 3 and sim.max_in_flight == 3
    for task_id in ids:
        wait_for(client, task_id, {"completed"})
    assert sim.in_flight() == 0 and sim.max_in_flight == 3
    assert sim.create_count == 3


# ---------------------------------------------------------------- validation

VALID_CASES = [
    {"prompt": " ".join(["word"] * options.MAX_PROMPT_ENGLISH_WORDS)},
    {"prompt": "猫" * options.MAX_PROMPT_CHINESE_CHARS},
    {"duration": options.DURATION_MIN},
    {"duration": options.DURATION_MAX},
    {"aspect_ratio": "adaptive", "generate_audio": False, "model_params": {"web_search": True}},
    {"callback_url": "https://hooks.example.com/seedance?x=1"},
    {"unknown_field": "passes through"},
]

INVALID_CASES = [
    ({"model": None}, "model"),
    ({"model": "seedance-1.0"}, "model"),
    ({"prompt": None}, "prompt"),
    ({"prompt": "   "}, "prompt"),
    ({"prompt": 42}, "prompt"),
    ({"prompt": " ".join(["word"] * (options.MAX_PROMPT_ENGLISH_WORDS + 1))}, "prompt"),
    ({"prompt": "猫" * (options.MAX_PROMPT_CHINESE_CHARS + 1)}, "prompt"),
    ({"duration": 3}, "duration"),
    ({"duration": 16}, "duration"),
    ({"duration": 8.5}, "duration"),
    ({"duration": "8"}, "duration"),
    ({"duration": True}, "duration"),
    ({"quality": "1080p"}, "quality"),
    ({"aspect_ratio": "2.35:1"}, "aspect_ratio"),
    ({"generate_audio": "yes"}, "generate_audio"),
    ({"model_params": "search"}, "model_params"),
    ({"model_params": {"web_search": "true"}}, "model_params.web_search"),
    ({"callback_url": "http://hooks.example.com/x"}, "callback_url"),
    ({"callback_url": "https://10.1.2.3/hook"}, "callback_url"),
    ({"callback_url": "https://127.0.0.1:8443/hook"}, "callback_url"),
    ({"callback_url": "https://[::1]/hook"}, "callback_url"),
    ({"callback_url": "https://169.254.169.254/latest"}, "callback_url"),
    ({"callback_url": "https://localhost/hook"}, "callback_url"),
    ({"callback_url": "https://example.com/" + "a" * options.MAX_CALLBACK_URL_LENGTH}, "callback_url"),
    ({"image_urls": ["https://example.com/a.png"]}, "image_urls"),
]


@pytest.mark.parametrize("overrides", VALID_CASES)
def test_valid_bodies_are_accepted(client: httpx.Client, overrides: dict) -> None:
    assert create(client, **overrides)["status"] == "pending"


@pytest.mark.parametrize(("overrides", "param"), INVALID_CASES)
def test_each_rule_answers_400_naming_the_field(
    sim: Simulator, client: httpx.Client, overrides: dict, param: str
) -> None:
    response = client.post(options.CREATE_PATH, json={**BODY, **overrides})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_parameters" and error["type"] == "invalid_request_error"
    assert error["param"] == param and error["message"]
    assert sim.create_count == 0


@pytest.mark.parametrize("content", [b"{not json", b"", b"[1, 2]"])
def test_body_that_is_not_a_json_object(client: httpx.Client, content: bytes) -> None:
    response = client.post(options.CREATE_PATH, content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["param"] == "body"


# ---------------------------------------------------------------- auth


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}])
def test_missing_key_is_401(sim: Simulator, headers: dict) -> None:
    with httpx.Client(base_url=sim.base_url, headers=headers) as anonymous:
        for path in (options.CREDITS_PATH, "/v1/tasks/task-unified-1-x", "/v1/tasks/task-unified-1-x/cancel"):
            response = anonymous.request("POST" if path.endswith("cancel") else "GET", path)
            assert response.status_code == 401
            assert response.json()["error"]["type"] == "authentication_error"
        assert anonymous.post(options.CREATE_PATH, json=BODY).status_code == 401
    assert sim.create_count == 0


def test_configured_key_must_match(tmp_path: Path) -> None:
    with Simulator(api_key="s3cret-key", video_cache_dir=tmp_path) as sim:
        wrong = httpx.get(sim.base_url + options.CREDITS_PATH, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["error"]["type"] == "authentication_error"
        assert "s3cret" not in wrong.text
        right = httpx.get(sim.base_url + options.CREDITS_PATH, headers={"Authorization": "Bearer s3cret-key"})
        assert right.status_code == 200 and right.json()["credits"] == 1234.5


# ---------------------------------------------------------------- faults


def _call(client: httpx.Client, sim: Simulator, route: str, task_id: str) -> httpx.Response:
    if route == "create":
        return client.post(options.CREATE_PATH, json=BODY)
    if route == "get":
        return client.get(f"/v1/tasks/{task_id}")
    if route == "cancel":
        return client.post(f"/v1/tasks/{task_id}/cancel")
    if route == "credits":
        return client.get(options.CREDITS_PATH)
    return client.get(sim.video_url(task_id))


@pytest.mark.parametrize("route", ["create", "get", "cancel", "credits", "video"])
def test_injected_fault_is_consumed_in_order(sim: Simulator, client: httpx.Client, route: str) -> None:
    sim.set_behaviour(estimated_time=1)
    task = create(client, prompt="fault target")
    wait_for(client, task["id"], {"completed"})
    sim.inject(route, status=503, times=2)
    sim.inject(route, status=502, body="<html>bad gateway</html>", content_type="text/html")
    first, second, third = (_call(client, sim, route, task["id"]) for _ in range(3))
    assert first.status_code == second.status_code == 503
    assert first.json()["error"]["code"] == "service_unavailable"
    assert third.status_code == 502 and third.text == "<html>bad gateway</html>"
    assert third.headers["content-type"].startswith("text/html")
    assert _call(client, sim, route, task["id"]).status_code in (200, 409)  # cancel of a finished task: 409


def test_429_fault_carries_retry_after(sim: Simulator, client: httpx.Client) -> None:
    sim.inject("create", status=429)
    sim.inject("get", status=429, headers={"Retry-After": "7"})
    limited = client.post(options.CREATE_PATH, json=BODY)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    assert limited.json()["error"]["type"] == "rate_limit_error"
    assert client.get("/v1/tasks/whatever").headers["retry-after"] == "7"
    assert sim.create_count == 0


def test_create_task_fault_creates_then_fails(sim: Simulator, client: httpx.Client) -> None:
    sim.inject("create", status=500, create_task=True)
    assert client.post(options.CREATE_PATH, json=BODY).status_code == 500
    assert sim.create_count == 1 and sim.in_flight() == 1


def test_delay_gives_timeout_after_send(sim: Simulator, client: httpx.Client, monkeypatch) -> None:
    sim.inject("create", status=200, delay=0.6)
    with pytest.raises(httpx.ReadTimeout):
        client.post(options.CREATE_PATH, json=BODY, timeout=0.2)
    assert sim.create_count == 1  # the request reached the server: a task exists (and is billed)
    sim.inject("credits", status=200, delay=0.2)
    waits: list[float] = []
    real_wait = sim.wait
    monkeypatch.setattr(sim, "wait", lambda seconds: (waits.append(seconds), real_wait(seconds)))
    assert client.get(options.CREDITS_PATH).status_code == 200  # a 2xx fault passes through...
    assert waits == [0.2]  # ...after the simulator waited its delay


def test_malformed_json_polls(sim: Simulator, client: httpx.Client) -> None:
    task = create(client)
    sim.set_behaviour(malformed_json_polls=True)
    response = client.get(f"/v1/tasks/{task['id']}")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    sim.set_behaviour(malformed_json_polls=False)
    assert get(client, task["id"])["id"] == task["id"]


@pytest.mark.parametrize(
    ("style", "content_type"),
    [("nested", "application/json"), ("flat", "application/json"), ("html", "text/html"), ("empty", None)],
)
def test_error_styles(sim: Simulator, client: httpx.Client, style: str, content_type: str | None) -> None:
    sim.set_behaviour(error_style=style)
    sim.inject("credits", status=500)
    responses = [
        client.post(options.CREATE_PATH, json={**BODY, "duration": 99}),
        client.get(options.CREDITS_PATH),
    ]
    for response in responses:
        assert response.status_code in (400, 500)
        assert response.headers.get("content-type", "").split(";")[0] == (content_type or "")
        if style == "nested":
            assert set(response.json()["error"]) >= {"code", "message", "type"}
        elif style == "flat":
            assert list(response.json()) == ["message"]
        elif style == "html":
            assert response.text.startswith("<html>") and str(response.status_code) in response.text
        else:
            assert response.content == b""


def test_bad_fault_and_behaviour_arguments(sim: Simulator) -> None:
    with pytest.raises(ValueError):
        sim.inject("nowhere", status=500)
    with pytest.raises(ValueError):
        sim.set_behaviour(error_style="xml")
    with pytest.raises(ValueError):
        sim.set_behaviour(no_such_switch=True)


# ---------------------------------------------------------------- results, cancel, failures


@pytest.mark.parametrize("field", ["results", "output", "result_data"])
def test_result_field_variants(sim: Simulator, client: httpx.Client, field: str) -> None:
    sim.set_behaviour(result_field=field, estimated_time=FAST)
    done = wait_for(client, create(client)["id"], {"completed"})
    url = sim.video_url(done["id"])
    expected = {"results": [url], "output": {"video_url": url}, "result_data": [{"video_url": url}]}[field]
    assert done[field] == expected
    assert not ({"results", "output", "result_data"} - {field}) & set(done)


def test_cancel_before_completion(sim: Simulator, client: httpx.Client) -> None:
    sim.set_behaviour(estimated_time=1000)  # 2 s real: plenty of time to cancel
    task = create(client)
    response = client.post(f"/v1/tasks/{task['id']}/cancel")
    assert response.status_code == 200
    cancelled = response.json()
    assert cancelled["status"] == "cancelled" and cancelled["task_info"]["can_cancel"] is False
    assert sim.in_flight() == 0
    assert get(client, task["id"])["status"] == "cancelled"
    assert client.post(f"/v1/tasks/{task['id']}/cancel").status_code == 409
    assert client.get(sim.video_url(task["id"])).status_code == 404
    assert sim.task_completed_at(task["id"]) is None


def test_cancel_after_completion_and_unknown(sim: Simulator, client: httpx.Client) -> None:
    sim.set_behaviour(estimated_time=FAST)
    task = wait_for(client, create(client)["id"], {"completed"})
    response = client.post(f"/v1/tasks/{task['id']}/cancel")
    assert response.status_code == 409 and response.json()["error"]["code"] == "task_not_cancellable"
    assert get(client, task["id"])["status"] == "completed"
    assert client.post("/v1/tasks/task-unified-1-nope/cancel").status_code == 404


@pytest.mark.parametrize("code", ["content_policy_violation", "generation_timeout", "made_up_code"])
def test_prompt_trigger_fails_the_task(sim: Simulator, client: httpx.Client, code: str) -> None:
    sim.set_behaviour(estimated_time=FAST)
    task = create(client, prompt=f"A crowded protest scene [sim:fail={code}]")
    failed = wait_for(client, task["id"], {"failed"})
    assert failed["error"]["code"] == code and len(failed["error"]["message"]) > 20
    assert failed["task_info"]["can_cancel"] is False
    assert not {"results", "output", "result_data"} & set(failed)
    assert client.get(sim.video_url(task["id"])).status_code == 404
    if code == "content_policy_violation":
        assert "content" in failed["error"]["message"].lower()


# ---------------------------------------------------------------- videos


@pytest.mark.parametrize(
    ("quality", "aspect_ratio", "duration", "audio"),
    [("720p", "16:9", 15, True), ("480p", "9:16", 4, False)],
)
def test_downloaded_video_matches_the_request(
    sim: Simulator,
    client: httpx.Client,
    tmp_path: Path,
    quality: str,
    aspect_ratio: str,
    duration: int,
    audio: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim.set_behaviour(estimated_time=FAST)
    params = {"quality": quality, "aspect_ratio": aspect_ratio, "duration": duration, "generate_audio": audio}
    task = wait_for(client, create(client, prompt=f"Probe me {params}", **params)["id"], {"completed"})
    # The clip's render is held until the API has answered another request: it stays responsive.
    rendering, release = threading.Event(), threading.Event()
    render = sim.videos.get

    def held_render(spec: object) -> Path:
        rendering.set()
        release.wait(30)
        return render(spec)

    monkeypatch.setattr(sim.videos, "get", held_render)
    fetched: dict[str, httpx.Response] = {}
    download = threading.Thread(target=lambda: fetched.update(video=client.get(task["results"][0])))
    download.start()
    assert rendering.wait(30)
    assert client.get(options.CREDITS_PATH).status_code == 200
    assert fetched == {}  # answered while the clip was still rendering
    release.set()
    download.join(timeout=30)
    response = fetched["video"]
    assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
    data = response.content
    assert data[4:8] == b"ftyp" and top_level_boxes(data).index("moov") < top_level_boxes(data).index("mdat")
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert abs(container.duration / 1e6 - duration) <= 0.2
        assert (stream.width, stream.height) == options.frame_size(quality, aspect_ratio)
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        assert bool(container.streams.audio) is audio
    assert len(list(sim.videos.directory.glob("*.mp4"))) >= 1
    again = client.get(task["results"][0], headers={"Range": "bytes=0-99"})
    assert again.status_code == 206 and again.content == data[:100]


def test_frames_show_the_label(tmp_path: Path) -> None:
    from seedance_ui.simulator import VideoSpec, render_video

    path = render_video(VideoSpec("A lighthouse in fog", 4, "480p", "1:1", False), tmp_path / "x.mp4")
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0)).to_image()
    top, middle = frame.crop((0, 0, 480, 40)), frame.crop((0, 200, 480, 280))
    assert top.convert("L").getextrema()[1] > 150  # bright label text on the dark strip
    assert middle.getextrema() != top.getextrema()
    assert "not model output" in LABEL


def test_chinese_prompts_are_drawn_with_a_font_that_has_their_characters(tmp_path: Path) -> None:
    from seedance_ui.simulator import VideoSpec, render_video
    from seedance_ui.textdraw import cjk_font_file
    from seedance_ui.textdraw import font_for as text_font

    if cjk_font_file() is None:  # `make test` stops before pytest without fonts-wqy-microhei
        missing_system_package("no CJK font installed (fonts-wqy-microhei)")
    missing = "\u0378"  # unassigned: every font draws its "missing glyph" box for it

    def glyph(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, char: str) -> tuple[tuple[int, int], bytes]:
        mask = font.getmask(char)
        return mask.size, bytes(mask)

    prompt = "竹林茶室，一位老人缓缓倒茶，镜头慢慢推近"
    font = text_font(prompt, 32)
    assert all(glyph(font, c) != glyph(font, missing) for c in "竹林茶室老人")
    assert text_font("A lighthouse in fog", 32).getname()[0] == "DejaVu Sans"
    # ...and the placeholder clip renders with it.
    path = render_video(VideoSpec(prompt, 4, "480p", "16:9", False), tmp_path / "zh.mp4")
    with av.open(str(path)) as container:
        assert next(container.decode(video=0)).height == 480


def test_expired_video_is_403(sim: Simulator, client: httpx.Client) -> None:
    sim.set_behaviour(estimated_time=FAST, video_expired=True)
    task = wait_for(client, create(client)["id"], {"completed"})
    response = client.get(task["results"][0])
    assert response.status_code == 403 and b"expired" in response.content


@pytest.mark.parametrize("mode", [True, "content_length"])
def test_oversized_video_can_be_cut_by_the_client(sim: Simulator, client: httpx.Client, mode: object) -> None:
    sim.set_behaviour(estimated_time=FAST, oversized_video=mode)
    task = wait_for(client, create(client)["id"], {"completed"})
    baseline = handler_threads()
    received = 0
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    with httpx.Client(timeout=5) as downloader, downloader.stream("GET", task["results"][0]) as response:
        assert response.status_code == 200
        if mode == "content_length":
            assert int(response.headers["content-length"]) >= 2 * 2**30
        else:
            assert "content-length" not in response.headers
        for chunk in response.iter_bytes():
            if received == 0:
                assert chunk[4:8] == b"ftyp"
                assert handler_threads() > baseline  # the stream's handler thread is live
            received += len(chunk)
            if received > 8 * 2**20:
                break
    # Streamed lazily: this process (server included) never came near holding the 2 GiB in memory.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 256 * 1024
    deadline = time.monotonic() + 3
    while handler_threads() > baseline and time.monotonic() < deadline:
        time.sleep(0.02)
    assert handler_threads() <= baseline  # the server noticed the disconnect and stopped streaming
    assert client.get(options.CREDITS_PATH).status_code == 200


# ---------------------------------------------------------------- log, admin routes, process


def test_request_log_and_counts(sim: Simulator, client: httpx.Client) -> None:
    task = create(client)
    get(client, task["id"])
    client.get("/v1/tasks/unknown")
    client.get("/_sim/log")
    methods_paths = [(r.method, r.path, r.status) for r in sim.requests]
    assert methods_paths == [
        ("POST", options.CREATE_PATH, 200),
        ("GET", f"/v1/tasks/{task['id']}", 200),
        ("GET", "/v1/tasks/unknown", 404),
    ]
    assert sim.count("GET", "/v1/tasks/") == 2 and sim.count("post", options.CREATE_PATH) == 1
    times = [r.time for r in sim.requests]
    assert times == sorted(times) and times[-1] <= time.monotonic()


def test_admin_http_routes(sim: Simulator, client: httpx.Client) -> None:
    admin = httpx.Client(base_url=sim.base_url)
    assert admin.post("/_sim/inject", json={"route": "credits", "status": 402}).json() == {"ok": True}
    assert client.get(options.CREDITS_PATH).status_code == 402
    assert admin.post("/_sim/inject", json={"route": "nowhere", "status": 500}).status_code == 400
    assert admin.post("/_sim/inject", json={"status": 500}).status_code == 400
    assert (
        admin.post("/_sim/behaviour", json={"error_style": "flat", "estimated_time": FAST}).status_code == 200
    )
    assert admin.post("/_sim/behaviour", json={"error_style": "bogus"}).status_code == 400
    assert client.get("/v1/tasks/nope").json() == {"message": "Task nope not found"}
    create(client)
    log = admin.get("/_sim/log").json()
    assert set(log) == {"requests", "create_count", "in_flight", "max_in_flight"}
    assert log["create_count"] == 1 and log["max_in_flight"] == 1
    assert {"method", "path", "status", "time"} <= set(log["requests"][0])
    assert admin.post("/_sim/reset").status_code == 200
    assert admin.get("/_sim/log").json() == {
        "requests": [],
        "create_count": 0,
        "in_flight": 0,
        "max_in_flight": 0,
    }
    assert sim.behaviour.error_style == "nested"
    admin.close()


def test_stop_does_not_hang_on_open_connections(tmp_path: Path) -> None:
    sim = Simulator(video_cache_dir=tmp_path).start()
    keep_alive = httpx.Client(base_url=sim.base_url, headers=KEY)
    assert keep_alive.get(options.CREDITS_PATH).status_code == 200  # leaves an idle keep-alive connection
    server, serving = sim._server, sim._thread
    assert server is not None and serving is not None
    assert len(server._connections) == 1  # the idle keep-alive connection's handler waits on it
    sim.stop()
    assert not serving.is_alive()
    for _ in range(500):  # its handler ends once stop() shut the connection
        if not server._connections:
            break
        time.sleep(0.01)
    assert not server._connections  # nothing left hanging
    with pytest.raises(httpx.TransportError):
        keep_alive.get(options.CREDITS_PATH)
    keep_alive.close()


def test_runs_standalone_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "seedance_ui.simulator", "--port", "0", "--speed", "50"]
    command += ["--video-cache-dir", str(tmp_path)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url, line
        assert httpx.get(url.group(0) + "/_sim/health").json()["ok"] is True
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
