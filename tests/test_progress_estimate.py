"""The time estimate (jobs/estimate.py): learned per model and length from the finished jobs in the store,
the contract's prior before that; used by the Studio's card and the agents' expected_wait_seconds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from seedance_ui.agents.tools import AgentTools, Caller
from seedance_ui.config import Settings
from seedance_ui.jobs import estimate
from seedance_ui.jobs.estimate import Estimates, prior_seconds
from seedance_ui.options import MODEL_FAST, MODEL_STANDARD
from seedance_ui.store import HistoryStore, JobRecord, JobStatus
from seedance_ui.ui import views

DEMO_SECONDS = 13.0  # the demo job: done 13 s after its submit


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    with HistoryStore(tmp_path) as history:
        yield history


@pytest.fixture
def estimates(store: HistoryStore) -> Estimates:
    return Estimates(store, clock=lambda: 0.0)  # time stands still: only a newly completed job refreshes


def job(model: str = MODEL_STANDARD, duration: int = 5, **fields) -> JobRecord:
    return JobRecord.new("owner-a", {"model": model, "duration": duration, "prompt": "A kite"}, **fields)


def finished(store: HistoryStore, seconds: float, *, model: str = MODEL_STANDARD, duration: int = 5,
             ended: float | None = None) -> None:
    """A completed job that took `seconds` from its submit to the provider's completion."""
    ended = time.time() if ended is None else ended
    store.add(job(model, duration, status=JobStatus.COMPLETED, progress=100, submitted_at=ended - seconds,
                  completed_at=ended, estimated_time=120))


def running(status: JobStatus = JobStatus.PENDING, progress: int = 0, spent: float = 0.0,
            **fields) -> JobRecord:
    now = time.time()
    return job(status=status, progress=progress, submitted_at=now - spent, estimated_time=120, **fields)


def test_before_any_job_the_prior_is_the_contracts(estimates: Estimates) -> None:
    assert prior_seconds(8) == 165  # CONTRACT.md: estimated_time 165 for an 8 s video
    assert estimates.expected_seconds(MODEL_STANDARD, 5) == 120
    assert estimates.expected_seconds(MODEL_STANDARD, 5, advertised=40) == 40  # the task's own estimate


def test_a_demo_job_done_in_13_s_teaches_the_next_one_of_its_kind(
    store: HistoryStore, estimates: Estimates
) -> None:
    assert estimates.expected_seconds(MODEL_STANDARD, 5, advertised=120) == 120  # read while it ran
    finished(store, DEMO_SECONDS)  # ... and the next job comes at once: it already knows
    assert estimates.expected_seconds(MODEL_STANDARD, 5, advertised=120) == DEMO_SECONDS
    # The next job: just submitted, the provider advertising 120 s. The card must not say 2:00.
    fresh = running()
    left = estimates.seconds_left(fresh)
    assert left is not None and left <= DEMO_SECONDS
    html = views.progress_card(fresh, expected=estimates.expected_for(fresh))
    assert "~2:00" not in html and ("~0:13" in html or "~0:12" in html)


def test_other_kinds_scale_the_prior_by_what_was_seen(store: HistoryStore, estimates: Estimates) -> None:
    finished(store, 12.0, duration=5)  # a tenth of its 120 s prior
    assert estimates.expected_seconds(MODEL_STANDARD, 10) == pytest.approx(prior_seconds(10) * 0.1)
    assert estimates.expected_seconds(MODEL_FAST, 5) == pytest.approx(12.0)
    # the provider's own estimate for a task still beats the scaled prior
    assert estimates.expected_seconds(MODEL_STANDARD, 10, advertised=30) == 30


def test_the_median_of_the_newest_of_a_kind(store: HistoryStore, estimates: Estimates) -> None:
    now = time.time()
    for age, seconds in enumerate([10, 11, 12, 13, 500, 900, 900]):  # newest first; the two oldest drop
        finished(store, seconds, ended=now - age)
    assert estimate.SAMPLES_PER_KIND == 5
    assert estimates.expected_seconds(MODEL_STANDARD, 5) == 12
    store.add(job(status=JobStatus.FAILED, submitted_at=now - 999, completed_at=now))  # not learned from
    store.add(job(status=JobStatus.COMPLETED, completed_at=now))  # never submitted: not learned from
    assert estimates.expected_seconds(MODEL_STANDARD, 5) == 12


def test_time_left_counts_down_then_follows_the_progress(store: HistoryStore, estimates: Estimates) -> None:
    finished(store, 20.0)
    assert estimates.seconds_left(running(spent=5)) == pytest.approx(15, abs=0.5)
    assert estimates.seconds_left(running(spent=30)) == 0  # late, no progress yet: no negative time
    moving = running(JobStatus.PROCESSING, progress=50, spent=10)
    assert estimates.seconds_left(moving) == pytest.approx(10, abs=0.5)  # its own pace from here on
    queued = job(status=JobStatus.QUEUED)
    assert estimates.seconds_left(queued) == 20  # not sent yet: the whole expected time
    assert estimates.seconds_left(running(JobStatus.DOWNLOADING, progress=100)) is None


def test_agents_expected_wait_seconds_use_the_learned_time(store: HistoryStore, estimates: Estimates) -> None:
    finished(store, DEMO_SECONDS)
    runtime = SimpleNamespace(settings=Settings(api_key=""), manager=None, store=store, estimates=estimates)
    view = AgentTools(runtime).view(running(spent=1), Caller("owner-a"))  # type: ignore[arg-type]
    assert view["expected_wait_seconds"] <= DEMO_SECONDS  # was 58 with the provider's estimate of 120
