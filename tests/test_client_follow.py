"""The one poll loop (`polling.iter_snapshots`) with a scripted `get` and a recording `sleep`:
which snapshots it yields, what it asks its failure policy, how long it waits. No sockets, no clock."""

from __future__ import annotations

import pytest

from seedance_ui.client import (
    AuthenticationError,
    ConnectionFailedError,
    NotFoundError,
    PollSchedule,
    RateLimitedError,
    ServerError,
    Task,
    TaskStatus,
)
from seedance_ui.client.polling import GiveUpAfter, iter_snapshots

PROCESSING = Task(id="t", status=TaskStatus.PROCESSING, progress=10)
DONE = Task(id="t", status=TaskStatus.COMPLETED, progress=100)


class Script:
    """A `get` that answers from a list: a Task is returned, an exception raised."""

    def __init__(self, *steps: Task | Exception) -> None:
        self.steps = list(steps)
        self.calls = 0

    async def get(self, task_id: str) -> Task:
        assert task_id == "t"
        self.calls += 1
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


class Recorder:
    """A failure policy that keeps trying and remembers what it was told."""

    def __init__(self) -> None:
        self.failures: list[tuple[type, int, Task | None]] = []
        self.recoveries: list[int] = []

    def after_failure(self, exc: Exception, failures: int, last: Task | None) -> float:
        if isinstance(exc, NotFoundError):
            raise exc
        self.failures.append((type(exc), failures, last))
        return 100.0 + failures

    def after_recovery(self, failures: int) -> None:
        self.recoveries.append(failures)


async def follow(script: Script, **kw: object) -> tuple[list[Task], list[float]]:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    kw.setdefault("schedule", PollSchedule(5.0))
    seen = [t async for t in iter_snapshots(script.get, "t", sleep=sleep, **kw)]  # type: ignore[arg-type]
    return seen, waits


async def test_the_policy_hears_every_failure_and_recovery_and_sets_the_wait():
    script = Script(ServerError("502"), ConnectionFailedError("down"), PROCESSING, ServerError("503"), DONE)
    policy = Recorder()
    seen, waits = await follow(script, failures=policy)
    assert seen == [PROCESSING, DONE] and script.calls == 5
    assert policy.failures == [
        (ServerError, 1, None), (ConnectionFailedError, 2, None), (ServerError, 1, PROCESSING)
    ]
    assert policy.recoveries == [2, 1]
    # first poll at once; after failures the policy's wait; after a snapshot the schedule's pace
    # (base 5 s: no progress rate yet); after a failure with a snapshot, the longer of the two
    assert waits == [0.0, 101.0, 102.0, 5.0, 101.0]


async def test_a_first_snapshot_is_yielded_and_a_terminal_first_ends_at_once():
    script = Script(DONE)
    seen, waits = await follow(script, failures=Recorder(), first=PROCESSING)
    assert seen == [PROCESSING, DONE] and waits == [5.0]
    seen, waits = await follow(Script(), failures=Recorder(), first=DONE)
    assert seen == [DONE] and waits == []


async def test_a_policy_that_raises_ends_the_loop():
    script = Script(PROCESSING, NotFoundError("gone", status_code=404), DONE)
    with pytest.raises(NotFoundError):
        await follow(script, failures=Recorder())
    assert script.calls == 2


async def test_give_up_after_rides_out_transient_errors_then_raises_the_last():
    script = Script(
        ServerError("502"), RateLimitedError("slow down", retry_after=7.0), PROCESSING,
        ServerError("a"), ConnectionFailedError("b"), ServerError("c"), DONE,
    )
    with pytest.raises(ServerError, match="c"):
        await follow(script, failures=GiveUpAfter(limit=3, base=5.0))
    assert script.calls == 6
    assert script.steps == [DONE]


async def test_give_up_after_waits_for_retry_after_then_the_base_then_the_schedule():
    script = Script(ServerError("502"), RateLimitedError("slow down", retry_after=7.0), PROCESSING,
                    ServerError("a"), DONE)
    seen, waits = await follow(script, failures=GiveUpAfter(limit=3, base=4.0), schedule=PollSchedule(5.0))
    assert seen == [PROCESSING, DONE]
    assert waits == [0.0, 4.0, 7.0, 5.0, 5.0]


async def test_give_up_after_raises_a_non_transient_error_at_once():
    script = Script(AuthenticationError("bad key", status_code=401), DONE)
    with pytest.raises(AuthenticationError):
        await follow(script, failures=GiveUpAfter(limit=5, base=5.0))
    assert script.calls == 1
