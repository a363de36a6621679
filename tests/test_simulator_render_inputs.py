"""A demo clip shows what was sent (issue 24, item 7), checked over real HTTP against the simulator as a
client would: the reference pictures appear in the clip, a chained shot opens on exactly the frame it
was given, an extension opens on the last frame of the clip it continues, and no clip claims a shot
number its prompt did not give. A link that cannot be reached is said in plain words (never an
exception's name such as "ConnectError"), by the simulator and by the studio's own fetch."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import pytest
from conftest import free_port
from media_files import quadrant_image
from PIL import Image, ImageChops, ImageOps, ImageStat

from seedance_ui import options
from seedance_ui.client import ValidationError
from seedance_ui.client.inputs import MediaFetcher
from seedance_ui.simulator import Simulator
from seedance_ui.simulator.render import VideoSpec, card_boxes, shot_number
from seedance_ui.storyboard.validation import EXTEND_LINE, FIRST_FRAME_LINE

KEY = {"Authorization": "Bearer test-key"}
REFS = options.model_id("references", "Fast")
TEXT = options.model_id("text", "Fast")
SIZE = options.frame_size("480p", "16:9")
SAME = 8.0  # mean difference (0-255) of two downscaled pictures that show the same thing
DIFFERENT = 40.0  # ... and of two that show different things
ENDED = options.TERMINAL_STATUSES
# The part of a frame between the demo label and the timer bar (as shares of its height): the picture.
PICTURE_ROWS = (0.12, 0.86)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, httpx.Client]]:
    simulator = Simulator(speed=500, video_cache_dir=tmp_path_factory.mktemp("videos"))
    with simulator, httpx.Client(base_url=simulator.start().base_url, headers=KEY, timeout=30) as http:
        simulator.set_behaviour(estimated_time=20)
        yield simulator, http


@pytest.fixture(scope="module")
def client(served: tuple[Simulator, httpx.Client]) -> httpx.Client:
    return served[1]


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pictures")
    warm = ((230, 30, 30), (240, 220, 40), (250, 140, 30), (120, 20, 60))
    cold = ((30, 200, 60), (40, 60, 230), (20, 160, 200), (200, 200, 220))
    return {
        "warm": quadrant_image(folder / "warm.png", size=(900, 600), colours=warm),
        "cold": quadrant_image(folder / "cold.png", size=(600, 600), colours=cold),
        "frame": quadrant_image(folder / "frame.png", size=(1280, 720)),
    }


def upload(client: httpx.Client, path: Path) -> str:
    response = client.post(options.UPLOAD_STREAM_PATH, files={"file": (path.name, path.read_bytes())})
    assert response.status_code == 200, response.text
    return response.json()["data"]["file_url"]


def clip_of(client: httpx.Client, tmp_path: Path, **body: object) -> tuple[Path, str]:
    """Create a 4 s 480p 16:9 task, wait for it, download its clip; (the clip, its URL)."""
    body = {"duration": 4, "quality": "480p", "aspect_ratio": "16:9", "generate_audio": False, **body}
    created = client.post(options.CREATE_PATH, json=body)
    assert created.status_code == 200, created.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        task = client.get(f"/v1/tasks/{created.json()['id']}").json()
        if task["status"] in options.TERMINAL_STATUSES:
            break
        time.sleep(0.02)
    assert task["status"] == "completed", task
    url = task["results"][0]
    path = tmp_path / f"{task['id']}.mp4"
    path.write_bytes(httpx.get(url, timeout=30).content)
    return path, url


def decoded(path: Path) -> list[Image.Image]:
    with av.open(str(path)) as container:
        return [frame.to_image() for frame in container.decode(video=0)]


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of the two pictures at 32x18 (the same thing, re-encoded, is near 0)."""
    small = [ImageOps.fit(i.convert("RGB"), (32, 18), Image.Resampling.BOX) for i in (a, b)]
    return sum(ImageStat.Stat(ImageChops.difference(*small)).mean) / 3


def picture_part(frame: Image.Image) -> Image.Image:
    width, height = frame.size
    return frame.crop((0, round(height * PICTURE_ROWS[0]), width, round(height * PICTURE_ROWS[1])))


def fitted_part(path: Path) -> Image.Image:
    """The picture as a clip of SIZE shows it (covering the frame), cut like `picture_part`."""
    with Image.open(path) as image:
        return picture_part(ImageOps.fit(image.convert("RGB"), SIZE))


def test_a_references_clip_shows_its_two_pictures_with_their_tags(client, pictures, tmp_path):
    urls = [upload(client, pictures["warm"]), upload(client, pictures["cold"])]
    clip, _ = clip_of(client, tmp_path, model=REFS, image_urls=urls,
                      prompt="@image1 and @image2 walk along the harbour at dusk")
    frames = decoded(clip)
    middle = frames[len(frames) // 2]
    spec = VideoSpec("", 4, "480p", "16:9", cast=(("@image1", str(pictures["warm"])),
                                                   ("@image2", str(pictures["cold"]))))
    boxes = card_boxes(spec)
    assert [tag for tag, _ in boxes] == ["@image1", "@image2"]
    for (_, box), name, other in zip(boxes, ("warm", "cold"), ("cold", "warm"), strict=True):
        shown = middle.crop(box)
        with Image.open(pictures[name]) as mine, Image.open(pictures[other]) as theirs:
            assert difference(shown, ImageOps.fit(mine, shown.size)) < SAME, name
            assert difference(shown, ImageOps.fit(theirs, shown.size)) > DIFFERENT, name


def test_a_chained_shot_opens_on_exactly_the_frame_it_was_given(client, pictures, tmp_path):
    """The storyboard's chained shot with a cast: "@image1 as the first frame", then the cast."""
    urls = [upload(client, pictures["frame"]), upload(client, pictures["warm"])]
    prompt = FIRST_FRAME_LINE + "In the same moment, @image2 lights the great lamp"
    clip, _ = clip_of(client, tmp_path, model=REFS, image_urls=urls, prompt=prompt)
    frames = decoded(clip)
    given = fitted_part(pictures["frame"])
    assert difference(picture_part(frames[0]), given) < SAME
    assert difference(picture_part(frames[len(frames) // 2]), given) > SAME  # the prompt card came in
    # the frame itself is not shown as a reference card: only the cast is
    with_cast = VideoSpec("", 4, "480p", "16:9", cast=(("@image2", str(pictures["warm"])),))
    (_, box), = card_boxes(with_cast)
    shown = frames[len(frames) // 2].crop(box)
    with Image.open(pictures["warm"]) as warm:
        assert difference(shown, ImageOps.fit(warm, shown.size)) < SAME


def test_an_extension_opens_on_the_last_frame_of_the_clip_it_continues(client, pictures, tmp_path):
    source, source_url = clip_of(client, tmp_path, model=REFS, image_urls=[upload(client, pictures["warm"])],
                                 prompt="@image1 crosses the square")
    last = decoded(source)[-1]
    clip, _ = clip_of(client, tmp_path, model=REFS, video_urls=[source_url],
                      prompt=EXTEND_LINE + "The camera follows the beam down to the boat")
    first = decoded(clip)[0]
    assert difference(picture_part(first), picture_part(last)) < SAME
    text_clip, _ = clip_of(client, tmp_path, model=TEXT, prompt="The camera follows the beam to the boat")
    assert difference(picture_part(decoded(text_clip)[0]), picture_part(last)) > SAME  # not by chance


def test_a_clip_names_only_the_shot_its_prompt_names():
    assert shot_number("Shot 3: the keeper climbs") == 3
    assert shot_number("  SHOT #12 — wide") == 12
    assert shot_number("[sim:slow] shot 2 the beam") == 2
    assert shot_number(EXTEND_LINE + "The camera follows the beam") is None
    assert shot_number("A lighthouse keeper, shot on 35 mm") is None


# ---------------------------------------------------------------- a link that cannot be reached


def closed_origin() -> str:
    """An origin on loopback where nothing listens (a connection to it is refused at once)."""
    return f"http://127.0.0.1:{free_port()}"


def test_a_reference_link_the_simulator_cannot_reach_fails_in_plain_words(served, client):
    simulator, _ = served
    dead = closed_origin()
    simulator.trust(dead)  # past the public-address rule, so the connection itself is what fails
    created = client.post(options.CREATE_PATH, json={
        "model": REFS, "prompt": "Continue @video1", "duration": 4, "quality": "480p",
        "video_urls": [f"{dead}/clip.mp4"],
    })
    deadline = time.monotonic() + 30
    while (task := client.get(f"/v1/tasks/{created.json()['id']}").json())["status"] not in ENDED:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    message = task["error"]["message"]
    assert task["error"]["code"] == "image_processing_error"
    assert "could not be reached" in message and "Error" not in message, message


def test_a_reference_link_the_studio_cannot_reach_is_refused_in_plain_words(tmp_path):
    dead = closed_origin()

    async def fetch() -> ValidationError:
        async with httpx.AsyncClient(timeout=5) as http:
            with pytest.raises(ValidationError) as refused:
                await MediaFetcher(http, tmp_path, (dead,)).local("reference_video_urls[1]",
                                                                 f"{dead}/clip.mp4", "video")
        return refused.value

    rule = asyncio.run(fetch()).rule
    assert "could not be reached" in rule and "Error" not in rule, rule
