"""`python app.py` with Gradio's launch(max_threads=$BENCH_MAX_THREADS) (default 1000): the capacity
what-if of `python -m bench --what-if-max-threads N`. The studio itself is not changed."""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import seedance_ui.ui.server as server  # noqa: E402

_launch_kwargs = server.launch_kwargs


def launch_kwargs(runtime, **overrides):
    max_threads = int(os.environ.get("BENCH_MAX_THREADS", "1000"))
    return {**_launch_kwargs(runtime, **overrides), "max_threads": max_threads}


server.launch_kwargs = launch_kwargs
runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
