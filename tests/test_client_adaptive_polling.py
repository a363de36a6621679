"""Adaptive polling against a fixed 5-s poller on a 165 s task, on a virtual clock.

The real SeedanceClient follows real tasks of the real simulator over loopback HTTP, but both read
a virtual clock (tests/virtual_clock.py): a sleep advances it, and every request costs a fixed
latency. So the schedule is pinned exactly, a wrong one fails every time, and a busy machine neither
flakes nor hides anything. The same race in real time is a bench row (bench/polling.py, "GET requests
per task" and "Detection delay" in BENCHMARKS.md).

For each actual/advertised ratio (0.6, 1.0, 1.5) an adaptive watcher and fixed-grid watchers at evenly
spread phases follow identical 165 s tasks, so the fixed poller's mean detection delay is the honest
~2.5 s of a 5-s poller. Run with `-s` to see the numbers.
"""

from __future__ import annotations

import math

import pytest
from virtual_clock import LatencyTransport, VirtualClock

from seedance_ui.client import GenerationRequest, PollSchedule, RetryPolicy, SeedanceClient, TaskStatus
from seedance_ui.client import api as client_api
from seedance_ui.client import polling as client_polling
from seedance_ui.simulator import Simulator
from seedance_ui.simulator import server as sim_server

BASE = 5.0  # SEEDANCE_POLL_INTERVAL, in simulated seconds (the virtual clock runs at 1x)
REQUEST = GenerationRequest(prompt="A lighthouse keeper climbs the stairs at dusk.", duration=8)  # 165 s
ESTIMATE = 165
FACTORS = (0.6, 1.0, 1.5)
FIXED_PHASES = 4
LATENCIES = (0.05, 0.8)  # seconds per request: loopback-fast, and a slow client on a busy network
GETS_TARGET = 0.4


class FixedSchedule(PollSchedule):
    """The naive poller: a poll every `base` seconds on a fixed grid starting at `phase`."""

    def __init__(self, base_interval: float, phase: float) -> None:
        super().__init__(base_interval)
        self.phase = phase

    def next_delay(self, task, elapsed):
        k = math.floor((elapsed - self.phase) / self.base) + 1
        return max(0.0, self.phase + k * self.base - elapsed)


class NaiveAdaptive(PollSchedule):
    """A wrong 'adaptive' schedule (the base interval, always): the targets must catch it."""

    def next_delay(self, task, elapsed):
        return 0.0 if task.is_terminal else self.base


async def _watch(client: SeedanceClient, sim: Simulator, clock: VirtualClock, schedule: PollSchedule
                 ) -> tuple[int, float]:
    """(GETs of the task, detection delay in simulated seconds) for one task followed to its end."""
    created = await client.create(REQUEST)
    task = created
    async for task in client.iter_snapshots(created.id, first=created, schedule=schedule):  # noqa: B007
        pass
    seen_at = clock.monotonic()
    assert task.status is TaskStatus.COMPLETED
    completed_at = sim.task_completed_at(task.id)
    assert completed_at is not None and seen_at >= completed_at
    return sim.count("GET", f"/v1/tasks/{task.id}"), seen_at - completed_at


async def _race(monkeypatch, factor: float, latency: float, adaptive: type[PollSchedule] = PollSchedule
                ) -> tuple[tuple[int, float], list[tuple[int, float]]]:
    """One adaptive watcher and FIXED_PHASES fixed ones on identical tasks: their (GETs, delay)."""
    clock = VirtualClock().install(monkeypatch, client_api, client_polling, sim_server)
    with Simulator(speed=1.0, seed=7, duration_factor=(factor, factor)) as sim:
        sim.set_behaviour(estimated_time=ESTIMATE)
        async with SeedanceClient("sk-FAKE-virtual", sim.base_url, poll_interval=BASE,
                                  retry=RetryPolicy(base_delay=0.001),
                                  transport=LatencyTransport(clock, latency)) as client:
            ours = await _watch(client, sim, clock, adaptive(BASE))
            fixed = [await _watch(client, sim, clock, FixedSchedule(BASE, BASE * (i + 1) / FIXED_PHASES))
                     for i in range(FIXED_PHASES)]
    return ours, fixed


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def _describe(factor, latency, ours, fixed) -> str:
    f_gets, f_delay = _mean(g for g, _ in fixed), _mean(d for _, d in fixed)
    return (f"actual {ESTIMATE * factor:.0f} s (x{factor}), {latency:g} s per request: GETs adaptive "
            f"{ours[0]} vs fixed {f_gets:.1f} ({ours[0] / f_gets:.0%}); detection delay adaptive "
            f"{ours[1]:.2f} s vs fixed {f_delay:.2f} s")


@pytest.mark.parametrize("latency", LATENCIES)
@pytest.mark.parametrize("factor", FACTORS)
async def test_adaptive_polling_uses_at_most_40_percent_of_the_gets_and_detects_as_fast(
        monkeypatch, factor, latency):
    ours, fixed = await _race(monkeypatch, factor, latency)
    report = _describe(factor, latency, ours, fixed)
    print("\n" + report, end="")
    # The fixed poller kept its grid (the clock is virtual: nothing can thin it out).
    assert _mean(g for g, _ in fixed) >= math.floor(ESTIMATE * factor / BASE), report
    assert ours[0] <= GETS_TARGET * _mean(g for g, _ in fixed), report
    assert ours[1] <= _mean(d for _, d in fixed), report


async def test_a_schedule_that_does_not_adapt_misses_the_gets_target(monkeypatch):
    ours, fixed = await _race(monkeypatch, 1.0, LATENCIES[0], adaptive=NaiveAdaptive)
    assert ours[0] > GETS_TARGET * _mean(g for g, _ in fixed), _describe(1.0, LATENCIES[0], ours, fixed)
