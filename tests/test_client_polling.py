"""PollSchedule: bounds, the estimate it uses, and a virtual-clock comparison with fixed polling."""

import pytest

from seedance_ui.client import PollSchedule, Task, TaskStatus
from seedance_ui.client.polling import PROGRESS_READING_OFFSET as HALF


def snap(status="processing", progress=0, estimated_time=None):
    return Task(id="t", status=TaskStatus(status), progress=progress, estimated_time=estimated_time)


def test_floor_and_ceiling_follow_the_base_interval():
    s = PollSchedule(5.0)
    assert (s.floor, s.ceiling) == (1.0, 15.0)
    s = PollSchedule(0.05)
    assert s.floor == pytest.approx(0.01) and s.ceiling == pytest.approx(0.15)
    with pytest.raises(ValueError):
        PollSchedule(0)


def test_before_progress_it_uses_the_advertised_estimate():
    s = PollSchedule(5.0)
    assert s.next_delay(snap("pending", 0, 165), 0.0) == 15.0  # far away: the ceiling
    assert s.next_delay(snap("pending", 0), 150.0) == 15.0  # estimate remembered: 15 s left -> land there
    assert s.next_delay(snap("pending", 0), 156.0) == pytest.approx(9.0)
    assert s.next_delay(snap("pending", 0), 164.5) == 1.0  # near the end: the floor


def test_half_the_remaining_time_when_more_than_one_ceiling_away():
    s = PollSchedule(5.0)
    s.next_delay(snap("pending", 0, 165), 0.0)
    # progress 80 (read as 80.5) after 100 s -> about 24 s left -> poll in about 12 s
    expected = 100 * (100 - 80 - HALF) / (80 + HALF) / 2
    assert s.next_delay(snap("processing", 80), 100.0) == pytest.approx(expected)


def test_progress_rate_estimate():
    s = PollSchedule(5.0)
    s.next_delay(snap("pending", 0, 100), 0.0)
    p1, p2 = 20 + HALF, 60 + HALF
    assert s.remaining(snap("processing", 20), 40.0) == pytest.approx(40 * (100 - p1) / p1)
    # later readings use the rate since the first progress reading: 40 % per 40 s
    assert s.remaining(snap("processing", 60), 80.0) == pytest.approx(100 - p2)


def test_at_the_floor_once_the_end_is_near_or_passed():
    s = PollSchedule(5.0)
    s.next_delay(snap("pending", 0), 0.0)
    assert s.next_delay(snap("processing", 98), 200.0) == pytest.approx(200 * (2 - HALF) / (98 + HALF))
    assert s.next_delay(snap("processing", 99), 201.0) == 1.0  # about 1 s left: the floor
    assert s.next_delay(snap("processing", 100), 202.0) == 1.0
    s2 = PollSchedule(5.0)
    s2.next_delay(snap("pending", 0, 60), 0.0)
    assert s2.next_delay(snap("pending", 0), 60.5) == pytest.approx(1.05)
    # long past the estimate with no progress at all: eases back to the base interval, not faster
    assert s2.next_delay(snap("pending", 0), 75.0) == pytest.approx(2.5)
    assert s2.next_delay(snap("pending", 0), 600.0) == 5.0


def test_no_information_and_unknown_status_use_the_base_interval():
    assert PollSchedule(5.0).next_delay(snap("pending", 0), 0.0) == 5.0
    s = PollSchedule(5.0)
    s.next_delay(snap("pending", 0, 165), 0.0)
    assert s.next_delay(snap("unknown", 40), 50.0) == 5.0
    assert PollSchedule(5.0).next_delay(snap("completed", 100), 3.0) == 0.0


def test_a_resumed_task_uses_the_progress_made_while_watched():
    s = PollSchedule(5.0)
    assert s.next_delay(snap("processing", 50), 0.0) == 5.0  # no rate yet
    assert s.remaining(snap("processing", 60), 10.0) == pytest.approx(40.0 - HALF)  # 10 % per 10 s


def test_every_delay_is_within_the_bounds():
    s = PollSchedule(5.0)
    s.next_delay(snap("pending", 0, 165), 0.0)
    for elapsed, progress in [(1, 0), (5, 1), (10, 7), (60, 40), (150, 95), (170, 99), (400, 99)]:
        assert 1.0 <= s.next_delay(snap("processing", progress), elapsed) <= 15.0


# A virtual-clock model of the simulator's timeline: pending for 5 % of the run, then progress
# int(100 * t / T) capped at 99, estimated_time shown while progress < 50. No sockets, no sleeping.


def _snapshot(t, run, estimate):
    if t >= run:
        return snap("completed", 100)
    if t < 0.05 * run:
        return snap("pending", 0, estimate)
    p = max(1, min(99, int(100 * t / run)))
    return snap("processing", p, estimate if p < 50 else None)


def _run(run, delay_for, estimate=165.0, latency=0.02):
    t, polls, task = 0.0, 0, _snapshot(0.0, run, estimate)
    while not task.is_terminal:
        t += delay_for(task, t) + latency
        polls += 1
        task = _snapshot(t, run, estimate)
    return polls, t - run


@pytest.mark.parametrize("factor", [0.6, 0.75, 0.9, 1.0, 1.1, 1.25, 1.4, 1.5])
def test_virtual_clock_beats_fixed_polling(factor):
    run = 165 * factor
    adaptive_polls, adaptive_delay = _run(run, PollSchedule(5.0).next_delay)
    fixed_polls, _ = _run(run, lambda task, t: 5.0)
    assert adaptive_polls <= 0.4 * fixed_polls, (adaptive_polls, fixed_polls)
    assert adaptive_delay <= 2.5  # the mean detection delay of a fixed 5-s poller
