"""BoardSession: the storyboard verbs without any UI, over a real job manager and the contract simulator.

Opening (a sample board on the first visit), the field-level merge of what two pages saved, the shot
verbs, planning with prices and problems, generating only what was confirmed, picking takes, importing
and exporting. No Gradio: a fresh interpreter imports the session and runs a verb without it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from seedance_ui.config import Settings
from seedance_ui.jobs import JobManager
from seedance_ui.options import MODEL_FAST
from seedance_ui.pricing import estimate
from seedance_ui.simulator import Simulator
from seedance_ui.store import HistoryStore, JobStatus
from seedance_ui.storyboard import Board, dumps_board
from seedance_ui.storyboard.page import SAMPLE_TITLE, Shown, page_values
from seedance_ui.storyboard.session import BoardSession, Plan, Refused, Sent

ROOT = Path(__file__).resolve().parent.parent
OWNER, STRANGER = "a" * 32, "b" * 32
FAIL = "[sim:fail=content_policy_violation]"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(speed=250) as s:
        yield s


@pytest.fixture()
def session(sim: Simulator, tmp_path: Path) -> Iterator[BoardSession]:
    data = tmp_path / "data"
    settings = Settings(
        api_key="sk-session-test",
        base_url=sim.base_url,
        data_dir=data,
        poll_interval=0.05,
        request_timeout=5.0,
    )
    store = HistoryStore(data)
    manager = JobManager(store, settings)
    manager.start()
    yield BoardSession(data, manager, store)
    manager.stop(grace=0.5)
    store.close()


def opened(session: BoardSession, owner: str = OWNER, page: str | None = None) -> tuple[Board, Shown]:
    """The owner's board as a page opens it, and what that page then shows (the first shot selected)."""
    board, _shot = session.open(owner, None, None)
    shot_id = board.shots[0].id
    values = session.drawn(page, board, shot_id)
    return board, Shown.of(owner, board.id, shot_id, values, session=page)


def test_the_session_imports_and_runs_without_gradio(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from seedance_ui.storyboard.session import BoardSession
        from seedance_ui.storyboard.page import Shown
        session = BoardSession({str(tmp_path)!r}, jobs=None, files=None)
        board, shot = session.open({OWNER!r}, None, None)
        board, shot = session.add_shot(Shown.of({OWNER!r}, board.id, None))
        assert len(board.shots) == 4 and shot == board.shots[-1].id
        assert "gradio" not in sys.modules, "the storyboard session imported gradio"
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_first_visit_opens_a_sample_board_and_later_visits_the_latest(session: BoardSession) -> None:
    board, shot = session.open(OWNER, None, None)
    assert board.title == SAMPLE_TITLE and len(board.shots) == 3 and shot is None
    again, shot = session.open(OWNER, board.id, board.shots[1].id)
    assert again.id == board.id and shot == board.shots[1].id
    # Ids that are not ours, or another owner's board, open the owner's own latest board instead.
    for board_id, shot_id in (("../etc", "x"), (None, board.shots[0].id)):
        other, shot = session.open(OWNER, board_id, shot_id)
        assert other.id == board.id and shot is None
    theirs, _ = session.open(STRANGER, board.id, None)
    assert theirs.id != board.id and theirs.owner == STRANGER
    assert [b.id for b in session.boards.list(OWNER)] == [board.id]


def test_a_page_that_is_behind_only_writes_the_fields_it_changed(session: BoardSession) -> None:
    board, first = opened(session, page="tab1")
    _board, second = opened(session, page="tab2")
    shot = board.shots[0].id

    saved = session.commit(
        Shown.of(OWNER, board.id, shot, {**first.values(), "title": "Pilot, tab one"}, session="tab1")
    )
    assert saved is not None and saved.title == "Pilot, tab one"
    # Tab two still shows the old title (as drawn) and changes the style: the title stays tab one's.
    sent = {**second.values(), "style": "charcoal, tab two"}
    saved = session.commit(Shown.of(OWNER, board.id, shot, sent, session="tab2"))
    assert saved is not None and (saved.title, saved.style) == ("Pilot, tab one", "charcoal, tab two")
    on_disk = session.boards.get(OWNER, board.id)
    assert on_disk is not None and (on_disk.title, on_disk.style) == (
        "Pilot, tab one",
        "charcoal, tab two",
    )
    # A page the session has no memory of (after a restart, say) writes everything it shows.
    saved = session.commit(Shown.of(OWNER, board.id, shot, second.values(), session="tab3"))
    assert saved is not None and saved.title == SAMPLE_TITLE
    # Nothing is written for someone else's board, and bad values are ignored.
    assert session.commit(Shown.of(STRANGER, board.id, shot, {"title": "mine"})) is None
    saved = session.commit(Shown.of(OWNER, board.id, shot, {"quality": "8k", "shot_duration": 4.5}))
    assert saved is not None and saved.quality == board.quality and saved.shots[0].duration == 5


def test_the_shot_verbs_return_the_board_and_the_shot_to_select(session: BoardSession) -> None:
    board, shown = opened(session)
    first, second, third = (s.id for s in board.shots)

    board, copy = session.duplicate_shot(shown)
    assert [s.id for s in board.shots][:2] == [first, copy] and board.shot(
        copy
    ).title == "Storm at dusk (copy)"
    board, moved = session.move_shot(Shown.of(OWNER, board.id, third), -1)
    assert moved == third and [s.id for s in board.shots] == [first, copy, third, second]
    board, selected = session.delete_shot(Shown.of(OWNER, board.id, copy))
    assert selected == third and [s.id for s in board.shots] == [first, third, second]
    board, added = session.add_shot(Shown.of(OWNER, board.id, None))
    assert board.shots[-1].id == added and board.shots[-1].prompt == ""
    board, selected = session.select(
        Shown.of(OWNER, board.id, added, {"shot_prompt": "A gull lands"}), second
    )
    assert selected == second and board.shot(added).prompt == "A gull lands"
    on_disk = session.boards.get(OWNER, board.id)
    assert on_disk is not None and dumps_board(on_disk) == dumps_board(board)
    # Without a selected shot nothing moves; without an open board the verbs refuse.
    assert session.move_shot(Shown.of(OWNER, board.id, None), 1)[1] is None
    with pytest.raises(Refused, match="Open a board first"):
        session.add_shot(Shown.of(OWNER, None, None))


def test_page_values_show_overrides_and_invalid_settings_as_the_page_offers_them(
    session: BoardSession,
) -> None:
    board, _shown = opened(session)
    shot = board.shots[0]
    shot.model, shot.quality, shot.generate_audio = MODEL_FAST, None, False
    board.aspect_ratio = "5:7"
    values = page_values(board, shot)
    assert (values["shot_model"], values["shot_quality"], values["shot_audio"]) == (
        MODEL_FAST,
        "board",
        "off",
    )
    assert values["aspect_ratio"] is None and values["shot_duration"] == shot.duration
    assert "shot_title" not in page_values(board, None)


def test_a_plan_prices_the_shots_and_only_what_was_confirmed_is_sent(session: BoardSession) -> None:
    board, shown = opened(session)
    plan = session.plan(shown, "all")
    expected = sum(
        estimate(board.model_of(s), board.quality_of(s), s.duration).credits for s in board.shots
    )
    assert plan.shot_ids == [s.id for s in board.shots] and not plan.problems
    assert plan.estimate.credits == pytest.approx(expected)
    token = plan.token("Generate all shots")
    assert token == {
        "board": board.id,
        "shots": plan.shot_ids,
        "credits": round(expected, 4),
        "what": "Generate all shots",
    }

    # The board changed after the plan (a longer shot): nothing is sent, the new plan comes back.
    longer = Shown.of(OWNER, board.id, shown.shot_id, {"shot_duration": 9})
    stale = session.generate(longer, token)
    assert isinstance(stale, Plan) and stale.changed and stale.estimate.credits > expected
    assert all(not s.takes for s in session.boards.get(OWNER, board.id).shots)
    # A token for another board sends nothing either.
    assert session.generate(shown, {**token, "board": "c" * 32}) is None

    sent = session.generate(longer, stale.token("Generate all shots"))
    assert isinstance(sent, Sent) and not sent.errors and len(sent.takes) == 3
    for take in sent.takes:
        assert session.manager.wait(take.job_id, timeout=30).status == JobStatus.COMPLETED
    refreshed = session.refreshed(Shown.of(OWNER, board.id, None))
    assert refreshed is not None
    assert [s.chosen_take for s in refreshed.shots] == [t.id for t in sent.takes]
    assert session.plan(shown, "missing").shot_ids == []  # every shot has a finished take


def test_problems_stop_a_plan_and_a_failed_shot_is_planned_again(session: BoardSession) -> None:
    board, shown = opened(session)
    empty = session.plan(Shown.of(OWNER, board.id, shown.shot_id, {"shot_prompt": "  "}), "shot")
    assert empty.shot_ids == [shown.shot_id] and empty.problems and empty.token("Shot 1") is None
    failing = Shown.of(OWNER, board.id, shown.shot_id, {"shot_prompt": f"A lamp goes out {FAIL}"})
    plan = session.plan(failing, "shot")
    sent = session.generate(failing, plan.token("Shot 1: a new take"))
    assert isinstance(sent, Sent) and len(sent.takes) == 1
    assert session.manager.wait(sent.takes[0].job_id, timeout=30).status == JobStatus.FAILED
    assert session.plan(shown, "missing").shot_ids == [s.id for s in board.shots]  # none has a video yet


def test_takes_are_picked_and_the_review_exports_hold_the_chosen_takes(session: BoardSession) -> None:
    board, shown = opened(session)
    shot = board.shots[0].id
    for _ in range(2):
        plan = session.plan(shown, "shot")
        sent = session.generate(shown, plan.token("a new take"))
        assert isinstance(sent, Sent)
        session.manager.wait(sent.takes[0].job_id, timeout=30)
    second = session.boards.get(OWNER, board.id).shot(shot).takes[1]
    picked = session.pick_take(shown, shot, second.id)
    assert (picked.shot_number, picked.take_number) == (1, 2) and picked.board.shot(
        shot
    ).chosen_take == second.id
    with pytest.raises(Refused, match="no longer on this shot"):
        session.pick_take(shown, shot, "d" * 32)

    board, path = session.review_zip(shown)
    with zipfile.ZipFile(path) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        names = set(bundle.namelist())
    first_shot = manifest["shots"][0]
    assert (first_shot["take_id"], first_shot["job_id"]) == (second.id, second.job_id)
    assert first_shot["video"] in names and first_shot["status"] == "completed"
    assert [s["video"] for s in manifest["shots"][1:]] == [None, None]  # nothing generated for them
    board, sheet = session.contact_sheet(shown)
    assert sheet.is_file() and sheet.suffix == ".png"
    assert session.exported(board, OWNER)[:1] == [path] and sheet in session.exported(board, OWNER)


def test_boards_are_created_switched_imported_and_exported(
    session: BoardSession, tmp_path: Path
) -> None:
    board, shown = opened(session)
    new, shot = session.new_board(shown)
    assert new.title == "Storyboard 2" and [s.id for s in new.shots] == [shot]
    assert session.switch(Shown.of(OWNER, new.id, shot), board.id).id == board.id
    with pytest.raises(Refused, match="That board is gone"):
        session.switch(shown, "e" * 32)

    _board, json_path = session.export_text(shown, "json")
    _board, csv_path = session.export_text(shown, "csv")
    assert json_path.parent == csv_path.parent == session.exports_dir(OWNER)
    assert OWNER not in json_path.read_text(encoding="utf-8")  # exported without its owner
    copy = session.import_file(shown, json_path)
    assert copy.id != board.id and [s.prompt for s in copy.shots] == [s.prompt for s in board.shots]
    from_csv = session.import_file(shown, csv_path)
    assert from_csv.title == f"{board.title} (from CSV)" and len(from_csv.shots) == 3
    bad = tmp_path / "broken.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(Refused, match=r"Could not import broken\.json") as refused:
        session.import_file(shown, bad)
    assert refused.value.kind == "error"
    assert len(session.boards.list(OWNER)) == 4
