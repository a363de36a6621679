"""Shared helpers: statistics, clocks, free ports, child processes that never outlive the bench."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
APP = ROOT / "app.py"
BENCH_KEY = "sk-bench-0123456789"
# Every Gradio process the bench starts (studio and hello world alike) gets these.
QUIET_ENV = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}


# --------------------------------------------------------------------------------------------------
# statistics


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation between order statistics; NaN if empty."""
    data = sorted(values)
    if not data:
        return math.nan
    rank = (len(data) - 1) * p / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


# --------------------------------------------------------------------------------------------------
# clocks


class Clock:
    """Converts between this process's monotonic clock and the wall clock (records store wall time)."""

    def __init__(self) -> None:
        samples = []
        for _ in range(5):
            m0 = time.monotonic()
            w = time.time()
            m1 = time.monotonic()
            samples.append((m1 - m0, w - (m0 + m1) / 2))
        self.offset = min(samples)[1]  # wall - monotonic, from the tightest sample

    def wall(self, mono: float) -> float:
        return mono + self.offset

    def mono(self, wall: float) -> float:
        return wall - self.offset


# --------------------------------------------------------------------------------------------------
# results


@dataclass
class Row:
    """One line of the results table."""

    metric: str
    target: str
    result: str
    status: str  # "PASS", "MISS" or "INFO"


@dataclass
class Section:
    """What one benchmark found: table rows, detail (markdown), notes on misses, raw numbers."""

    name: str
    rows: list[Row] = field(default_factory=list)
    detail: str = ""
    method: str = ""
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def fmt_s(value: float, digits: int = 2) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f} s"


def fmt_ms(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value * 1000:.0f} ms"


# --------------------------------------------------------------------------------------------------
# ports and processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Child:
    """A child process in its own session; `stop()` ends it (and only it and its children)."""

    def __init__(self, args: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
                 log: Path | None = None) -> None:
        self.args = list(args)
        self.log = log
        out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (closed in stop)
        self._out = out
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            self.args,
            env={**os.environ, **(env or {})},
            cwd=str(cwd) if cwd else None,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        _CHILDREN.append(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, first: int = signal.SIGINT, grace: float = 10.0) -> int | None:
        """Signal the child's process group (SIGINT: a graceful stop), then SIGTERM, then SIGKILL."""
        for sig, wait in ((first, grace), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(wait)
        # Anything the child left in its group (it should leave nothing).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self._out is not subprocess.DEVNULL:
            with contextlib.suppress(Exception):
                self._out.close()
        if self in _CHILDREN:
            _CHILDREN.remove(self)
        return self.proc.returncode

    def tail(self, lines: int = 30) -> str:
        if not self.log or not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


_CHILDREN: list[Child] = []


def stop_all_children() -> None:
    """Stop every child still running (called in the bench's finally)."""
    for child in list(_CHILDREN):
        child.stop(grace=5.0)


def wait_http_ok(url: str, *, timeout: float, child: Child | None = None, interval: float = 0.01) -> float:
    """Poll `url` until HTTP 200; the perf_counter time it answered. Raises if the child dies."""
    deadline = time.perf_counter() + timeout
    with httpx.Client(timeout=2.0) as http:
        while time.perf_counter() < deadline:
            try:
                if http.get(url).status_code == 200:
                    return time.perf_counter()
            except httpx.HTTPError:
                pass
            if child is not None and not child.alive():
                raise RuntimeError(f"{child.args} exited with {child.proc.returncode}:\n{child.tail()}")
            time.sleep(interval)
    raise TimeoutError(f"{url} did not answer 200 within {timeout:g} s")


def rss_kib(pid: int, field_name: str = "VmRSS") -> int | None:
    """A memory figure of a process from /proc/<pid>/status, in KiB (VmRSS now, VmHWM peak)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process (with its reaped children) has used, from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (everything but idle and iowait), /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    guest = sum(values[8:10]) if len(values) > 9 else 0  # already counted in user and nice
    return (sum(values) - idle - guest) / os.sysconf("SC_CLK_TCK")


def studio_env(*, data_dir: Path, port: int, temp_dir: Path, base_url: str | None = None,
               poll_interval: float | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for `python app.py`: live mode against `base_url`, or demo mode when it is None."""
    env = {
        **QUIET_ENV,
        "SEEDANCE_DATA_DIR": str(data_dir),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_TEMP_DIR": str(temp_dir),
        "EVOLINK_API_KEY": BENCH_KEY if base_url else "",
        "EVOLINK_BASE_URL": base_url or "",
        "SEEDANCE_PUBLIC_URL": "",
    }
    if poll_interval is not None:
        env["SEEDANCE_POLL_INTERVAL"] = f"{poll_interval:g}"
    env.update(extra or {})
    return env
