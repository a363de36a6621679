"""A history page of a visitor with many jobs (#24 item 9): the store's filtered, searched and paged query
plus what the gallery draws of each item (its caption and its poster's file), in-process, timed."""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from seedance_ui.options import MODE_FRAMES, MODE_REFERENCES, MODE_TEXT, model_id
from seedance_ui.store import HistoryStore, JobRecord, JobStatus
from seedance_ui.store.query import BOARD_STUDIO, HistoryQuery
from seedance_ui.ui.studio.history_find import HistoryFinder
from seedance_ui.ui.studio.history_views import history_label

OWNER = "b" * 32
JOBS = 1000  # the visitor's history
ROUNDS = 5  # timed rounds of every query, after one warm-up
QUERIES = (
    HistoryQuery(),
    HistoryQuery(search="harbour copper"),
    HistoryQuery(mode=MODE_FRAMES, status="done", board=BOARD_STUDIO),
    HistoryQuery(search="gulls", status="failed"),
    HistoryQuery(page=10),
)


@dataclass(frozen=True)
class PageTimes:
    jobs: int
    p50: float
    worst: float


def seed(store: HistoryStore, jobs: int) -> None:
    modes = (MODE_TEXT, MODE_FRAMES, MODE_REFERENCES)
    start = time.time() - jobs
    for i in range(jobs):
        prompt = f"Shot {i}: a paper boat drifts past the harbour while gulls circle, the water turns copper"
        status = JobStatus.FAILED if i % 10 == 0 else JobStatus.COMPLETED
        params = {"prompt": prompt, "model": model_id(modes[i % 3], "Fast"), "duration": 5,
                  "aspect_ratio": "16:9"}
        store.add(JobRecord.new(OWNER, params, status=status, created_at=start + i))


def run(*, jobs: int = JOBS, rounds: int = ROUNDS, work: Path | None = None) -> PageTimes:
    """Seed `jobs` jobs, then time each query of QUERIES `rounds` times (after one warm-up round)."""
    with tempfile.TemporaryDirectory(dir=work) as tmp, HistoryStore(Path(tmp)) as store:
        seed(store, jobs)
        finder = HistoryFinder(store)
        times: list[float] = []
        for n in range(rounds + 1):
            for query in QUERIES:
                began = time.perf_counter()
                page = finder.page(OWNER, None, query)
                for row in page.rows:
                    history_label(row)
                    store.poster_file(row.record)
                if n:
                    times.append(time.perf_counter() - began)
    return PageTimes(jobs, statistics.median(times), max(times))
