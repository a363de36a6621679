"""The simulator reports progress as the provider does (CONTRACT.md section 2), on its own clock.

Over real loopback HTTP: its estimate is the run it times (a demo job of 12 s does not advertise 120 s);
a demo job followed as the studio follows it (the demo client's poll interval, the adaptive schedule) is
seen pending, then processing with rising progress, then completed; status reads are answered while a
clip renders. The first two run on a virtual clock (tests/virtual_clock.py): exact, whatever the load.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import wait_until
from virtual_clock import VirtualClock

from seedance_ui import options
from seedance_ui.client import GenerationRequest, PollSchedule, TaskStatus
from seedance_ui.client import api as client_api
from seedance_ui.client import polling as client_polling
from seedance_ui.config import Settings
from seedance_ui.jobs import DEMO_API_KEY
from seedance_ui.runtime import default_client_factory
from seedance_ui.simulator import Simulator
from seedance_ui.simulator import server as sim_server

DEMO = Settings(api_key="")  # demo mode's defaults: simulator speed and poll interval
AUTH = {"Authorization": f"Bearer {DEMO_API_KEY}"}
MIN_PROCESSING_READS = 3


def create(http: httpx.Client, **fields: object) -> dict:
    response = http.post(options.CREATE_PATH, json={"model": options.DEFAULT_MODEL, **fields})
    assert response.status_code == 200, response.text
    return response.json()


def status(http: httpx.Client, task: dict) -> dict:
    return http.get(options.TASK_PATH.format(task_id=task["id"])).json()


@pytest.fixture
def clips(tmp_path: Path) -> Path:
    return tmp_path / "clips"


@pytest.fixture
def demo_sim(clips: Path) -> Iterator[Simulator]:
    with Simulator(speed=DEMO.simulator_speed, video_cache_dir=clips) as sim:
        yield sim


def test_the_advertised_estimate_is_the_run_on_the_simulators_clock(monkeypatch, demo_sim: Simulator) -> None:
    clock = VirtualClock().install(monkeypatch, sim_server)
    with httpx.Client(base_url=demo_sim.base_url, headers=AUTH) as http:
        created = create(http, prompt="A kite", duration=5)  # the default model: 120 provider seconds
        estimate = created["task_info"]["estimated_time"]
        clock.advance(estimate / 2)
        halfway = status(http, created)
        assert halfway["status"] == "processing" and 40 <= halfway["progress"] <= 60, (estimate, halfway)
        clock.advance(estimate / 2 + 0.01)
        assert status(http, created)["status"] == "completed"


async def test_a_demo_job_is_seen_pending_then_processing_with_rising_progress(
    monkeypatch, demo_sim: Simulator
) -> None:
    VirtualClock().install(monkeypatch, client_api, client_polling, sim_server)
    client = default_client_factory(DEMO, demo_sim.base_url)(DEMO_API_KEY)  # the studio's demo client
    async with client:
        created = await client.create(GenerationRequest(prompt="A kite over the dunes", duration=5))
        schedule = PollSchedule(client.poll_interval)  # as JobManager.poll_schedule makes it
        seen = [task async for task in client.iter_snapshots(created.id, first=created, schedule=schedule)]
    statuses = [task.status for task in seen]
    assert statuses[0] is TaskStatus.PENDING and statuses[-1] is TaskStatus.COMPLETED
    rising = [task.progress for task in seen if task.status is TaskStatus.PROCESSING]
    assert len(rising) >= MIN_PROCESSING_READS, statuses  # "Pending 0%, then 100%" no more
    assert rising == sorted(set(rising)) and 0 < rising[0] < rising[-1] < 100


def test_status_reads_are_answered_while_a_clip_renders(clips: Path) -> None:
    with Simulator(speed=500, video_cache_dir=clips) as sim, httpx.Client(
        base_url=sim.base_url, headers=AUTH, timeout=60
    ) as http:
        sim.set_behaviour(estimated_time=1)  # done at once
        done = create(http, prompt="A long clip to render", duration=15, quality="720p", aspect_ratio="16:9")
        sim.set_behaviour(estimated_time=50_000)  # 100 s: still running throughout
        other = create(http, prompt="Another shot")
        # "At once" is 2 ms of the simulator's clock: a fast machine reads it before that has passed
        wait_until(lambda: status(http, done)["status"] == "completed", timeout=10)
        rendered: list[int] = []
        render = threading.Thread(
            target=lambda: rendered.append(httpx.get(f"{sim.base_url}/_sim/videos/{done['id']}.mp4",
                                                     timeout=120).status_code))
        render.start()
        try:
            answers = []
            while render.is_alive():
                answers.append((status(http, other)["status"], render.is_alive()))
        finally:
            render.join(timeout=120)
        assert rendered == [200]
        assert any(alive for _, alive in answers), "no status read was answered while the clip rendered"
        assert {status for status, _ in answers} <= {"pending", "processing"}
