"""Storyboard cost estimates, generation planning, and takes."""

import pytest

from seedance_ui.client import GenerationRequest, ValidationError
from seedance_ui.options import MODEL_FAST, MODEL_STANDARD
from seedance_ui.pricing import estimate
from seedance_ui.store import JobStatus
from seedance_ui.storyboard import (
    Board,
    StoryboardError,
    board_estimate,
    choose_take,
    delete_take,
    note_job_status,
    record_take,
    refresh_chosen,
    shot_state,
    shots_to_generate,
    submit_shots,
)


def _job(n: int) -> str:
    return f"{n:032x}"


def _board() -> Board:
    board = Board(owner="a", model=MODEL_STANDARD, quality="720p", style="noir")
    board.add_shot(title="one", prompt="p1", duration=4)
    board.add_shot(title="two", prompt="p2", duration=8, model=MODEL_FAST)
    board.add_shot(title="three", prompt="p3", duration=15, quality="480p")
    return board


# --- estimates ---------------------------------------------------------------------------------------


def test_board_estimate_sums_effective_prices():
    board = _board()
    credits, usd, lines = board_estimate(board)
    expected = [
        estimate(MODEL_STANDARD, "720p", 4),
        estimate(MODEL_FAST, "720p", 8),
        estimate(MODEL_STANDARD, "480p", 15),
    ]
    assert [(line.number, line.credits, line.usd) for line in lines] == [
        (i + 1, e.credits, e.usd) for i, e in enumerate(expected)
    ]
    assert credits == pytest.approx(44.0 + 71.28 + 76.395)
    assert usd == pytest.approx(sum(e.usd for e in expected))
    assert lines[1].model == MODEL_FAST and lines[2].quality == "480p"


def test_board_estimate_only_missing():
    board = _board()
    one, two, three = board.shots
    record_take(board, one.id, _job(1))
    record_take(board, two.id, _job(2))
    statuses = {_job(1): "completed", _job(2): "failed"}
    total = board_estimate(board, only_missing=True, job_status_of=statuses.get)
    assert [line.shot_id for line in total.shots] == [two.id, three.id]
    assert total.credits == pytest.approx(71.28 + 76.395)
    # without statuses, a shot with any take counts as done
    assert [line.shot_id for line in board_estimate(board, only_missing=True).shots] == [three.id]


def test_unpriceable_shot_is_reported_not_counted():
    board = _board()
    board.shots[0].quality = "1080p"
    credits, _, lines = board_estimate(board)
    assert lines[0].credits == 0 and "1080p" in lines[0].error
    assert credits == pytest.approx(71.28 + 76.395)


# --- planning ----------------------------------------------------------------------------------------


def test_plan_modes():
    board = Board(owner="a")
    shots = [board.add_shot(prompt=f"p{i}") for i in range(8)]
    statuses = {
        # shot 0: no takes
        _job(1): JobStatus.COMPLETED,  # shot 1
        _job(2): JobStatus.FAILED,  # shot 2: failed then processing
        _job(3): "processing",
        _job(4): JobStatus.CANCELLED,  # shot 3: cancelled + expired -> missing
        _job(5): JobStatus.EXPIRED,
        _job(6): JobStatus.UNKNOWN_OUTCOME,  # shot 4: may have been charged -> not planned again
        _job(7): JobStatus.QUEUED,  # shot 5
        _job(8): None,  # shot 6: the job is gone from the history
        _job(9): JobStatus.FAILED,  # shot 7: failed, then completed
        _job(10): JobStatus.COMPLETED,
    }
    takes = {1: [1], 2: [2, 3], 3: [4, 5], 4: [6], 5: [7], 6: [8], 7: [9, 10]}
    for index, jobs in takes.items():
        for job in jobs:
            record_take(board, shots[index].id, _job(job))
    status_of = statuses.get
    assert shots_to_generate(board, "all", status_of) == shots
    assert shots_to_generate(board) == shots
    missing = shots_to_generate(board, "missing_or_failed", status_of)
    assert missing == [shots[0], shots[3], shots[6]]
    assert [shot_state(s, status_of) for s in shots] == [
        "missing",
        "done",
        "running",
        "missing",
        "unknown_outcome",
        "running",
        "missing",
        "done",
    ]
    with pytest.raises(ValueError):
        shots_to_generate(board, "everything", status_of)


def test_record_take_is_idempotent_per_job():
    board = _board()
    one, two, _ = board.shots
    take = record_take(board, one.id, _job(1), params={"prompt": "p1, noir"})
    assert record_take(board, one.id, _job(1)) is take
    assert one.takes == [take] and take.params == {"prompt": "p1, noir"}
    with pytest.raises(StoryboardError):
        record_take(board, two.id, _job(1))


def test_first_completed_take_becomes_chosen_unless_the_user_chose():
    board = _board()
    one, two, _ = board.shots
    t1 = record_take(board, one.id, _job(1))
    t2 = record_take(board, one.id, _job(2))
    assert note_job_status(board, _job(1), "processing") is None
    assert note_job_status(board, _job(2), JobStatus.COMPLETED) is one
    assert one.chosen_take == t2.id and not one.chosen_by_user
    note_job_status(board, _job(1), "completed")  # later completion does not steal the choice
    assert one.chosen_take == t2.id
    assert note_job_status(board, _job(99), "completed") is None

    u1 = record_take(board, two.id, _job(3))
    u2 = record_take(board, two.id, _job(4))
    choose_take(board, two.id, u2.id)
    assert two.chosen_by_user
    statuses = {_job(1): "completed", _job(2): "completed", _job(3): "completed", _job(4): "failed"}
    assert refresh_chosen(board, statuses.get) == []  # the user's pick stands; so does shot one's
    assert one.chosen_take == t2.id
    choose_take(board, two.id, None)
    assert refresh_chosen(board, statuses.get) == [two]
    assert two.chosen_take == u1.id and not two.chosen_by_user
    with pytest.raises(KeyError):
        choose_take(board, two.id, t1.id)  # a take of another shot


def test_refresh_chosen_replaces_an_automatic_choice_that_went_away():
    board = _board()
    one = board.shots[0]
    t1 = record_take(board, one.id, _job(1))
    t2 = record_take(board, one.id, _job(2))
    t1.created_at, t2.created_at = 1.0, 2.0
    statuses = {_job(1): "completed", _job(2): "completed"}
    assert refresh_chosen(board, statuses.get) == [one] and one.chosen_take == t1.id
    statuses[_job(1)] = None  # deleted from the history
    assert refresh_chosen(board, statuses.get) == [one] and one.chosen_take == t2.id
    statuses[_job(2)] = "expired"
    assert refresh_chosen(board, statuses.get) == [one] and one.chosen_take is None


def test_delete_take_clears_the_choice():
    board = _board()
    one = board.shots[0]
    take = record_take(board, one.id, _job(1))
    choose_take(board, one.id, take.id)
    delete_take(board, one.id, take.id)
    assert one.takes == [] and one.chosen_take is None and not one.chosen_by_user


def test_submit_shots_records_takes_with_the_request_sent():
    board = _board()
    board.shots[2].duration = 30  # invalid: the submit function raises for it
    sent: list[GenerationRequest] = []

    def submit(request: GenerationRequest) -> str:
        request.validate()
        sent.append(request)
        return _job(len(sent))

    takes, errors = submit_shots(board, board.shots, submit)
    assert [t.job_id for t in takes] == [_job(1), _job(2)]
    assert sent[0].prompt == "p1, noir" and sent[1].model == MODEL_FAST
    assert board.shots[0].takes[0].params == sent[0].to_params()
    assert list(errors) == [board.shots[2].id]
    assert isinstance(errors[board.shots[2].id], ValidationError)
    assert board.shots[2].takes == []
