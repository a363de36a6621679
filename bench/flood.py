"""Flood: a cheap click and /healthz while many clients send the largest inputs the studio's page events take.

The studio (`python app.py`, demo mode) runs as its own process, and so does the probe (`python -m
bench.probe`: the page's cost event, as the page sends it, and GET /healthz, on a fixed schedule with
coordinated omission corrected). In rounds of an idle window followed by a flood, the bench floods the
prompt-lint event (`on_prompt`, unqueued: a POST to /gradio_api/run/predict, what anyone can send) from
two kinds of client, each sending its next request the moment the last one is answered:

- `clients` send the longest prompt the studio accepts (SEEDANCE_MAX_PROMPT_CHARS characters of CJK
  text: three bytes each, the widest accepted body, and the slowest text per character to lint);
- `oversized` send a 1.9 MB prompt (English prose, the slowest text per byte to lint), under the 2 MiB
  cap of a queue request but far over what the page can send: the edge should refuse it unread.

`app_root` runs another checkout's studio (e.g. a worktree of the commit before a fix) under the same
bench, for a before/after comparison on one machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.common import APP, PYTHON, ROOT, Child, cpu_seconds, machine_busy_seconds, percentile
from bench.gradio_api import API, Event, find_events, join_body, session_hash
from bench.studio import Studio
from seedance_ui.config import load_settings

OVERSIZED_BYTES = 1_900_000  # the red team's body: under the 2 MiB request cap, so it reached the lint
LONG_TEXT = "灯塔守护者在暴风雨中走上螺旋楼梯，镜头缓慢推进，窗外闪电照亮海面。"
OVERSIZED_TEXT = "The lighthouse keeper climbs the spiral stairs as the storm breaks, slow dolly in. "
JSON_HEADERS = {"content-type": "application/json"}
CLOSED = "closed"  # a request the server cut off (the edge closes the connection after its 413)
SETTLE_SECONDS = 2.0  # before the first idle window (the probe starting), and after each drain
LINTED = "linted"  # a 200 carrying the lint's counter: the prompt reached the lint
# The probe's two kinds of request -> the FloodResult fields of their (idle, flood) windows.
WINDOWS = {"cost": ("idle", "flood"), "health": ("health_idle", "health_flood")}


@dataclass
class FloodResult:
    clients: int
    oversized: int
    app: str  # which studio ran: the checkout and its commit
    max_prompt_chars: int
    long_body_bytes: int
    oversized_body_bytes: int
    visitors: int  # probe visitors of each kind (cost event, /healthz)
    period: float  # seconds between one probe visitor's requests
    idle: list[float] = field(default_factory=list)  # cost-click latencies (s) in the idle windows
    flood: list[float] = field(default_factory=list)  # ... during the floods
    health_idle: list[float] = field(default_factory=list)
    health_flood: list[float] = field(default_factory=list)
    probe_errors: int = 0  # cost clicks or health checks that failed or never got an answer
    long_answers: dict[str, int] = field(default_factory=dict)  # LINTED, an HTTP status or CLOSED -> count
    oversized_answers: dict[str, int] = field(default_factory=dict)
    flood_seconds: float = 0.0
    drain_seconds: float = 0.0  # from the flood's end until every flood request had its answer
    studio_cores: float = 0.0  # from each flood's start until it drained
    bench_cores: float = 0.0  # this load generator and the probe
    other_cores: float = 0.0

    def p(self, which: str, q: float) -> float:
        return percentile(getattr(self, which), q)

    def ratio(self, which: str, q: float = 99) -> float:
        """p`q` under the flood over p`q` idle, for `which` "cost" or "health"."""
        idle, flood = WINDOWS[which]
        return self.p(flood, q) / self.p(idle, q)


def flood_bodies(max_prompt_chars: int, fn_index: int, inputs: tuple[str, ...] = ()) -> tuple[bytes, bytes]:
    """The two request bodies, encoded once as the page's JSON would be (UTF-8, characters unescaped):
    the longest accepted prompt, and the 1.9 MB one. `inputs`: the lint event's input types (the page
    sends a value for each; the ones after the prompt and web search as None)."""
    event = Event(fn_index, None, "on_prompt", inputs, queued=False)
    longest = (LONG_TEXT * (max_prompt_chars // len(LONG_TEXT) + 1))[:max_prompt_chars]
    envelope = len(_body(event, "")) + len(str(OVERSIZED_BYTES)) - 1  # the probe's length: 7 digits, not "0"
    oversized = (OVERSIZED_TEXT * (OVERSIZED_BYTES // len(OVERSIZED_TEXT) + 1))[:OVERSIZED_BYTES - envelope]
    return _body(event, longest), _body(event, oversized)


def _body(event: Event, prompt: str) -> bytes:
    probe = f"{len(prompt)}:{prompt}"  # what the page's probe sends (ui/studio/create.py probe_js)
    return json.dumps(join_body(event, [probe, False], session_hash()), ensure_ascii=False).encode()


def describe_app(app: Path) -> str:
    """The checkout an app.py belongs to and its commit, for the report ("-dirty": with local changes)."""
    root = app.resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        commit = ""
    where = "this checkout" if root == ROOT else str(root)
    return f"{where} at commit {commit}" if commit else where


def run(*, clients: int, oversized: int, work: Path, rounds: int, idle_seconds: float, flood_seconds: float,
        period: float = 0.2, visitors: int = 5, app_root: Path | None = None,
        drain_timeout: float = 300.0) -> FloodResult:
    """Start the studio and the probe; then `rounds` times an idle window and a flood (idle and flood
    alternate, so that other work on the machine weighs on both alike); split the probe's samples."""
    app = (app_root / "app.py") if app_root else APP
    max_chars = load_settings({}, dotenv_path=None).max_prompt_chars
    work.mkdir(parents=True, exist_ok=True)
    stop_file, probe_out = work / "probe.stop", work / "probe.json"
    stop_file.unlink(missing_ok=True)
    probe_out.unlink(missing_ok=True)
    studio = Studio(work, "flood", sim_url=None, app=app,
                    extra_env={"SEEDANCE_MAX_PROMPT_CHARS": str(max_chars)})
    probe: Child | None = None
    try:
        lint = find_events(studio.url)["on_prompt"]
        bodies = flood_bodies(max_chars, lint.fn_index, lint.inputs)
        result = FloodResult(clients, oversized, describe_app(app), max_chars, len(bodies[0]), len(bodies[1]),
                             visitors, period)
        probe = Child([PYTHON, "-m", "bench.probe", "--url", studio.url, "--out", str(probe_out),
                       "--stop-file", str(stop_file), "--visitors", str(visitors), "--health-visitors",
                       str(visitors), "--period", f"{period:g}"], cwd=ROOT, log=work / "probe.log")
        time.sleep(SETTLE_SECONDS)  # the probe's start and first connections are not idle samples
        pids = (studio.pid, probe.pid, os.getpid())
        windows = asyncio.run(_rounds(studio.url, bodies, result, pids, rounds=rounds,
                                      idle_seconds=idle_seconds, flood_seconds=flood_seconds,
                                      drain_timeout=drain_timeout))
        stop_file.touch()
        probe.proc.wait(60)
        split(result, json.loads(probe_out.read_text()), windows)
        return result
    finally:
        stop_file.touch()
        for child in (probe, studio):
            if child is not None:
                child.stop()


def _cpu_now(pids: tuple[int, ...]) -> tuple[float, float, float, float]:
    """CPU seconds so far of the studio (pids[0]), of the bench's helpers (the rest), of the whole
    machine; and the monotonic clock."""
    return (cpu_seconds(pids[0]), sum(map(cpu_seconds, pids[1:])), machine_busy_seconds(), time.monotonic())


async def _rounds(url: str, bodies: tuple[bytes, bytes], result: FloodResult, pids: tuple[int, ...], *,
                  rounds: int, idle_seconds: float, flood_seconds: float,
                  drain_timeout: float) -> list[dict[str, float]]:
    """Idle, flood, drain, settle, `rounds` times; the wall times of each round's windows. The CPU each
    party used during the floods (drains included) goes into `result`, in cores."""
    answers: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
    used = [0.0, 0.0, 0.0, 0.0]
    windows = []
    limits = httpx.Limits(max_connections=result.clients + result.oversized + 4)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(drain_timeout)) as http:
        for _ in range(rounds):
            window = {"idle": time.time()}
            await asyncio.sleep(idle_seconds)
            before = _cpu_now(pids)
            endpoint = f"{url}{API}/run/predict"
            window.update(await _flood(http, endpoint, bodies, result, answers, flood_seconds, drain_timeout))
            used = [total + b - a for total, a, b in zip(used, before, _cpu_now(pids), strict=True)]
            windows.append(window)
            result.flood_seconds += window["end"] - window["start"]
            result.drain_seconds = max(result.drain_seconds, window["drained"] - window["end"])
            await asyncio.sleep(SETTLE_SECONDS)  # the probe's backlog, if any, is not idle
    studio, helpers, machine, elapsed = used
    result.studio_cores, result.bench_cores = studio / elapsed, helpers / elapsed
    result.other_cores = max(0.0, (machine - studio - helpers) / elapsed)
    result.long_answers, result.oversized_answers = dict(answers[0]), dict(answers[1])
    return windows


async def _flood(http: httpx.AsyncClient, endpoint: str, bodies: tuple[bytes, bytes], result: FloodResult,
                 answers: tuple[Counter[str], Counter[str]], seconds: float,
                 drain_timeout: float) -> dict[str, float]:
    """Every client sends its body again as soon as it has an answer, for `seconds`; then each finishes
    the request it has in flight. Returns the wall times of the flood's start, end and drain."""
    stop = asyncio.Event()

    async def client(body: bytes, counts: Counter[str]) -> None:
        while not stop.is_set():
            try:
                counts[answer_kind(await http.post(endpoint, content=body, headers=JSON_HEADERS))] += 1
            except httpx.TransportError:
                counts[CLOSED] += 1

    window = {"start": time.time()}
    tasks = [asyncio.create_task(client(bodies[0], answers[0])) for _ in range(result.clients)]
    tasks += [asyncio.create_task(client(bodies[1], answers[1])) for _ in range(result.oversized)]
    await asyncio.sleep(seconds)
    stop.set()
    window["end"] = time.time()
    await asyncio.wait(tasks, timeout=drain_timeout)
    window["drained"] = time.time()
    for task in tasks:
        task.cancel()
    return window


def answer_kind(response: httpx.Response) -> str:
    """LINTED, or the HTTP status of an answer without the lint's counter (e.g. "413")."""
    return LINTED if response.status_code == 200 and b"sd-counter" in response.content else \
        str(response.status_code)


def split(result: FloodResult, probe: dict[str, list[list[float]]], windows: list[dict[str, float]]) -> None:
    """Sort the probe's samples (scheduled wall time, latency, ok) into the idle windows and the floods;
    the warm-up, the drains and the settling after them are left out."""
    for kind, idle, flood in (("samples", result.idle, result.flood),
                              ("health", result.health_idle, result.health_flood)):
        for wall, latency, ok in probe.get(kind, []):
            window = next((w for w in windows if w["idle"] <= wall < w["end"]), None)
            if window is None:
                continue
            (idle if wall < window["start"] else flood).append(latency)
            result.probe_errors += not ok
