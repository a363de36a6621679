"""Frames and references through SeedanceClient, against the simulator over loopback.

Every create goes through a recording proxy, so the body the provider receives is checked as sent;
the simulator's request log counts uploads and creates. Refusals must come before both.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from conftest import RecordingProxy
from media_files import (
    QUADRANTS,
    MediaHost,
    close_to,
    first_and_last_frames,
    margin_points,
    plain_image,
    quadrant_image,
    video_file,
    wav_file,
)

from seedance_ui.client import (
    GenerationRequest,
    RetryPolicy,
    SeedanceClient,
    TaskFailedError,
    UploadError,
    ValidationError,
)
from seedance_ui.options import (
    CREATE_PATH,
    UPLOAD_STREAM_PATH,
    UPLOADED_FILE_LIFETIME_SECONDS,
    model_id,
)
from seedance_ui.simulator import Simulator

KEY = "sk-modes-test-key-0123456789"
FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, max_total=5.0)
FRAMES = model_id("frames", "Standard")
REFERENCES = model_id("references", "Fast")
UPLOAD = UPLOAD_STREAM_PATH
SECOND_PICTURE = ((20, 20, 20), (250, 250, 250), (250, 140, 0), (120, 0, 160))


@pytest.fixture(scope="module")
def simulator(tmp_path_factory):
    with Simulator(speed=100, api_key=KEY, seed=3, video_cache_dir=tmp_path_factory.mktemp("clips")) as sim:
        yield sim


@pytest.fixture(scope="module")
def proxy(simulator):
    recording = RecordingProxy(simulator.base_url).start()
    yield recording
    recording.stop()


@pytest.fixture
def sim(simulator, proxy):
    simulator.reset()
    simulator.set_behaviour(estimated_time=20)
    proxy.records.clear()
    return simulator


@pytest.fixture(scope="module")
def media(tmp_path_factory, simulator):
    """Pictures, clips and sounds, some hosted on a loopback web server the client and the simulator
    (which fetches only public addresses otherwise, as the provider does) are told to trust."""
    folder = tmp_path_factory.mktemp("media")
    quadrant_image(folder / "quad.png")
    quadrant_image(folder / "second.png", colours=SECOND_PICTURE)
    plain_image(folder / "small.png", (200, 200))
    plain_image(folder / "wide.jpg", (1500, 500))
    plain_image(folder / "anim.gif", (640, 640), fmt="GIF")
    plain_image(folder / "ok.webp", (640, 480), fmt="WEBP")
    huge = plain_image(folder / "huge.png", (640, 480))
    with huge.open("ab") as handle:  # a valid PNG header followed by 31 MB: too big to send
        handle.truncate(31 * 1024 * 1024)
    video_file(folder / "nine.mp4", 9)
    video_file(folder / "short.mp4", 1)
    video_file(folder / "slow.mp4", 3, fps=8)
    wav_file(folder / "long.wav", 16)
    wav_file(folder / "voice.wav", 3)
    with MediaHost(folder) as host:
        simulator.trust(host.url)
        yield folder, host


def client_for(sim, proxy, media_host=None, clock=time.time, **kw):
    """A client whose API and file API go through the recording proxy."""
    trusted = (media_host.url,) if media_host else ()
    return SeedanceClient(
        KEY, proxy.url, files_url=proxy.url, retry=FAST, poll_interval=0.05, request_timeout=10,
        trusted_media_origins=trusted, clock=clock, **kw,
    )


def uploads(sim) -> int:
    return sim.count("POST", UPLOAD)


def creates(sim) -> int:
    return sim.count("POST", CREATE_PATH)


def frames_request(first, last=None, **kw) -> GenerationRequest:
    kw.setdefault("prompt", "The picture comes alive, slow push in.")
    return GenerationRequest(
        model=FRAMES, duration=4, quality="480p", aspect_ratio="adaptive",
        first_frame=str(first), last_frame=str(last) if last else None, **kw,
    )


# ---------------------------------------------------------------- frames


async def test_a_png_is_uploaded_once_and_the_finished_clip_opens_on_it(sim, proxy, media, tmp_path):
    folder, _ = media
    async with client_for(sim, proxy) as client:
        task = await client.create(frames_request(folder / "quad.png"))
        again = await client.create(frames_request(folder / "quad.png", prompt="The same picture, again."))
        done = await client.wait(task.id)
        clip = await client.download(done.video_url, tmp_path / "clip.mp4")
        await client.wait(again.id)
    assert uploads(sim) == 1 and creates(sim) == 2
    upload_answer_url = proxy.creates()[0].body["image_urls"][0]
    assert [c.body["image_urls"] for c in proxy.creates()] == [[upload_answer_url]] * 2
    assert "/files/" in upload_answer_url and sim.count("GET", "/files/") == 2  # the provider fetched it
    first, _ = first_and_last_frames(clip)
    for point, colour in zip(margin_points(*first.size), QUADRANTS, strict=True):
        assert close_to(first.getpixel(point), colour), (point, first.getpixel(point), colour)


async def test_two_frames_keep_their_order_first_then_last(sim, proxy, media, tmp_path):
    folder, _ = media
    async with client_for(sim, proxy) as client:
        task = await client.create(frames_request(folder / "quad.png", folder / "second.png"))
        done = await client.wait(task.id)
        clip = await client.download(done.video_url, tmp_path / "two.mp4")
    assert uploads(sim) == 2
    (body,) = [c.body for c in proxy.creates()]
    sent = [r for r in proxy.records if r.path == UPLOAD]
    names = [r.body.split(b'filename="')[1].split(b'"')[0] for r in sent]
    assert names == [b"quad.png", b"second.png"]
    assert len(body["image_urls"]) == 2 and body["image_urls"][0] != body["image_urls"][1]
    first, last = first_and_last_frames(clip)
    points = margin_points(*first.size)
    assert all(close_to(first.getpixel(p), c) for p, c in zip(points, QUADRANTS, strict=True))
    assert all(close_to(last.getpixel(p), c) for p, c in zip(points, SECOND_PICTURE, strict=True))


async def test_a_references_request_sends_both_images_in_order(sim, proxy, media):
    folder, host = media
    second_url = f"{host.url}/ok.webp"
    request = GenerationRequest(
        prompt="@image1 walks into the room of @image2, handheld camera.",
        model=REFERENCES, duration=4, quality="480p", aspect_ratio="16:9",
        reference_images=(str(folder / "quad.png"), second_url),
    )
    async with client_for(sim, proxy, host) as client:
        task = await client.create(request)
        await client.wait(task.id)
    (body,) = [c.body for c in proxy.creates()]
    assert body["model"] == REFERENCES and "model_params" not in body
    assert body["image_urls"][0].startswith(sim.base_url + "/files/") and body["image_urls"][1] == second_url
    assert body["prompt"] == request.prompt and uploads(sim) == 1


async def test_references_with_video_and_audio_urls_reach_the_api(sim, proxy, media):
    _, host = media
    request = GenerationRequest(
        prompt="Copy the camera movement of @video1, music from @audio1.",
        model=REFERENCES, duration=4, quality="480p", aspect_ratio="adaptive",
        reference_video_urls=(f"{host.url}/nine.mp4",), reference_audio_urls=(f"{host.url}/voice.wav",),
        content_filter=False,
    )
    async with client_for(sim, proxy, host) as client:
        measured = await client.check(request)
        task = await client.create(request)
        done = await client.wait(task.id)
    assert round(measured.video_seconds) == 9 and done.status.value == "completed"
    (body,) = [c.body for c in proxy.creates()]
    assert body["video_urls"] == [f"{host.url}/nine.mp4"] and body["audio_urls"] == [f"{host.url}/voice.wav"]
    assert body["content_filter"] is False and "image_urls" not in body
    # 4 s out + max(9 s in, 4 s) = 13 billed seconds at Fast 480p, x1.1 with the filter off.
    assert task.credits_reserved == pytest.approx(round(4.1254 * 13 * 1.1, 4))


# ---------------------------------------------------------------- refusals before anything is sent


def _refusals(folder: Path, host: str) -> list[tuple[dict, str, str]]:
    quad, second = str(folder / "quad.png"), str(folder / "second.png")
    refs = {"model": REFERENCES}
    return [
        ({"first_frame": str(folder / "small.png")}, "first_frame",
         "each side must be 300-6000 px (got 200x200)"),
        ({"first_frame": str(folder / "anim.gif")}, "first_frame",
         "must be a JPEG, PNG or WebP image (got GIF)"),
        ({"first_frame": str(folder / "wide.jpg")}, "first_frame", "width/height must be 0.4-2.5 (got 3.00"),
        ({"first_frame": str(folder / "huge.png")}, "first_frame", "must be at most 30 MB (got 31.0 MB)"),
        ({"first_frame": quad, "last_frame": second, "reference_images": (quad,)}, "reference_images",
         "at most 2 images"),
        ({"model": model_id("text", "Standard"), "first_frame": quad}, "first_frame", "is a text model"),
        ({"first_frame": quad, "web_search": True}, "web_search", "only the Standard and Fast text models"),
        ({"model": model_id("frames", "Fast"), "first_frame": quad, "quality": "1080p"}, "quality",
         "must be one of 480p, 720p (got '1080p')"),
        ({**refs, "reference_audio_urls": (f"{host}/voice.wav",)}, "reference_audio_urls", "audio alone"),
        ({**refs}, "reference_images", "needs at least one image or video"),
        ({**refs, "reference_video_urls": (f"{host}/nine.mp4", f"{host}/nine.mp4")}, "reference_video_urls",
         "must last at most 15 s together (got 18.0 s)"),
        ({**refs, "reference_video_urls": (f"{host}/short.mp4",)}, "reference_video_urls[1]",
         "must last 2-15 s (got 1.0 s)"),
        ({**refs, "reference_video_urls": (f"{host}/slow.mp4",)}, "reference_video_urls[1]",
         "must run at 24-60 fps (got 8)"),
        ({**refs, "reference_images": (quad,), "reference_audio_urls": (f"{host}/long.wav",)},
         "reference_audio_urls[1]", "must last 2-15 s (got 16.0 s)"),
        ({**refs, "reference_images": (quad, second), "prompt": "@image1 meets @image3"}, "prompt",
         "@image3 names no input: there are 2 reference images"),
        ({**refs, "reference_video_urls": ("http://127.0.0.1:9/clip.mp4",)}, "reference_video_urls[1]",
         "must be an https:// URL"),
        ({**refs, "reference_video_urls": ("https://10.0.0.7/clip.mp4",)}, "reference_video_urls[1]",
         "private"),
        ({**refs, "reference_images": ("https://169.254.169.254/pic.png",)}, "reference_images[1]",
         "link-local"),
        ({**refs, "reference_images": ("data:image/png;base64,iVBORw0KGgo=",)}, "reference_images[1]",
         "upload the file instead"),
        ({**refs, "reference_images": (f"{host}/missing.png",)}, "reference_images[1]",
         "could not be fetched (HTTP 404)"),
        ({**refs, "reference_images": (str(folder / "nope.png"),)}, "reference_images[1]", "names no file"),
    ]


def test_the_refusal_table_covers_the_issue_list(media):
    folder, host = media
    rules = " | ".join(rule for _, _, rule in _refusals(folder, host.url))
    for needed in ("200x200", "GIF", "at most 2 images", "text model", "only the Standard and Fast text",
                   "audio alone", "15 s together", "@image3", "https://"):
        assert needed in rules


@pytest.mark.parametrize("case", range(21))
async def test_each_refusal_names_field_and_rule_before_any_upload_or_create(sim, proxy, media, case):
    folder, host = media
    table = _refusals(folder, host.url)
    assert len(table) == 21
    changes, field, fragment = table[case]
    params = {"prompt": "A slow dolly in.", "model": FRAMES, "duration": 4, "quality": "480p", **changes}
    async with client_for(sim, proxy, host) as client:
        with pytest.raises(ValidationError) as caught:
            await client.create(GenerationRequest(**params))
    assert caught.value.field == field, caught.value.message
    assert fragment in caught.value.message and caught.value.message.startswith(f"{field}: ")
    assert uploads(sim) == 0 and creates(sim) == 0 and not proxy.creates()


# ---------------------------------------------------------------- uploads


async def test_an_expired_upload_is_uploaded_again_before_the_create(sim, proxy, media):
    folder, _ = media
    now = [time.time()]
    sim.files.clock = lambda: now[0]  # the provider's and the client's clocks move together
    try:
        async with client_for(sim, proxy, clock=lambda: now[0]) as client:
            await client.create(frames_request(folder / "quad.png"))
            now[0] += UPLOADED_FILE_LIFETIME_SECONDS - 60  # a minute left: too little to rely on
            await client.create(frames_request(folder / "quad.png"))
            now[0] += 120  # the first upload has now expired at the provider too
            await client.create(frames_request(folder / "quad.png"))
            first, second, third = (c.body["image_urls"][0] for c in proxy.creates())
            gone = await client._http.get(first)
    finally:
        sim.files.clock = time.time
    assert uploads(sim) == 2 and creates(sim) == 3
    assert first != second == third and gone.status_code == 404
    order = [r.path for r in proxy.records if r.method == "POST"]
    assert order == [UPLOAD, CREATE_PATH, UPLOAD, CREATE_PATH, CREATE_PATH]


async def test_another_key_uploads_its_own_copy(sim, proxy, media):
    folder, _ = media
    sim.api_key = None  # any key is accepted now
    try:
        async with client_for(sim, proxy) as one:
            shared = one.upload_cache
            await one.upload_image(folder / "quad.png")
        async with SeedanceClient("sk-another-key-000000", proxy.url, files_url=proxy.url, retry=FAST,
                                  upload_cache=shared) as other:
            await other.upload_image(folder / "quad.png")
            await other.upload_image(folder / "quad.png")
    finally:
        sim.api_key = KEY
    assert uploads(sim) == 2
    assert KEY not in repr(shared._entries)  # the cache keys on a hash of the key, never the key


@pytest.mark.parametrize("status", [400, 200])
async def test_an_upload_answered_with_an_error_fails_with_the_providers_message(sim, proxy, media, status):
    folder, _ = media
    refusal = '{"success": false, "code": 400, "msg": "File rejected: storage policy forbids this upload"}'
    sim.inject("upload", status=status, body=refusal)
    async with client_for(sim, proxy) as client:
        with pytest.raises(UploadError) as caught:
            await client.create(frames_request(folder / "quad.png"))
    assert "File rejected: storage policy forbids this upload" in caught.value.message
    assert "quad.png" in caught.value.message and "nothing was created" in caught.value.hint
    assert uploads(sim) == 1 and creates(sim) == 0


async def test_a_transient_upload_failure_is_retried(sim, proxy, media):
    folder, _ = media
    sim.inject("upload", status=503)
    async with client_for(sim, proxy) as client:
        await client.create(frames_request(folder / "quad.png"))
    assert uploads(sim) == 2 and creates(sim) == 1


# ---------------------------------------------------------------- failures with media


@pytest.mark.parametrize(
    ("code", "message", "hint"),
    [
        ("content_policy_violation", "photorealistic people detected", "use a different picture"),
        ("image_processing_error", "Failed to process the input image", "not HEIC or AVIF"),
    ],
)
async def test_a_failed_media_task_shows_the_providers_message_and_what_to_change(
    sim, proxy, media, code, message, hint
):
    folder, _ = media
    async with client_for(sim, proxy) as client:
        request = frames_request(folder / "quad.png", prompt=f"A portrait [sim:fail={code}]")
        task = await client.create(request)
        with pytest.raises(TaskFailedError) as caught:
            await client.wait(task.id)
    assert caught.value.code == code and message in caught.value.message
    assert hint in caught.value.hint and "not charged" in caught.value.hint


async def test_an_input_the_provider_cannot_fetch_fails_the_task_with_its_message(sim, proxy, media):
    _, host = media
    host.served.clear()
    host.once.add("/ok.webp")  # reachable when the client checks it, gone when the provider fetches it
    request = GenerationRequest(
        prompt="@image1 in the rain.", model=REFERENCES, duration=4, quality="480p",
        reference_images=(f"{host.url}/ok.webp",),
    )
    try:
        async with client_for(sim, proxy, host) as client:
            task = await client.create(request)
            with pytest.raises(TaskFailedError) as caught:
                await client.wait(task.id)
    finally:
        host.once.clear()
    assert host.served.count("/ok.webp") >= 2 and creates(sim) == 1
    assert caught.value.code == "image_processing_error" and "HTTP 404" in caught.value.message
    assert "public and still valid" in caught.value.hint


@pytest.mark.parametrize("address", ["10.20.30.40", "127.0.0.1", "169.254.169.254", "fd00::7"])
async def test_a_name_that_resolves_to_a_private_address_is_refused_before_fetching(
    sim, proxy, media, monkeypatch, address
):
    name = "pictures.studio-cdn.example"  # public-looking; the test's own resolver maps it inside
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == name:  # what a hostile or split-horizon DNS would answer
            if ":" in address:
                return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port or 0, 0, 0))]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    request = GenerationRequest(
        prompt="@image1 at dusk.", model=REFERENCES, duration=4, quality="480p",
        reference_images=(f"https://{name}/picture.png",),
    )
    async with client_for(sim, proxy) as client:
        with pytest.raises(ValidationError) as caught:
            await client.create(request)
    assert caught.value.field == "reference_images[1]"
    assert f"must point at a public address ({name} resolves to {address})" in caught.value.message
    assert uploads(sim) == 0 and creates(sim) == 0
