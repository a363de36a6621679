"""Chained generation in BoardSession, with the real job manager against the contract simulator (through a
recording proxy, so the creates and uploads the API receives can be read back). No Gradio.

A board of four shots where shots 2 and 3 start from the end of the shot before them: Generate all sends
shot 1 and shot 4 at once, shot 2 once shot 1's take is done (from its last frame, compared pixel for
pixel with the frame read back from the video), then shot 3. Choosing another take for shot 1 marks 2
and 3 out of date without touching them; a failed shot stops only the shots after it; a restart in the
middle of a chain resumes it without a second create.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import RecordingProxy, free_port, wait_until
from media_files import close_to, first_and_last_frames, plain_image
from PIL import Image, ImageChops

from seedance_ui.config import Settings
from seedance_ui.jobs import JobManager
from seedance_ui.jobs.budget import utc_day
from seedance_ui.options import (
    MODE_FRAMES,
    MODE_REFERENCES,
    MODEL_FAST,
    TIER_FAST,
    UPLOAD_STREAM_PATH,
    model_id,
)
from seedance_ui.pricing import estimate
from seedance_ui.runtime import default_client_factory
from seedance_ui.simulator import Simulator
from seedance_ui.store import HistoryStore, JobStatus
from seedance_ui.storyboard import Board, dumps_board
from seedance_ui.storyboard.cast import frame_path, store_cast_image
from seedance_ui.storyboard.chain import OUT_OF_DATE, OUT_OF_DATE_VIDEO, out_of_date
from seedance_ui.storyboard.chain_runner import KEY_WAIT_NOTICE
from seedance_ui.storyboard.clips import board_clips
from seedance_ui.storyboard.contact import CHAINED_CUT, sheet_rows, take_line
from seedance_ui.storyboard.inputs import take_inputs
from seedance_ui.storyboard.jsonio import board_to_dict
from seedance_ui.storyboard.model import Take
from seedance_ui.storyboard.page import Shown
from seedance_ui.storyboard.persist import BoardStore
from seedance_ui.storyboard.session import BoardSession, Refused, Sent
from seedance_ui.storyboard.validation import EXTEND_LINE

OWNER = "e" * 32
FAIL = "[sim:fail=content_policy_violation]"
SLOW = "[sim:slow]"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(speed=100) as s:
        yield s


@pytest.fixture()
def proxy(sim: Simulator) -> Iterator[RecordingProxy]:
    recording = RecordingProxy(sim.base_url).start()
    yield recording
    recording.stop()


class Studio:
    """A job manager and a BoardSession over one data folder; `restart()` makes both again."""

    def __init__(self, data: Path, proxy: RecordingProxy) -> None:
        self.settings = Settings(
            api_key="sk-chain-test", base_url=proxy.url, files_url=proxy.url, data_dir=data,
            poll_interval=0.05, request_timeout=5.0, max_jobs_in_flight=8, max_jobs_per_owner=4,
        )
        self.data = data
        self.start()

    def start(self) -> None:
        self.store = HistoryStore(self.data)
        self.manager = JobManager(
            self.store, self.settings, client_factory=default_client_factory(self.settings, None)
        )
        self.manager.start()
        self.session = BoardSession(self.data, self.manager, self.store)

    def stop(self) -> None:
        self.session.close()
        self.manager.stop(grace=0.5)
        self.store.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    def board(self, board_id: str) -> Board:
        board = self.session.boards.get(OWNER, board_id)
        assert board is not None
        return board

    def status(self, job_id: str) -> JobStatus | None:
        record = self.manager.get(job_id, OWNER)
        return None if record is None else record.status

    def generate(self, board: Board, scope: str = "all", shot_id: str | None = None) -> Sent:
        shown = Shown.of(OWNER, board.id, shot_id)
        plan = self.session.plan(shown, scope)  # type: ignore[arg-type]
        assert plan.problems == [], plan.problems
        sent = self.session.generate(shown, plan.token("test"))
        assert isinstance(sent, Sent)
        return sent

    def settled(self, board_id: str, *numbers: int) -> Board:
        """Wait until the given shots (1-based) each have a take that ended, and the chain is empty."""

        def ended() -> Board | None:
            board = self.board(board_id)
            takes = [board.shots[n - 1].takes for n in numbers]
            done = all(t and self.status(t[-1].job_id) in ENDED for t in takes)
            return board if done and not board.pending else None

        wait_until(ended, timeout=60)
        return self.session.refreshed(Shown.of(OWNER, board_id, None))  # each shot gets a chosen take


ENDED = {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.EXPIRED}


@contextlib.contextmanager
def running(data: Path, proxy: RecordingProxy) -> Iterator[Studio]:
    """A Studio over `data` talking to `proxy`, stopped when the block ends."""
    studio = Studio(data, proxy)
    try:
        yield studio
    finally:
        studio.stop()


@pytest.fixture()
def studio(tmp_path: Path, proxy: RecordingProxy) -> Iterator[Studio]:
    with running(tmp_path / "data", proxy) as studio:
        yield studio


def _board(studio: Studio, *prompts: str, chained: tuple[int, ...] = ()) -> Board:
    board = Board(owner=OWNER, title="Chain", model=MODEL_FAST, quality="480p", generate_audio=False)
    for number, prompt in enumerate(prompts, 1):
        board.add_shot(title=f"Shot {number}", prompt=prompt, duration=4, chain=number in chained)
    return studio.session.boards.save(board)


def _creates(proxy: RecordingProxy) -> list[dict[str, Any]]:
    return [r.body for r in proxy.creates()]


def _shot_of(body: dict[str, Any], prompts: tuple[str, ...]) -> int:
    """The shot number whose prompt a create carried."""
    return next(n for n, p in enumerate(prompts, 1) if p.split(" [")[0] in body["prompt"])


def _sha256(url: str) -> str:
    return hashlib.sha256(httpx.get(url, timeout=10).content).hexdigest()


def _fetch_image(url: str) -> Image.Image:
    return Image.open(io.BytesIO(httpx.get(url, timeout=10).content)).convert("RGB")


PROMPTS = ("A lighthouse at dusk", "The keeper climbs the stairs", "He lights the lamp", "Gulls over the sea")


def test_generate_all_sends_free_shots_at_once_and_chained_shots_from_the_last_frame(
    studio: Studio, proxy: RecordingProxy, sim: Simulator
) -> None:
    board = _board(studio, *PROMPTS, chained=(2, 3))
    plan = studio.session.plan(Shown.of(OWNER, board.id, None), "all")
    assert len(plan.shot_ids) == 4  # the confirmation counts and prices all four, chained ones included
    frames = model_id(MODE_FRAMES, TIER_FAST)
    assert [line.model for line in plan.estimate.shots] == [MODEL_FAST, frames, frames, MODEL_FAST]

    sent = studio.generate(board)
    shots = board.shots
    assert {studio.board(board.id).find_take(t.job_id)[0].id for t in sent.takes} == {  # type: ignore[index]
        shots[0].id, shots[3].id,
    }
    assert sent.waiting == [shots[1].id, shots[2].id]
    wait_until(lambda: len(_creates(proxy)) >= 2)

    board = studio.settled(board.id, 1, 2, 3, 4)
    order = [_shot_of(b, PROMPTS) for b in _creates(proxy)]
    assert sorted(order[:2]) == [1, 4] and order[2:] == [2, 3]
    one, two, three, _four = board.shots
    task = {n: studio.manager.get(board.shots[n - 1].takes[0].job_id, OWNER).task_id for n in (1, 2, 3)}
    with sim._lock:
        started = {n: sim._tasks[task[n]].started for n in (2, 3)}
    assert started[2] >= sim.task_completed_at(task[1])  # type: ignore[operator]
    assert started[3] >= sim.task_completed_at(task[2])  # type: ignore[operator]

    # Shot 2 started from shot 1's last frame: the image the API received is that frame, pixel for pixel.
    body = _creates(proxy)[2]
    assert body["model"] == frames and len(body["image_urls"]) == 1
    video = studio.store.video_file(studio.manager.get(one.takes[0].job_id, OWNER))
    last = first_and_last_frames(video)[1]
    received = _fetch_image(body["image_urls"][0])
    assert received.size == last.size and ImageChops.difference(received, last).getbbox() is None
    assert (two.chosen.starts_from, three.chosen.starts_from) == (one.takes[0].job_id, two.takes[0].job_id)
    assert out_of_date(board) == {} and all(not s.notice for s in board.shots)


def test_another_take_for_shot_one_marks_two_and_three_out_of_date_and_changes_nothing_for_them(
    studio: Studio, proxy: RecordingProxy
) -> None:
    board = _board(studio, *PROMPTS, chained=(2, 3))
    studio.generate(board)
    board = studio.settled(board.id, 1, 2, 3, 4)
    studio.generate(board, "shot", board.shots[0].id)  # a second take of shot 1 only
    board = studio.settled(board.id, 1)
    creates = len(proxy.creates())
    assert creates == 5
    before = [board_to_dict(board)["shots"][i] for i in (1, 2)]

    first = board.shots[0]
    studio.session.pick_take(Shown.of(OWNER, board.id, first.id), first.id, first.takes[1].id)
    board = studio.board(board.id)
    assert out_of_date(board) == {board.shots[1].id: OUT_OF_DATE, board.shots[2].id: OUT_OF_DATE}
    assert [board_to_dict(board)["shots"][i] for i in (1, 2)] == before  # nothing on disk changed for them
    missing = studio.session.plan(Shown.of(OWNER, board.id, None), "missing")
    assert missing.shot_ids == []  # Generate missing or failed leaves them alone
    assert len(proxy.creates()) == creates


def test_a_cast_entry_left_out_renumbers_the_tags_and_the_api_receives_the_matching_images(
    studio: Studio, proxy: RecordingProxy, sim: Simulator, tmp_path: Path
) -> None:
    board = Board(owner=OWNER, model=MODEL_FAST, quality="480p", generate_audio=False)
    board.media_dir = studio.session.boards.owner_dir(OWNER)
    pictures = {}
    for name, colour in (("Mara", (210, 40, 40)), ("the lighthouse", (40, 210, 40))):
        picture = plain_image(tmp_path / f"{name}.png", (640, 480), colour)
        pictures[name] = hashlib.sha256(picture.read_bytes()).hexdigest()
        board.add_cast(name, *store_cast_image(board.media_dir, picture))
    both = [e.id for e in board.cast]
    board.add_shot(prompt="@[Mara] walks to @[the lighthouse]", duration=4, cast=both)
    board.add_shot(prompt="Night falls on @[the lighthouse]", duration=4, cast=both[1:])
    studio.session.boards.save(board)
    uploads = sim.count("POST", UPLOAD_STREAM_PATH)

    studio.generate(board)
    studio.settled(board.id, 1, 2)
    bodies = sorted(_creates(proxy), key=lambda b: len(b["image_urls"]))
    assert [b["prompt"] for b in bodies] == ["Night falls on @image1", "@image1 walks to @image2"]
    got = [[_sha256(url) for url in b["image_urls"]] for b in bodies]
    assert got == [[pictures["the lighthouse"]], [pictures["Mara"], pictures["the lighthouse"]]]
    assert sim.count("POST", UPLOAD_STREAM_PATH) - uploads == 2  # each image once, though sent three times


def test_a_failed_shot_stops_only_the_shots_after_it_with_a_notice(studio: Studio, proxy: RecordingProxy):
    prompts = ("A lighthouse at dusk", f"The keeper climbs {FAIL}", "He lights the lamp", "Gulls over sea")
    board = _board(studio, *prompts, chained=(2, 3))
    studio.generate(board)
    board = studio.settled(board.id, 1, 2, 4)
    assert [_shot_of(b, prompts) for b in _creates(proxy)][2:] == [2]  # shot 3 was never sent
    assert studio.status(board.shots[1].takes[0].job_id) == JobStatus.FAILED
    assert board.shots[2].takes == [] and board.pending == []
    assert board.shots[2].notice == "Not sent: shot 2 failed, and this shot starts from its last frame."
    assert studio.status(board.shots[3].takes[0].job_id) == JobStatus.COMPLETED


@pytest.fixture()
def slow_proxy() -> Iterator[RecordingProxy]:
    """A slower simulator of its own: shot 1 (slowed further) outlasts a restart by seconds."""
    with Simulator(speed=20) as slow:
        recording = RecordingProxy(slow.base_url).start()
        yield recording
        recording.stop()


def test_a_restart_in_the_middle_of_a_chain_resumes_it_without_a_second_create(
    slow_proxy: RecordingProxy, tmp_path: Path
) -> None:
    with running(tmp_path / "data", slow_proxy) as studio:
        _restart_mid_chain(studio, slow_proxy)


def _restart_mid_chain(studio: Studio, proxy: RecordingProxy) -> None:
    prompts = (f"A lighthouse at dusk {SLOW}", "The keeper climbs the stairs", "He lights the lamp")
    board = _board(studio, *prompts, chained=(2, 3))
    studio.generate(board)
    wait_until(lambda: _creates(proxy))
    assert [_shot_of(b, prompts) for b in _creates(proxy)] == [1]
    studio.restart()  # shot 1 still renders; shots 2 and 3 wait on disk
    assert studio.board(board.id).pending == [board.shots[1].id, board.shots[2].id]
    board = studio.settled(board.id, 1, 2, 3)
    assert [_shot_of(b, prompts) for b in _creates(proxy)] == [1, 2, 3]
    statuses = [[studio.status(t.job_id) for t in s.takes] for s in board.shots]
    assert statuses == [[JobStatus.COMPLETED]] * 3
    assert dumps_board(board).count('"starts_from"') == 2


def test_the_review_exports_record_every_input_and_mark_the_chained_cut(
    studio: Studio, proxy: RecordingProxy, tmp_path: Path
) -> None:
    board = Board(owner=OWNER, model=MODEL_FAST, quality="480p", generate_audio=False)
    board.media_dir = studio.session.boards.owner_dir(OWNER)
    red = (210, 40, 40)
    picture = plain_image(tmp_path / "mara.png", (640, 480), red)
    board.add_cast("Mara", *store_cast_image(board.media_dir, picture))
    board.add_shot(title="Door", prompt="@[Mara] opens the door", duration=4, cast=[board.cast[0].id])
    board.add_shot(title="Stairs", prompt="She climbs the stairs", duration=4, chain=True)
    studio.session.boards.save(board)
    studio.generate(board)
    board = studio.settled(board.id, 1, 2)
    first_body, second_body = _creates(proxy)

    shown = Shown.of(OWNER, board.id, None)
    _board, path = studio.session.review_zip(shown)
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        sheet = Image.open(io.BytesIO(zf.read("contact-sheet.png"))).convert("RGB")
    assert manifest["cast"] == [{"name": "Mara", "sha256": board.cast[0].sha256}]
    one, two = manifest["shots"]
    assert one["continues_shot"] is None and two["continues_shot"] == 1
    [cast_input] = one["inputs"]
    assert {k: cast_input[k] for k in ("role", "tag", "name", "sha256")} == {
        "role": "reference_image", "tag": "@image1", "name": "Mara", "sha256": board.cast[0].sha256,
    }
    assert cast_input["upload_url"] == first_body["image_urls"][0] and cast_input["upload_expires_at"]
    [frame_input] = two["inputs"]
    frame = frame_path(board.media_dir, board.shots[0].chosen.job_id)
    assert {k: frame_input[k] for k in ("role", "name", "sha256")} == {
        "role": "first_frame",
        "name": "last frame of shot 1, take 1",
        "sha256": hashlib.sha256(frame.read_bytes()).hexdigest(),
    }
    assert frame_input["upload_url"] == second_body["image_urls"][0] and frame_input["upload_expires_at"]
    infos = studio.session.jobs(OWNER).infos(board)  # the job records alone (no client's upload cache)
    recorded = [take_inputs(board, s.chosen, None, infos)[0] for s in board.shots]
    assert recorded == [cast_input, frame_input]

    # The contact sheet prints the cast once, in a band above the shots; the chained row says so.
    band = [sheet.getpixel((x, y)) for y in range(0, 260, 4) for x in range(0, 300, 4)]
    assert sum(1 for p in band if close_to(p, red, 10)) > 100
    clips = board_clips(board, studio.session.jobs(OWNER).video_path_of)
    rows = sheet_rows(board, clips)
    # each row names its take and when it was made; the chained row then says how it continues
    lines = [take_line(c) for c in clips]
    assert all(line.startswith("Take 1/1 · ") for line in lines)
    assert [r.note for r in rows] == [lines[0], f"{lines[1]} · {CHAINED_CUT.format(1)}"]


@pytest.fixture()
def fronted(tmp_path: Path) -> Iterator[tuple[Simulator, RecordingProxy]]:
    """A simulator whose video links point at the recording proxy in front of it (so the provider's
    links are on the API's own origin, as a real provider's are on its CDN the client trusts)."""
    port = free_port()
    proxy = RecordingProxy(f"http://127.0.0.1:{port}").start()
    with Simulator(port=port, speed=100, public_base_url=proxy.url) as sim:
        yield sim, proxy
    proxy.stop()


def test_extend_a_take_continues_its_video_as_a_references_request_with_its_seconds_billed(
    fronted: tuple[Simulator, RecordingProxy], tmp_path: Path
) -> None:
    proxy = fronted[1]
    with running(tmp_path / "data", proxy) as studio:
        board = _board(studio, "A lighthouse at dusk")
        studio.generate(board)
        board = studio.settled(board.id, 1)
        source = board.shots[0]
        record = studio.manager.get(source.chosen.job_id, OWNER)

        board, new_id = studio.session.extend(Shown.of(OWNER, board.id, None), source.id, source.chosen.id)
        shot = board.shot(new_id)
        assert board.index_of(new_id) == 1 and shot.extends == record.id
        assert shot.extend_seconds == pytest.approx(record.video_duration, abs=0.01)
        shown = Shown.of(OWNER, board.id, new_id, {"shot_prompt": "The beam turns toward the sea"})
        studio.session.commit(shown)
        plan = studio.session.plan(shown, "missing")
        references = model_id(MODE_REFERENCES, TIER_FAST)
        [line] = plan.estimate.shots
        price = estimate(references, "480p", shot.duration, input_video_seconds=shot.extend_seconds)
        assert line.model == references and line.error is not None
        assert f"{price.billed_seconds:g} s billed" in line.error and "input video" in line.error
        sent = studio.session.generate(shown, plan.token("test"))
        assert isinstance(sent, Sent) and not sent.errors
        board = studio.settled(board.id, 2)
        extension = studio.manager.get(board.shots[1].takes[0].job_id, OWNER)
        assert extension.params["model"] == references
        assert extension.params["reference_video_urls"] == [record.video_url]
        assert extension.params["prompt"] == EXTEND_LINE + "The beam turns toward the sea"
        # The provider link was fetched and measured before the create (the placeholders run at 24 fps,
        # a valid reference video): the extension completes, its create carrying the take's link.
        done = studio.manager.wait(extension.id, timeout=60)
        assert done.status == JobStatus.COMPLETED, (done.status, done.error_message)
        create = _creates(proxy)[-1]
        assert create["model"] == references and record.video_url in json.dumps(create)

        # Past the provider link's 24 hours: the plan names the problem and Extend is refused.
        studio.manager.update(record.id, completed_at=time.time() - 25 * 3600)
        stale = studio.session.plan(shown, "shot")
        assert [(p.field, p.message) for p in stale.problems] == [(
            "reference_video_urls",
            "the take to extend is older than 24 hours: the provider's link to it has expired",
        )]
        assert stale.token("test") is None
        with pytest.raises(Refused, match="older than 24 hours"):
            studio.session.extend(Shown.of(OWNER, board.id, None), source.id, source.chosen.id)


def test_the_continuity_sample_generates_end_to_end(
    fronted: tuple[Simulator, RecordingProxy], tmp_path: Path
) -> None:
    proxy = fronted[1]
    with running(tmp_path / "data", proxy) as studio:
        _sample_end_to_end(studio, proxy)


def _sample_end_to_end(studio: Studio, proxy: RecordingProxy) -> None:
    board = studio.session.open_sample(Shown.of(OWNER, None, None))
    assert [e.name for e in board.cast] == ["the keeper", "the lighthouse"]
    assert [(s.chain, s.continues_video) for s in board.shots] == [
        (False, False), (False, False), (True, False), (True, True)
    ]
    plan = studio.session.plan(Shown.of(OWNER, board.id, None), "all")
    extension = plan.estimate.shots[3]  # priced with shot 3's seconds as input video (unpublished price)
    assert extension.credits == 0 and "5 s of input video (10 s billed)" in (extension.error or "")
    studio.generate(board)
    board = studio.settled(board.id, 1, 2, 3, 4)
    statuses = [studio.status(s.takes[0].job_id) for s in board.shots]
    assert statuses == [JobStatus.COMPLETED] * 4, [s.notice for s in board.shots]
    three, four = board.shots[2], board.shots[3]
    assert three.chosen.starts_from == board.shots[1].chosen.job_id
    assert four.chosen.starts_from == three.chosen.job_id
    beam, boat = _creates(proxy)[-2:]  # the chained cut, then the extension once its take was done
    assert beam["prompt"].startswith(
        "@image1 as the first frame. In the same moment, @image2 lights the great lamp of @image3"
    )
    references = model_id(MODE_REFERENCES, TIER_FAST)
    assert len(beam["image_urls"]) == 3 and beam["model"] == references
    video_url = studio.manager.get(three.chosen.job_id, OWNER).video_url
    assert boat["model"] == references and boat["video_urls"] == [video_url]
    assert boat["prompt"].startswith(EXTEND_LINE + "The camera follows the beam")
    assert out_of_date(board) == {}

    # The review manifest names the video shot 4 continues, and its link's expiry.
    _board, path = studio.session.review_zip(Shown.of(OWNER, board.id, None))
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    [video_input] = manifest["shots"][3]["inputs"]
    assert {k: video_input[k] for k in ("role", "tag", "name", "upload_url")} == {
        "role": "reference_video", "tag": "@video1", "name": "video of shot 3, take 1",
        "upload_url": video_url,
    }
    assert video_input["upload_expires_at"]

    # Another take of shot 3, chosen: shot 4 is out of date (it continues an older take), untouched.
    studio.generate(board, "shot", three.id)
    board = studio.settled(board.id, 3)
    three = board.shots[2]
    studio.session.pick_take(Shown.of(OWNER, board.id, three.id), three.id, three.takes[1].id)
    board = studio.board(board.id)
    assert out_of_date(board) == {board.shots[3].id: OUT_OF_DATE_VIDEO}
    assert len(board.shots[3].takes) == 1


# --- waiting on events, and the chain's key after a restart (issue 20, items 11 and 12) -------------------

VISITOR_KEY = "sk-visitor-chain-key"
ADDRESS = "addr-chain-visitor"


class CountingBoards(BoardStore):
    """The session's board store, counting every board it parses."""

    reads = 0

    def _parse(self, owner: str, board_id: str, body: str) -> Board | None:
        self.reads += 1
        return super()._parse(owner, board_id, body)


def _count_reads(studio: Studio) -> CountingBoards:
    boards = studio.session.boards
    boards.__class__ = CountingBoards  # the same store the chain runner holds, now counting
    return boards  # type: ignore[return-value]


def _large(board: Board, megabytes: float) -> Board:
    """Old takes (jobs this studio never had) with big recorded params, until the file is this large."""
    filler = {"prompt": "x" * 20_000}
    while len(dumps_board(board)) < megabytes * 2**20:
        board.shots[1].takes.append(Take(job_id=Board(owner=OWNER).id, created_at=1.0, params=filler))
    return board


def _job_of(studio: Studio, board_id: str, number: int) -> str:
    return studio.board(board_id).shots[number - 1].takes[0].job_id


def test_a_chain_waiting_on_a_slow_shot_does_not_read_its_large_board_again(
    slow_proxy: RecordingProxy, tmp_path: Path
) -> None:
    with running(tmp_path / "data", slow_proxy) as studio:
        prompts = (f"A lighthouse at dusk {SLOW}", "The keeper climbs the stairs")
        board = studio.session.boards.save(_large(_board(studio, *prompts, chained=(2,)), 4))
        studio.generate(board)
        job = _job_of(studio, board.id, 1)
        start = wait_until(lambda: (r := studio.manager.get(job, OWNER)).progress and r.status, timeout=30)
        assert start == JobStatus.PROCESSING
        boards, begun = _count_reads(studio), studio.manager.get(job, OWNER).progress
        # The slow shot moves on by 15 points (a second or more, dozens of changes of its record): the
        # chain waiting for it looks at the job's status when it changes, never at the 4 MB board.
        wait_until(lambda: studio.manager.get(job, OWNER).progress >= begun + 15, timeout=30)
        assert studio.status(job) == JobStatus.PROCESSING and boards.reads <= 1
        board = studio.settled(board.id, 1, 2)  # and the chain still goes on when the shot is done
        assert board.shots[1].takes[-1].starts_from == job


def test_a_chain_started_on_a_visitors_key_waits_for_that_key_after_a_restart(
    slow_proxy: RecordingProxy, tmp_path: Path
) -> None:
    with running(tmp_path / "data", slow_proxy) as studio:
        prompts = (f"A lighthouse at dusk {SLOW}", "The keeper climbs the stairs")
        board = _board(studio, *prompts, chained=(2,))
        shown = Shown.of(OWNER, board.id, None)
        token = studio.session.plan(shown, "all").token("t")
        sent = studio.session.generate(shown, token, VISITOR_KEY, ADDRESS)
        assert isinstance(sent, Sent) and sent.waiting == [board.shots[1].id]
        saved = studio.board(board.id)
        assert (saved.chain_key, saved.chain_address) == ("visitor", ADDRESS)  # the key itself is not saved
        studio.restart()  # the visitor's key was in memory only: shot 1 and the chain both wait for it
        first = _job_of(studio, board.id, 1)
        wait_until(lambda: studio.board(board.id).shots[1].notice == KEY_WAIT_NOTICE)

        studio.manager.resume_with_key(OWNER, VISITOR_KEY)  # the Studio tab's key: shot 1 is followed again
        assert studio.manager.wait(first, timeout=60).status == JobStatus.COMPLETED
        assert studio.session.chains.advance(OWNER, board.id) == []  # done, yet not sent on the server's key
        assert len(_creates(slow_proxy)) == 1
        assert studio.board(board.id).shots[1].notice == KEY_WAIT_NOTICE

        assert studio.session.chains.resume_with_key(OWNER, VISITOR_KEY) == 1
        board = studio.settled(board.id, 1, 2)
        second = slow_proxy.creates()[1]
        assert second.authorization == f"Bearer {VISITOR_KEY}" and board.shots[1].notice == ""
        assert board.shots[1].takes[0].starts_from == first


def test_the_key_entered_again_on_the_studio_tab_continues_a_chain_waiting_for_it(
    slow_proxy: RecordingProxy, tmp_path: Path
) -> None:
    """The visitor enters their key on the key panel (the Studio tab's `set_key`, on the page as the app
    builds it): their job and the storyboard chain that waited for it both go on with that key."""
    from seedance_ui.runtime import Runtime
    from seedance_ui.ui.layout import build_demo
    from seedance_ui.ui.studio.tab import Studio as StudioTab

    with running(tmp_path / "data", slow_proxy) as studio:
        prompts = (f"A lighthouse at dusk {SLOW}", "The keeper climbs the stairs")
        board = _board(studio, *prompts, chained=(2,))
        shown = Shown.of(OWNER, board.id, None)
        studio.session.generate(shown, studio.session.plan(shown, "all").token("t"), VISITOR_KEY, ADDRESS)
        studio.restart()
        wait_until(lambda: studio.board(board.id).shots[1].notice == KEY_WAIT_NOTICE)
        # The page over this data, as the app builds it: its storyboard session follows the chains now.
        studio.session.close()
        tab = StudioTab(Runtime(studio.settings, studio.store, studio.manager))
        build_demo(tab.runtime, tab)
        studio.session = tab.key.board_session

        tab.key.set_key(VISITOR_KEY, OWNER)
        board = studio.settled(board.id, 1, 2)
        assert [c.authorization for c in slow_proxy.creates()] == [f"Bearer {VISITOR_KEY}"] * 2
        assert board.shots[1].notice == ""
        assert board.shots[1].takes[0].starts_from == _job_of(studio, board.id, 1)


def test_a_chain_on_the_servers_key_continues_after_a_restart_with_the_owners_address(
    slow_proxy: RecordingProxy, tmp_path: Path
) -> None:
    with running(tmp_path / "data", slow_proxy) as studio:
        prompts = (f"A lighthouse at dusk {SLOW}", "The keeper climbs the stairs")
        board = _board(studio, *prompts, chained=(2,))
        shown = Shown.of(OWNER, board.id, None)
        studio.session.generate(shown, studio.session.plan(shown, "all").token("t"), None, ADDRESS)
        studio.restart()
        board = studio.settled(board.id, 1, 2)
        jobs = [studio.manager.get(s.takes[0].job_id, OWNER) for s in board.shots]
        assert [c.authorization for c in slow_proxy.creates()] == ["Bearer sk-chain-test"] * 2
        day = utc_day(jobs[1].created_at)
        spent = studio.manager.guard.ledger.spent(day, address=ADDRESS)
        assert spent == pytest.approx(sum(j.credits_estimated for j in jobs))  # both counted for the address


# --- holes a mutation audit found (issue 20, item 15 b and d) ---------------------------------------------


def test_a_job_sent_before_a_crash_lost_the_boards_save_is_adopted_not_sent_again(
    studio: Studio, proxy: RecordingProxy
) -> None:
    board = _board(studio, *PROMPTS[:2], chained=(2,))
    studio.generate(board)
    board = studio.settled(board.id, 1, 2)
    job = board.shots[1].takes[0].job_id
    # The crash between shot 2's submit and the board's save: its job exists, the board never knew it.
    lost = studio.board(board.id)
    lost.shots[1].takes, lost.shots[1].chosen_take, lost.pending = [], None, [lost.shots[1].id]
    lost.chain_key = "server"  # as the Generate recorded it with the pending shot
    studio.session.boards.save(lost, touch=False)
    studio.restart()
    board = studio.settled(board.id, 1, 2)
    assert [t.job_id for t in board.shots[1].takes] == [job]  # the job made before the crash, adopted
    assert len(proxy.creates()) == 2 and board.shots[1].takes[0].starts_from == board.shots[0].takes[0].job_id


def test_a_chained_shot_planned_alone_needs_a_finished_take_of_the_shot_before_it(studio: Studio) -> None:
    board = _board(studio, *PROMPTS[:2], chained=(2,))
    two = Shown.of(OWNER, board.id, board.shots[1].id)
    [problem] = studio.session.plan(two, "shot").problems
    assert (problem.field, problem.message) == (
        "chain", "starts from the end of shot 1, which has no finished take: generate shot 1 too"
    )
    assert studio.session.plan(two, "shot").token("test") is None
    assert studio.session.plan(Shown.of(OWNER, board.id, None), "all").problems == []  # shot 1 planned too
    studio.generate(board, "shot", board.shots[0].id)
    studio.settled(board.id, 1)
    assert studio.session.plan(two, "shot").problems == []  # shot 1 has its finished take now


def test_generate_all_again_and_again_leaves_every_chained_shot_on_the_take_made_in_the_same_run(
    studio: Studio,
) -> None:
    """Issue 21: a chain's next shot continues the take made in the same run, and after each run the
    chosen takes form one consistent chain (no shot out of date by itself), even over a pick the user
    made before the run; a pick upstream alone still marks the shots after it out of date."""
    board = _board(studio, *PROMPTS, chained=(2, 3, 4))
    for run in range(1, 4):
        if run == 3:  # the user goes back to shot 2's first take: shots 2 to 4 are out of date ...
            two = board.shots[1]
            studio.session.pick_take(Shown.of(OWNER, board.id, two.id), two.id, two.takes[0].id)
            assert set(out_of_date(studio.board(board.id))) == {s.id for s in board.shots[1:]}
        studio.generate(board)  # ... until the next Generate all makes one chain again
        board = studio.settled(board.id, 1, 2, 3, 4)
        assert [len(s.takes) for s in board.shots] == [run] * 4
        assert out_of_date(board) == {}, f"run {run}"
        chosen = [s.chosen for s in board.shots]
        assert all(t is not None and studio.status(t.job_id) == JobStatus.COMPLETED for t in chosen)
        assert [t.id for t in chosen] == [s.takes[-1].id for s in board.shots], f"run {run}"  # type: ignore[union-attr]
        for before, after in itertools.pairwise(chosen):
            assert after.starts_from == before.job_id, f"run {run}"  # type: ignore[union-attr]
