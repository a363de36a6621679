"""Board reviews without a page: links, the reviewer's view, notes, statuses, versions and exports.

Real SQLite in a temporary data folder, a real job manager and BoardSession over the contract simulator
(demo clips), and the published CMX 3600 parser `pycmx` to read the EDL.
"""

from __future__ import annotations

import csv
import io
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pycmx
import pytest
from conftest import wait_until

from seedance_ui.config import Settings
from seedance_ui.jobs import JobManager
from seedance_ui.options import MODEL_FAST
from seedance_ui.review import (
    Limits,
    LinkClosed,
    PassphraseNeeded,
    ReviewRefused,
    ReviewService,
    ReviewState,
    ReviewStatus,
    TooManyTries,
    timecode,
)
from seedance_ui.review.exports import EDL_NAME, NOTES_CSV_NAME
from seedance_ui.simulator import Simulator
from seedance_ui.store import DB_FILENAME, HistoryStore, JobStatus
from seedance_ui.storyboard import Board
from seedance_ui.storyboard.page import Shown
from seedance_ui.storyboard.plan import record_take
from seedance_ui.storyboard.session import BoardSession, Sent

OWNER, STRANGER = "a" * 32, "b" * 32
SECRET_PROMPT = "a lighthouse keeper whispers the launch code"
ROOM = Limits(notes_per_minute=10_000, statuses_per_minute=10_000)


class Clock:
    """A clock the test moves (the service reads it for every expiry and rate window)."""

    def __init__(self, now: float = 1_900_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Studio:
    data: Path
    store: HistoryStore
    manager: JobManager
    session: BoardSession
    reviews: ReviewService
    board: Board  # three shots, each with a finished take
    other: Board  # another board of the same owner
    versioned: Board  # two shots, for the version test

    def service(self, clock: Clock | None = None, limits: Limits = ROOM) -> ReviewService:
        return ReviewService(self.store, clock=clock or Clock(), limits=limits)

    def generate(self, board: Board, scope: str = "all", shot_id: str | None = None) -> Board:
        shown = Shown.of(OWNER, board.id, shot_id)
        plan = self.session.plan(shown, scope)  # type: ignore[arg-type]
        assert plan.problems == [], plan.problems
        sent = self.session.generate(shown, plan.token("test"))
        assert isinstance(sent, Sent) and sent.takes
        for take in sent.takes:
            assert self.manager.wait(take.job_id, timeout=60).status == JobStatus.COMPLETED
        fresh = self.session.refreshed(Shown.of(OWNER, board.id, None))
        assert fresh is not None
        return fresh


def _board(session: BoardSession, title: str, *prompts: str) -> Board:
    board = Board(owner=OWNER, title=title, model=MODEL_FAST, quality="480p", generate_audio=False,
                  style="charcoal, high contrast")
    for number, prompt in enumerate(prompts, 1):
        board.add_shot(title=f"Shot {number}", prompt=prompt, duration=4)
    return session.boards.save(board)


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    data = tmp_path_factory.mktemp("review") / "data"
    with Simulator(speed=250) as sim:
        settings = Settings(api_key="sk-review-test", base_url=sim.base_url, data_dir=data,
                            poll_interval=0.05, request_timeout=5.0, max_jobs_in_flight=8,
                            max_jobs_per_owner=8)
        store = HistoryStore(data)
        manager = JobManager(store, settings)
        manager.start()
        session = BoardSession(data, manager, store)
        try:
            made = Studio(data, store, manager, session, ReviewService(store, limits=ROOM),
                          Board(owner=OWNER), Board(owner=OWNER), Board(owner=OWNER))
            made.board = made.generate(_board(session, "Pilot", SECRET_PROMPT, "a beam sweeps the bay",
                                              "=cmd|' /C calc'!A0"))
            made.other = made.generate(_board(session, "Another board", "a private second board"))
            made.versioned = made.generate(_board(session, "Versions", "a gull lands", "a gull takes off"))
            yield made
        finally:
            session.close()
            manager.stop(grace=0.5)
            store.close()


def _db_bytes(data: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data.glob(f"{DB_FILENAME}*") if p.is_file())


# --- links ------------------------------------------------------------------------------------------


def test_the_token_is_256_bits_and_only_hashes_of_it_and_the_passphrase_are_stored(studio: Studio) -> None:
    token, link = studio.reviews.share(OWNER, studio.board.id, passphrase="tide-pool-42")
    assert len(token) >= 43  # token_urlsafe(32): 256 bits, at least the 128 the issue asks
    assert token not in repr(link) and link.has_passphrase and link.show_prompts
    raw = _db_bytes(studio.data)
    assert token.encode() not in raw and b"tide-pool-42" not in raw
    opened = studio.reviews.open(token, "tide-pool-42")
    assert opened.id == link.id and opened.last_opened_at is not None
    listed = studio.reviews.links(OWNER, studio.board.id)[0]
    assert listed.id == link.id and listed.revoked_at is None
    assert listed.last_opened_at == opened.last_opened_at


def test_wrong_revoked_and_expired_tokens_answer_alike_and_revoking_works_at_once(studio: Studio) -> None:
    clock = Clock()
    reviews = studio.service(clock)
    token, link = reviews.share(OWNER, studio.board.id, expires_in_days=2)
    opened = reviews.open(token)
    assert reviews.view(opened).title == "Pilot" and reviews.alive(opened)
    job = reviews.view(opened).shots[0].take_job_id
    assert reviews.media_file(opened.ticket, job) is not None

    answers = []
    for bad in ("x" * 43, token[:-1] + ("A" if token[-1] != "A" else "B"), "", None, "é" * 5000):
        with pytest.raises(LinkClosed) as wrong:
            reviews.open(bad)
        answers.append((type(wrong.value), wrong.value.message))
    assert reviews.revoke(OWNER, link.id) and not reviews.revoke(OWNER, link.id)
    # The page that was open loses everything at once: view, notes, statuses, media.
    assert not reviews.alive(opened) and reviews.media_file(opened.ticket, job) is None
    for call in (lambda: reviews.view(opened),
                 lambda: reviews.add_note(opened, studio.board.shots[0].id, job, 1, "Ana", "late"),
                 lambda: reviews.approve(opened, "Ana", studio.board.shots[0].id, job)):
        with pytest.raises(LinkClosed):
            call()
    with pytest.raises(LinkClosed) as revoked:
        reviews.open(token)
    answers.append((type(revoked.value), revoked.value.message))

    token2, _ = reviews.share(OWNER, studio.board.id, expires_in_days=1)
    reviews.open(token2)
    clock.now += 86_400
    with pytest.raises(LinkClosed) as expired:
        reviews.open(token2)
    answers.append((type(expired.value), expired.value.message))
    assert len(set(answers)) == 1
    # A stranger cannot revoke, and a forged ticket opens nothing.
    _token3, link3 = reviews.share(OWNER, studio.board.id)
    assert not reviews.revoke(STRANGER, link3.id)
    assert reviews.media_file(f"{link3.id}.{'0' * 64}", job) is None


def test_the_passphrase_and_the_expiry_rules(studio: Studio) -> None:
    token, _link = studio.reviews.share(OWNER, studio.board.id, passphrase="open sesame")
    for given in (None, "", "open sesam", "x" * 5000):
        with pytest.raises(PassphraseNeeded):
            studio.reviews.open(token, given)
    assert studio.reviews.open(token, "open sesame").ticket
    for days in (0, 91, 2.5, "7", True):
        with pytest.raises(ReviewRefused, match="Expires in"):
            studio.reviews.share(OWNER, studio.board.id, expires_in_days=days)  # type: ignore[arg-type]
    with pytest.raises(ReviewRefused, match="Share"):
        studio.reviews.share(STRANGER, studio.board.id)  # not their board


def test_failed_opens_are_limited_per_address(studio: Studio) -> None:
    reviews = studio.service(limits=Limits(failed_opens=3))
    token, _link = reviews.share(OWNER, studio.board.id)
    for _ in range(3):
        with pytest.raises(LinkClosed):
            reviews.open("not-a-token", address="addr-1")
    with pytest.raises(TooManyTries):
        reviews.open(token, address="addr-1")  # even the right token, from there
    assert reviews.open(token, address="addr-2").id  # another address is not held back


# --- the reviewer's view ------------------------------------------------------------------------------


def test_the_view_shows_one_board_and_no_prompt_when_hidden(studio: Studio) -> None:
    token, _ = studio.reviews.share(OWNER, studio.board.id, show_prompts=False)
    link = studio.reviews.open(token)
    view = studio.reviews.view(link)
    assert view.title == "Pilot" and view.style == "charcoal, high contrast"
    assert [s.number for s in view.shots] == [1, 2, 3] and view.summary.endswith("of 3 shots approved")
    for shot in view.shots:
        assert shot.state == ReviewState.DONE and shot.video and shot.poster and shot.duration > 0
        assert not Path(shot.video).is_absolute() and (studio.data / shot.video).is_file()
        assert shot.prompt is None and all(v.prompt is None for v in shot.versions)
    dumped = repr(view)
    for secret in (SECRET_PROMPT, "a private second board", "Another board", OWNER, "sk-review-test"):
        assert secret not in dumped
    other_job = studio.other.shots[0].chosen.job_id  # type: ignore[union-attr]
    assert studio.reviews.media_file(link.ticket, other_job) is None
    assert studio.reviews.media_file(link.ticket, view.shots[0].take_job_id, "poster") is not None
    shown = studio.reviews.view(studio.reviews.open(studio.reviews.share(OWNER, studio.board.id)[0]))
    assert SECRET_PROMPT in (shown.shots[0].prompt or "")


def test_out_of_date_and_missing_shots_say_so_in_the_view_and_the_edl(studio: Studio) -> None:
    done = [s.chosen.job_id for s in studio.board.shots]  # type: ignore[union-attr]
    board = Board(owner=OWNER, title="Chained", model=MODEL_FAST, quality="480p", generate_audio=False)
    first = board.add_shot(title="Wide", prompt="a wide shot", duration=4)
    second = board.add_shot(title="Close", prompt="closer", duration=4, chain=True)
    board.add_shot(title="Not yet", prompt="later", duration=5)
    record_take(board, first.id, done[0])
    record_take(board, second.id, done[1], starts_from=done[2])  # continues a take shot 1 no longer shows
    studio.session.boards.save(board)
    view = studio.reviews.view(studio.reviews.open(studio.reviews.share(OWNER, board.id)[0]))
    assert [s.state for s in view.shots] == [ReviewState.DONE, ReviewState.OUT_OF_DATE, ReviewState.MISSING]
    assert view.shots[1].state_label == "Out of date: starts from an older frame"
    assert view.shots[2].video is None and view.shots[2].versions == ()
    events = list(pycmx.parse_cmx3600(io.StringIO(studio.reviews.export_edl(OWNER, board.id))).events)
    assert [e.edits[0].source for e in events] == ["SHOT001", "SHOT002", "BL"]
    assert events[2].edits[0].record_out == "01:00:13:00"  # 4 + 4 + the missing shot's planned 5 s
    texts = [s.text for e in events for s in e.statements if type(s).__name__ == "StmtRemark"]
    assert "COMMENT: OUT OF DATE: STARTS FROM AN OLDER FRAME" in texts
    assert "COMMENT: MISSING: NO VIDEO YET" in texts
    rows = list(csv.DictReader(io.StringIO(studio.reviews.export_csv(OWNER, board.id))))
    assert rows == []  # no notes yet: a header only


# --- notes --------------------------------------------------------------------------------------------


def test_notes_are_capped_plain_text_threaded_and_resolved_by_the_owner(studio: Studio) -> None:
    reviews = studio.reviews
    link = reviews.open(reviews.share(OWNER, studio.board.id)[0])
    shot = reviews.view(link).shots[1]
    job = shot.take_job_id
    assert job is not None
    html = '<img src=x onerror="alert(1)"> the beam is <b>too dim</b>'
    note = reviews.add_note(link, shot.id, job, 2.4, " Ana\x00\u202e Lee ", html)
    assert note.text == html and note.reviewer == "Ana Lee" and note.timecode == "0:02"
    for text, rule in (("x" * 1_000_000, "Note: at most 2,000 characters"), ("x" * 2001, "2,000"),
                       ("   \n ", "Note: write something")):
        with pytest.raises(ReviewRefused, match=rule):
            reviews.add_note(link, shot.id, job, 1, "Ana", text)
    with pytest.raises(ReviewRefused, match="Your name: at most 60"):
        reviews.add_note(link, shot.id, job, 1, "N" * 61, "hi")
    for seconds in (-1, shot.duration + 1, float("nan"), "soon"):
        with pytest.raises(ReviewRefused, match="Time: must"):
            reviews.add_note(link, shot.id, job, seconds, "Ana", "hi")  # type: ignore[arg-type]
    with pytest.raises(ReviewRefused, match="Take"):
        reviews.add_note(link, shot.id, studio.other.shots[0].chosen.job_id, 1, "Ana", "hi")  # type: ignore[union-attr]

    reply = reviews.reply(link, note.id, "Ben", "agreed, and warmer")
    deeper = reviews.reply(link, reply.id, "Ana", "thanks")
    assert reply.parent_id == deeper.parent_id == note.id and reply.seconds == note.seconds
    with pytest.raises(ReviewRefused, match="Reply"):
        reviews.add_note(link, studio.board.shots[0].id, reviews.view(link).shots[0].take_job_id or "",
                         1, "Ana", "wrong shot", parent_id=note.id)
    thread = next(n for n in reviews.view(link).shots[1].notes if n.id == note.id)
    assert [r.text for r in thread.replies] == ["agreed, and warmer", "thanks"]

    assert not reviews.resolve(STRANGER, note.id)
    assert reviews.resolve(OWNER, note.id)
    summary = reviews.owner_summary(OWNER, studio.board.id, since=note.created_at)
    resolved = next(n for n in summary.shot(shot.id).notes if n.id == note.id)  # type: ignore[union-attr]
    assert resolved.resolved and summary.new_notes >= 2  # the two replies came after it
    assert timecode(0) == "0:00" and timecode(65.9) == "1:05"


def test_ten_reviewers_writing_at_once_lose_no_note(studio: Studio) -> None:
    reviews = studio.reviews
    link = reviews.open(reviews.share(OWNER, studio.board.id)[0])
    shot = reviews.view(link).shots[2]
    before = len(reviews.owner_summary(OWNER, studio.board.id).shot(shot.id).notes)  # type: ignore[union-attr]
    start, errors = threading.Barrier(10), []

    def write(n: int) -> None:
        start.wait()
        try:
            for i in range(5):
                reviews.add_note(link, shot.id, shot.take_job_id or "", i * 0.5, f"Reviewer {n}", f"{n}/{i}")
        except Exception as exc:  # collected: a lost note fails the test below
            errors.append(exc)

    workers = [threading.Thread(target=write, args=(n,)) for n in range(10)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    notes = reviews.owner_summary(OWNER, studio.board.id).shot(shot.id).notes  # type: ignore[union-attr]
    assert len(notes) - before == 50
    assert {n.text for n in notes} >= {f"{n}/{i}" for n in range(10) for i in range(5)}


def test_notes_per_link_are_rate_limited_and_bounded(studio: Studio) -> None:
    clock = Clock()
    reviews = studio.service(clock, Limits(notes_per_minute=3, max_notes_per_link=5))
    link = reviews.open(reviews.share(OWNER, studio.board.id)[0])
    shot = reviews.view(link).shots[0]
    for i in range(3):
        reviews.add_note(link, shot.id, shot.take_job_id or "", 1, "Ana", f"note {i}")
    with pytest.raises(ReviewRefused, match="at most 3 a minute"):
        reviews.add_note(link, shot.id, shot.take_job_id or "", 1, "Ana", "one too many")
    clock.now += 61
    for i in range(2):
        reviews.add_note(link, shot.id, shot.take_job_id or "", 1, "Ana", f"later {i}")
    with pytest.raises(ReviewRefused, match="at most 5 notes"):
        reviews.add_note(link, shot.id, shot.take_job_id or "", 1, "Ana", "over the quota")


# --- statuses and versions ------------------------------------------------------------------------------


def test_a_new_take_is_v2_with_statuses_reset_and_v1_keeps_its_notes(studio: Studio) -> None:
    reviews, board = studio.reviews, studio.versioned
    link = reviews.open(reviews.share(OWNER, board.id)[0])
    first, second = reviews.view(link).shots
    assert [v.label for v in second.versions] == ["v1"] and second.current is not None
    v1_job = second.take_job_id or ""
    reviews.approve(link, "Ana", first.id, first.take_job_id or "")
    reviews.request_changes(link, "Ana", second.id, v1_job)
    reviews.approve(link, "Ben", second.id, v1_job)
    note = reviews.add_note(link, second.id, v1_job, 2.0, "Ana", "the gull is too small")
    view = reviews.view(link)
    assert view.summary == "1 of 2 shots approved"
    assert view.shots[1].verdict == ReviewStatus.CHANGES_REQUESTED
    assert dict(view.shots[1].statuses) == {"Ana": ReviewStatus.CHANGES_REQUESTED,
                                            "Ben": ReviewStatus.APPROVED}
    reviews.approve(link, "Ana", second.id, v1_job)  # the latest per reviewer wins
    assert reviews.view(link).summary == "2 of 2 shots approved"

    # The owner generates another take for shot 2 and picks it.
    fresh = studio.generate(board, "shot", second.id)
    new_take = fresh.shots[1].takes[-1]
    studio.session.pick_take(Shown.of(OWNER, board.id, second.id), second.id, new_take.id)
    owner_side = reviews.owner_summary(OWNER, board.id).shot(second.id)
    assert owner_side is not None and owner_side.current is not None and not owner_side.current.shown
    assert owner_side.verdict == ReviewStatus.NEEDS_REVIEW

    view = reviews.view(link)
    shot = view.shots[1]
    assert [v.label for v in shot.versions] == ["v1", "v2"] and shot.current.label == "v2"  # type: ignore[union-attr]
    assert shot.take_job_id == new_take.job_id and shot.statuses == () and shot.notes == ()
    assert shot.verdict == ReviewStatus.NEEDS_REVIEW and view.summary == "1 of 2 shots approved"
    old = shot.versions[0]
    assert [n.id for n in old.notes] == [note.id] and old.video and old.verdict == ReviewStatus.APPROVED
    with pytest.raises(ReviewRefused, match="newer version"):
        reviews.approve(link, "Ana", second.id, v1_job)
    assert reviews.media_file(link.ticket, v1_job) is not None  # v1 stays one click away
    # Back to the first take: it is v1 again, with its statuses.
    studio.session.pick_take(Shown.of(OWNER, board.id, second.id), second.id, fresh.shots[1].takes[0].id)
    again = reviews.view(link).shots[1]
    assert again.current.label == "v1" and len(again.versions) == 2  # type: ignore[union-attr]


def test_reviews_survive_a_restart(studio: Studio) -> None:
    token, link = studio.reviews.share(OWNER, studio.other.id)
    opened = studio.reviews.open(token)
    shot = studio.reviews.view(opened).shots[0]
    studio.reviews.add_note(opened, shot.id, shot.take_job_id or "", 1, "Ana", "kept")
    with HistoryStore(studio.data) as again:
        reviews = ReviewService(again)
        reopened = reviews.open(token)
        assert reopened.id == link.id
        assert [n.text for n in reviews.view(reopened).shots[0].notes] == ["kept"]


# --- exports --------------------------------------------------------------------------------------------


def test_the_notes_csv_escapes_formulas(studio: Studio) -> None:
    reviews = studio.reviews
    link = reviews.open(reviews.share(OWNER, studio.other.id)[0])
    shot = reviews.view(link).shots[0]
    reviews.add_note(link, shot.id, shot.take_job_id or "", 3.2, "@admin", '=HYPERLINK("http://x","y")')
    reviews.add_note(link, shot.id, shot.take_job_id or "", 0.5, "Ana", "  -2+3 looks off")
    reviews.approve(link, "Cy", shot.id, shot.take_job_id or "")
    rows = list(csv.DictReader(io.StringIO(reviews.export_csv(OWNER, studio.other.id))))
    formula = next(r for r in rows if "HYPERLINK" in r["text"])
    assert formula["text"].startswith("'=") and formula["reviewer"] == "'@admin"
    assert formula["time"] == "0:03" and formula["version"] == "v1" and formula["status"] == "Needs review"
    assert next(r for r in rows if "looks off" in r["text"])["text"].startswith("'")
    approved = next(r for r in rows if r["reviewer"] == "Cy")
    assert approved["status"] == "Approved" and approved["text"] == "" and approved["shot state"] == "Done"
    for row in rows:
        assert not any(cell[:1] and cell[:1] in "=+-@" for cell in row.values())


def test_the_edl_reads_as_cmx_3600_with_one_event_per_shot_and_the_notes(studio: Studio) -> None:
    reviews, board = studio.reviews, studio.board
    link = reviews.open(reviews.share(OWNER, board.id)[0])
    view = reviews.view(link)
    shot = view.shots[0]
    reviews.add_note(link, shot.id, shot.take_job_id or "", 2.0, "Ana", "shot 1 at 0:02\nsecond line")
    text = reviews.export_edl(OWNER, board.id)
    edit_list = pycmx.parse_cmx3600(io.StringIO(text))
    assert edit_list.title == "Pilot" and edit_list.format == "3600"
    assert list(edit_list.unrecognized_statements) == []
    events = list(edit_list.events)
    assert [e.number for e in events] == [1, 2, 3]
    record = "01:00:00:00"
    for event, shown in zip(events, view.shots, strict=True):
        (edit,) = event.edits
        assert edit.source == f"SHOT{shown.number:03d}" and edit.record_in == record
        assert edit.clip_name == f"{shown.number:02d}-shot-{shown.number}.mp4"
        frames = round(shown.duration * 24)
        assert _frames(edit.record_out) - _frames(edit.record_in) == frames
        assert _frames(edit.source_out) == frames
        record = edit.record_out
    remarks = [s.text for s in events[0].statements if type(s).__name__ == "StmtRemark"]
    assert "COMMENT: 01:00:02:00 Ana: shot 1 at 0:02 second line" in remarks


def _frames(smpte: str) -> int:
    hh, mm, ss, ff = (int(x) for x in smpte.split(":"))
    return ((hh * 60 + mm) * 60 + ss) * 24 + ff


def test_the_review_zip_of_a_shared_board_carries_the_csv_and_the_edl(studio: Studio) -> None:
    studio.reviews.share(OWNER, studio.board.id)
    studio.reviews.attach(studio.session)
    try:
        _board, path = studio.session.review_zip(Shown.of(OWNER, studio.board.id, None))
    finally:
        studio.session.review_files = None
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        assert {NOTES_CSV_NAME, EDL_NAME} <= names
        assert zf.read(EDL_NAME).decode().startswith("TITLE: Pilot")
    wait_until(lambda: path.is_file())


def test_notes_marked_read_stay_read_after_a_restart(studio: Studio) -> None:
    reviews, board_id = studio.reviews, studio.other.id
    link = reviews.open(reviews.share(OWNER, board_id)[0])
    shot = reviews.view(link).shots[0]
    before = reviews.owner_summary(OWNER, board_id).new_notes  # other tests' notes on this board
    reviews.add_note(link, shot.id, shot.take_job_id or "", 0.5, "Ana", "before the owner looked")
    assert reviews.owner_summary(OWNER, board_id).new_notes == before + 1
    reviews.mark_seen(OWNER, board_id)
    assert reviews.owner_summary(OWNER, board_id).new_notes == 0
    with pytest.raises(ReviewRefused):
        reviews.mark_seen(STRANGER, board_id)

    reopened = HistoryStore(studio.data)  # the studio restarted: a new store and service on the same data
    try:
        after = ReviewService(reopened, limits=ROOM)
        assert after.owner_summary(OWNER, board_id).new_notes == 0
        after.add_note(after.open(reviews.share(OWNER, board_id)[0]), shot.id, shot.take_job_id or "", 1.0,
                       "Ben", "after the owner looked")
        assert after.owner_summary(OWNER, board_id).new_notes == 1
    finally:
        reopened.close()
