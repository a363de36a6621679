"""The bench harness at a tiny scale, so `make bench` cannot rot unnoticed (well under 20 s).

The in-process benchmarks (polling race against the naive client, completion to playable, media) run
for real through `python -m bench --quick`; the sections that start the studio, Chromium or a probe
process are covered by `make bench` itself, and here by importing them and by the report renderer.
"""

from __future__ import annotations

import importlib
import math
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import Row, Section, percentile
from bench.report import render

ROOT = Path(__file__).resolve().parent.parent


def test_quick_bench_writes_a_report(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "detection,playable,media", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks")
    assert "Smoke-test scale" in text
    assert "| Metric | Target | Result | Status |" in text
    for metric in ("GET requests per task, 60 s tasks", "Detection delay p95, 60 s tasks",
                   "Completion -> video + poster on disk", "Poster, 2 s 1280x720 8 fps"):
        assert metric in text
    assert "## Machine" in text and "CPython" in text and "Gradio" in text
    assert "ERROR" not in text and "Did not run" not in text


def test_report_counts_targets_and_shows_misses_and_errors() -> None:
    ok = Section("A", rows=[Row("fast", "< 1 s", "0.5 s", "PASS"), Row("info", "(no target)", "3", "INFO")])
    bad = Section("B", rows=[Row("slow", "< 1 s", "2 s", "MISS")], notes=["because it is slow"])
    broken = Section("C", error="Traceback ...\nRuntimeError: boom")
    text = render([ok, bad, broken], {"CPU": "test"}, wall=65, command="python -m bench", quick=False)
    assert "**1 of 2 targets met.** Missed: slow" in text
    assert "| slow | < 1 s | 2 s | **MISS** |" in text
    assert "- **B.** because it is slow" in text
    assert "RuntimeError: boom" in text and "| ERROR |" in text
    assert "1 min 05 s" in text


def test_percentile_interpolates() -> None:
    assert percentile([3, 1, 2], 50) == 2
    assert percentile([0, 10], 95) == pytest.approx(9.5)
    assert math.isnan(percentile([], 50))


@pytest.mark.parametrize("module", ["bench.browser", "bench.capacity", "bench.coldstart", "bench.probe",
                                    "bench.gradio_api", "bench.studio", "bench.naive", "bench.machine"])
def test_every_bench_module_imports(module: str) -> None:
    importlib.import_module(module)
