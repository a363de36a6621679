"""A description of the machine and software the bench ran on."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from importlib import metadata

from bench.common import ROOT


def _cpuinfo() -> tuple[str, int]:
    model, count = "unknown", 0
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name") and model == "unknown":
                    model = line.split(":", 1)[1].strip()
                if line.startswith("processor"):
                    count += 1
    except OSError:
        pass
    return model, count


def _meminfo_gib() -> float:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def _os_name() -> str:
    try:
        with open("/etc/os-release") as fh:
            for line in fh:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.system()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _run(args: list[str]) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=20, cwd=ROOT).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def describe() -> dict[str, str]:
    model, logical = _cpuinfo()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    commit = _run(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    dirty = " (with uncommitted changes)" if _run(["git", "status", "--porcelain"]) else ""
    load = os.getloadavg()
    return {
        "Date (UTC)": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "CPU": model,
        "Cores": f"{logical} logical, {usable} usable by this process",
        "Memory": f"{_meminfo_gib():.1f} GiB",
        "OS": f"{_os_name()}, Linux {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "Gradio": _version("gradio"),
        "httpx / PyAV / Pillow": f"{_version('httpx')} / {_version('av')} / {_version('pillow')}",
        "Playwright / Chromium": f"{_version('playwright')} / "
        + (_run(["/usr/bin/chromium", "--version"]) or "not found"),
        "Commit": commit + dirty,
        "Load average at start": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min)",
    }
