"""Issue 20, items 1-4: pictures measured before they are decoded, imported boards held to the upload
rules, review manifests that never open a path from an imported file, and `/generate` inputs that are
only files uploaded with the call.

The studio runs as `python app.py` in a subprocess (against the contract simulator), so the memory a
hostile upload costs is the app's own peak RSS (VmHWM, reset through /proc/<pid>/clear_refs).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from typing import Any

import httpx
import pytest
from app_process import all_jobs, app_env, start_app, stop_app, wait_healthy
from conftest import free_port, run_async
from gradio_client import Client, handle_file
from media_files import plain_image
from PIL import Image

from bench.gradio_api import API, Event, acall, astream, find_events, session_hash
from seedance_ui.client.media_rules import image_problem, measure_image
from seedance_ui.options import IMAGE_MAX_PIXELS, IMAGE_MAX_SIDE, UPLOAD_STREAM_PATH
from seedance_ui.simulator import Simulator

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning"),
]

KEY = "sk-redteam-images-key-0123"
BOMB_SIDE = 13_000  # 169 M pixels in about 20 KB: gigabytes once decoded
REFUSE_RSS_MB = 50  # a hostile upload is refused for at most this much more peak memory, four at once
# included (how FAST it is refused is measured in `make bench`, section abuse, never in a unit test)
AT_ONCE = 4


@dataclass
class App:
    url: str
    process: Popen
    client: Client
    data_dir: Path
    pictures: Path
    sim: Simulator  # the provider: its creates and file uploads are counted

    def reset_peak(self) -> None:
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def peak_mb(self) -> float:
        return peak_mb(self.process.pid)


def peak_mb(pid: int | str = "self") -> float:
    """VmHWM (peak resident memory) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def bomb(path: Path, side: int = BOMB_SIDE) -> Path:
    """A 1-bit PNG claiming side x side pixels, a few KB on disk."""
    Image.new("1", (side, side)).save(path, optimize=True)
    return path


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    root = tmp_path_factory.mktemp("redteam-images")
    pictures = root / "pictures"
    pictures.mkdir()
    bomb(pictures / "bomb.png")
    plain_image(pictures / "victim.png", (640, 480), colour=(200, 30, 90))
    with Simulator(speed=200, api_key=KEY) as sim:
        port = free_port()
        env = {**app_env(sim.base_url, KEY, root / "data", port), "EVOLINK_FILES_URL": sim.base_url}
        log_path = root / "app.log"
        process = start_app(env, log_path)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, process, log_path)
            client = Client(url, verbose=False, download_files=False)
            yield App(url, process, client, root / "data", pictures, sim)
        finally:
            stop_app(process)


def defaults(app: App, event: Event) -> list[Any]:
    """The event's inputs as a fresh page holds them (each component's initial value, from /config)."""
    config = httpx.get(f"{app.url}/config", timeout=10).json()
    values = {c["id"]: c.get("props", {}).get("value") for c in config["components"]}
    [dep] = [d for d in config["dependencies"] if d["id"] == event.fn_index]
    return [values.get(i) for i in dep["inputs"]]


def upload(app: App, path: Path) -> dict[str, Any]:
    """POST the file to Gradio's upload route as the page does; its FileData."""
    with path.open("rb") as f:
        r = httpx.post(f"{app.url}{API}/upload", files={"files": (path.name, f, "image/png")}, timeout=30)
    r.raise_for_status()
    [served] = r.json()
    return {"path": served, "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}


async def _refusal(
    app: App, event: Event, data: list[Any], before: tuple[Event, list[Any]] | None = None
) -> tuple[float, str]:
    """Run one page event (in a page session that has run `before` first); (seconds the server worked on
    it: from its start to its answer, the queue's wait and the HTTP round trips left out; the error it
    answered with)."""
    seen: dict[str, float] = {}

    def clock(message: dict[str, Any]) -> None:
        seen.setdefault(str(message.get("msg")), time.perf_counter())

    async with httpx.AsyncClient(timeout=60) as http:
        sh = session_hash()
        if before is not None:
            await acall(http, app.url, *before, sh)
        try:
            await astream(http, app.url, [(event, data)], sh, on_message=clock)
        except RuntimeError as exc:
            return seen["process_completed"] - seen["process_starts"], str(exc)
    return seen["process_completed"] - seen["process_starts"], ""


def refusals(
    app: App, event: Event, data: list[Any], first: tuple[Event, list[Any]] | None = None
) -> tuple[list[tuple[float, str]], float]:
    """AT_ONCE copies of one event at the same time (each in a session that ran `first`): each (seconds,
    error), and the app's peak RSS growth in MB meanwhile."""
    app.reset_peak()
    before = app.peak_mb()

    async def all_at_once() -> list[tuple[float, str]]:
        return list(await asyncio.gather(*(_refusal(app, event, data, first) for _ in range(AT_ONCE))))

    answers = run_async(all_at_once())
    return answers, app.peak_mb() - before


def assert_refused_undecoded(answers: list[tuple[float, str]], growth: float, *words: str) -> None:
    for _seconds, error in answers:
        assert all(w in error for w in words), error
    assert growth < REFUSE_RSS_MB, f"peak RSS grew {growth:.0f} MB"


# --------------------------------------------------------------------------------------------------
# 1. Every picture is measured from its header before anything decodes it


def test_the_bomb_is_measured_from_its_header_with_a_clear_rule() -> None:
    from PIL import Image as PilImage

    assert PilImage.MAX_IMAGE_PIXELS == IMAGE_MAX_PIXELS == IMAGE_MAX_SIDE**2


def test_four_bombs_at_once_on_the_cast_picture_are_refused_undecoded(app: App) -> None:
    add_cast = find_events(app.url)["add_cast"]
    picture = upload(app, app.pictures / "bomb.png")
    data = [*defaults(app, add_cast)[:-2], picture, "Bomb"]
    answers, growth = refusals(app, add_cast, data)
    assert_refused_undecoded(answers, growth, "cast image", f"{IMAGE_MAX_SIDE} px")


def test_four_bombs_at_once_in_the_frame_zones_are_refused_undecoded(app: App) -> None:
    on_frames = find_events(app.url)["on_frames"]
    picture = upload(app, app.pictures / "bomb.png")
    answers, growth = refusals(app, on_frames, [picture, None, "16:9"])
    assert_refused_undecoded(answers, growth, "first_frame", f"{IMAGE_MAX_SIDE} px")


def test_four_bombs_at_once_over_generate_are_refused_undecoded(app: App) -> None:
    generate = find_events(app.url)["generate"]
    before = len(all_jobs(app.data_dir))
    picture = upload(app, app.pictures / "bomb.png")  # what gradio_client's handle_file sends
    data = ["A bomb as the first frame", "seedance-2.0-fast-image-to-video", 4, "480p", "16:9", False, False,
            picture, None, None, [], [], True]
    answers, growth = refusals(app, generate, data)
    assert_refused_undecoded(answers, growth, "first_frame", f"{IMAGE_MAX_SIDE} px")
    assert len(all_jobs(app.data_dir)) == before


@pytest.mark.browser
def test_the_cast_picture_input_refuses_a_bomb_in_the_page(browser: Any, app: App) -> None:
    page = browser.new_page()
    page.set_default_timeout(20_000)
    page.goto(app.url)
    page.get_by_role("tab", name="Storyboard").click()
    page.wait_for_selector("#sb-cast-image")
    app.reset_peak()
    before = app.peak_mb()
    page.set_input_files("#sb-cast-image input[type=file]", str(app.pictures / "bomb.png"))
    # Refused as it is dropped, from its header: named at the control and in a toast, and not kept.
    toast = page.locator(".toast-body", has_text="Cast picture").first
    toast.wait_for()
    assert f"{IMAGE_MAX_SIDE} px" in toast.inner_text()
    page.wait_for_selector(f"#sb-cast-note:has-text('{IMAGE_MAX_SIDE} px')")
    page.wait_for_selector("#sb-cast-image img", state="detached")
    assert app.peak_mb() - before < REFUSE_RSS_MB
    page.close()


def test_a_stray_thumbnail_of_a_bomb_on_disk_decodes_nothing(tmp_path: Path) -> None:
    """A bomb already in a cast folder (kept before this fix): the chips and contact sheet skip it."""
    from seedance_ui.media import thumbnail
    from seedance_ui.ui.storyboard.continuity import _thumb_uri

    path = bomb(tmp_path / "bomb.png")
    mid = bomb(tmp_path / "mid.png", 7000)  # within Pillow's error limit, past the contract's sides
    Path("/proc/self/clear_refs").write_text("5")
    before = peak_mb()
    assert thumbnail(path, 112) is None and thumbnail(mid, 112) is None
    assert _thumb_uri(str(path), 0.0) is None
    assert peak_mb() - before < REFUSE_RSS_MB
    problem = image_problem("cast image", measure_image(path))
    assert problem is not None and f"{IMAGE_MAX_SIDE} px" in problem.rule
    legal = plain_image(tmp_path / "legal.jpg", (4000, 3000))
    small = thumbnail(legal, 112)
    assert small is not None and max(small.size) == 112 and small.mode == "RGB"


# --------------------------------------------------------------------------------------------------
# 2. Imported boards: the upload rules, and the cast cap


def board_json(cast: list[tuple[str, bytes]], shots: list[dict[str, Any]] | None = None) -> str:
    entries = [
        {"id": hashlib.md5(name.encode()).hexdigest(), "name": name, "suffix": ".png",
         "sha256": hashlib.sha256(data).hexdigest(), "image": base64.b64encode(data).decode()}
        for name, data in cast
    ]
    return json.dumps({"format": "seedance-storyboard", "version": 1, "id": "c" * 32, "owner": "x",
                       "title": "Imported", "shots": shots or [], "cast": entries})


def test_an_imported_board_is_held_to_the_upload_rules_and_the_cast_cap(tmp_path: Path) -> None:
    from seedance_ui.storyboard import import_board_json
    from seedance_ui.storyboard.cast import MAX_CAST
    from seedance_ui.storyboard.model import BoardFormatError

    small_bomb = bomb(tmp_path / "b.png", 9000).read_bytes()
    fine = plain_image(tmp_path / "fine.png", (640, 480)).read_bytes()
    media = tmp_path / "media"
    crowd = [(f"Extra {i}", fine + bytes([i])) for i in range(MAX_CAST + 1)]
    with pytest.raises(BoardFormatError, match=rf"cast: must hold at most {MAX_CAST} pictures"):
        import_board_json(board_json(crowd), "owner", media)
    Path("/proc/self/clear_refs").write_text("5")
    before = peak_mb()
    with pytest.raises(BoardFormatError, match=rf"cast\[1\]\.image: each side must be .*{IMAGE_MAX_SIDE} px"):
        import_board_json(board_json([("Fine", fine), ("Bomb", small_bomb)]), "owner", media)
    assert peak_mb() - before < REFUSE_RSS_MB
    assert not (media / "cast").exists() or not any((media / "cast").iterdir())
    board = import_board_json(board_json([("Fine", fine)]), "owner", media)
    assert [e.name for e in board.cast] == ["Fine"]


# --------------------------------------------------------------------------------------------------
# 3. The review manifest never opens a path named by an imported file


def test_the_review_manifest_takes_inputs_from_the_owners_job_records_only(tmp_path: Path) -> None:
    from seedance_ui.client import GenerationRequest
    from seedance_ui.config import Settings
    from seedance_ui.jobs import JobManager
    from seedance_ui.options import MODEL_FAST
    from seedance_ui.store import HistoryStore
    from seedance_ui.storyboard.page import Shown
    from seedance_ui.storyboard.session import BoardSession

    data = tmp_path / "data"
    owner = "a" * 32
    with Simulator(speed=250, api_key=KEY) as sim:
        settings = Settings(api_key=KEY, base_url=sim.base_url, data_dir=data, poll_interval=0.05,
                            request_timeout=5.0)
        store = HistoryStore(data)
        manager = JobManager(store, settings)
        manager.start()
        try:
            secret = data / "studio.sqlite3"
            hashes = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (Path("/etc/passwd"), secret)}
            session = BoardSession(data, manager, store)
            session.open(owner, None, None)
            # The owner's own finished job (a text take: it had no inputs), its take's params rewritten.
            request = GenerationRequest(prompt="A real take", model=MODEL_FAST, duration=4, quality="480p",
                                        generate_audio=False)
            job = manager.wait(manager.submit(request, owner).id, timeout=60)
            take = {"id": "d" * 32, "job_id": job.id, "created_at": 1.0,
                    "params": {"prompt": "stolen", "model": "seedance-2.0-fast-image-to-video",
                               "first_frame": "/etc/passwd", "last_frame": str(secret),
                               "reference_images": ["/etc/passwd", str(secret)]}}
            shot = {"id": "f" * 32, "title": "Shot", "prompt": "stolen", "duration": 4,
                    "takes": [take], "chosen_take": "d" * 32}
            upload_path = tmp_path / "imported.json"
            upload_path.write_text(board_json([], [shot]))
            board = session.import_file(Shown.of(owner, None, None), upload_path)
            _board, zip_path = session.review_zip(Shown.of(owner, board.id, None))
            with zipfile.ZipFile(zip_path) as zf:
                manifest = zf.read("manifest.json").decode()
        finally:
            manager.stop(grace=0.5)
            store.close()
    assert json.loads(manifest)["shots"][0]["inputs"] == []
    assert not any(h in manifest for h in hashes)
    assert "/etc/passwd" not in json.dumps(json.loads(manifest)["shots"][0]["inputs"])


# --------------------------------------------------------------------------------------------------
# 4. `/generate` takes only files uploaded with the call


def served(path: Path | str) -> dict[str, Any]:
    """A file value naming a server path, as a hostile caller writes it (Gradio lets it through: the
    data directory's media folders are static paths, exempt from its own uploaded-file check)."""
    return {"path": str(path), "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}


def test_generate_refuses_another_visitors_input_copy_named_by_path(app: App) -> None:
    _video, victim = app.client.predict(
        prompt="The victim's own picture comes alive", model="seedance-2.0-fast-image-to-video", duration=4,
        quality="480p", generate_audio=False, first_frame=handle_file(str(app.pictures / "victim.png")),
        api_name="/generate",
    )
    [job] = [j for j in all_jobs(app.data_dir) if j.id == victim["id"]]
    copy = (app.data_dir / job.params["inputs"][0]["path"]).resolve()
    poster = next((app.data_dir / "posters").glob(f"{job.id}*")).resolve()
    assert copy.is_file() and poster.is_file()
    generate = find_events(app.url)["generate"]
    before = len(all_jobs(app.data_dir))
    frames, references = "seedance-2.0-fast-image-to-video", "seedance-2.0-fast-reference-to-video"
    own = upload(app, app.pictures / "victim.png")
    for field, model, media in (
        ("first_frame", frames, [served(copy), None, []]),
        ("last_frame", frames, [own, served(poster), []]),
        ("reference_images[1]", references, [None, None, [served(copy)]]),
    ):
        data = ["The attacker takes it", model, 4, "480p", "16:9", False, False, *media, [], [], True]
        _seconds, error = run_async(_refusal(app, generate, data))
        assert f"{field}: must be a file uploaded with this request" in error, error
    assert len(all_jobs(app.data_dir)) == before


def test_the_page_refuses_a_server_path_in_a_frame_zone(app: App) -> None:
    on_frames = find_events(app.url)["on_frames"]
    copy = next((app.data_dir / "inputs").rglob("*.png"))
    _seconds, error = run_async(_refusal(app, on_frames, [served(copy), None, "16:9"]))
    assert "first_frame: must be a file uploaded with this request" in error, error


# --------------------------------------------------------------------------------------------------
# 4, through the page: the references gallery and "Add images" take only files uploaded with the event

REFERENCES_MODEL = "seedance-2.0-fast-reference-to-video"


def provider_calls(app: App) -> tuple[int, int]:
    """(creates, file uploads) the provider has seen so far."""
    return app.sim.create_count, app.sim.count("POST", UPLOAD_STREAM_PATH)


def references_mode(app: App) -> tuple[Event, list[Any]]:
    """The mode switch to References, as the page sends it first (the model's choices follow it)."""
    return find_events(app.url)["on_mode"], ["references", "seedance-2.0-fast-text-to-video"]


def page_generate(prompt: str, references: list[dict[str, Any]]) -> list[Any]:
    """The Generate click's inputs as the page sends them, a references model and its gallery."""
    gallery = [{"image": item, "caption": f"@image{n}"} for n, item in enumerate(references, 1)]
    return [prompt, REFERENCES_MODEL, 4, "480p", "16:9", False, False, None, None, True, None, None, gallery,
            "", "", ""]


def victims_copy(app: App) -> Path:
    """The saved input copy of another visitor's job (made over `/generate`), as a path on the server."""
    _video, victim = app.client.predict(
        prompt="The victim's reference", model=REFERENCES_MODEL, duration=4, quality="480p",
        generate_audio=False, reference_images=[handle_file(str(app.pictures / "victim.png"))],
        api_name="/generate",
    )
    [job] = [j for j in all_jobs(app.data_dir) if j.id == victim["id"]]
    copy = (app.data_dir / job.params["inputs"][0]["path"]).resolve()
    assert copy.is_file() and copy.is_relative_to(app.data_dir.resolve() / "inputs")
    return copy


def test_the_pages_generate_refuses_another_visitors_input_copy_as_a_reference_image(app: App) -> None:
    copy = victims_copy(app)
    submit = find_events(app.url)["submit"]
    before, jobs = provider_calls(app), len(all_jobs(app.data_dir))
    own = upload(app, app.pictures / "victim.png")
    for references, field in (
        ([own, served(copy)], "Reference image @image2"),  # Gradio's file value, as the page sends it
        ([{"path": str(copy)}], "Reference image @image1"),  # a bare path: no `meta`, no check of Gradio's
    ):
        data = page_generate("The attacker's references", references)
        _seconds, error = run_async(_refusal(app, submit, data, references_mode(app)))
        assert f"{field}: must be a file uploaded with this request" in error, error
    # "Add images" would pass a named file on into the gallery, and from there to Generate.
    add_refs = find_events(app.url)["add_refs"]
    _seconds, error = run_async(_refusal(app, add_refs, [None, [served(copy)]]))
    assert "Added image 1: must be a file uploaded with this request" in error, error
    assert provider_calls(app) == before and len(all_jobs(app.data_dir)) == jobs


def test_four_bombs_at_once_in_the_references_gallery_are_refused_undecoded(app: App) -> None:
    submit = find_events(app.url)["submit"]
    before = provider_calls(app)
    own, picture = upload(app, app.pictures / "victim.png"), upload(app, app.pictures / "bomb.png")
    data = page_generate("Bombs as references", [own, picture])
    answers, growth = refusals(app, submit, data, references_mode(app))
    assert_refused_undecoded(answers, growth, "Reference image @image2", f"{IMAGE_MAX_SIDE} px")
    assert provider_calls(app) == before
