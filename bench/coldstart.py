"""Cold start: from spawning `python app.py` to the first HTTP 200 on "/", against a bare Gradio hello world
(bench/hello_app.py) started the same way, in alternating runs, each with a fresh data folder.

The studio starts in demo mode (no key), as `make run` does on a fresh checkout: the built-in simulator,
the job manager (with its recovery pass) and the page all come up before "/" answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import APP, PYTHON, ROOT, Child, free_port, median, studio_env, wait_http_ok

HELLO = ROOT / "bench" / "hello_app.py"
WARM_IMPORTS = "import gradio, av, numpy, PIL.Image, seedance_ui.simulator, seedance_ui.ui.server"
# Where the studio's start-up time goes, phase by phase, in a fresh process (demo mode).
PHASES = """
import json, time
t0 = time.perf_counter()
import gradio
t1 = time.perf_counter()
import seedance_ui.ui.server
t2 = time.perf_counter()
from seedance_ui.config import load_settings
from seedance_ui.runtime import build_runtime
runtime = build_runtime(load_settings())
t3 = time.perf_counter()
from seedance_ui.ui.layout import build_demo
demo = build_demo(runtime)
t4 = time.perf_counter()
runtime.close()
print(json.dumps({"import gradio": t1 - t0, "import the studio's modules": t2 - t1,
                  "runtime (store, job manager, demo simulator)": t3 - t2,
                  "build the page (build_demo)": t4 - t3, "events": len(demo.fns)}))
"""


@dataclass
class ColdResult:
    runs: int
    studio: list[float] = field(default_factory=list)
    hello: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return median(self.studio) / median(self.hello)


def start_once(script: Path, work: Path, timeout: float) -> float:
    """Seconds from spawning `python <script>` to the first 200 on "/"."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    port = free_port()
    env = studio_env(data_dir=work / "data", port=port, temp_dir=work / "gradio-tmp")
    child = Child([PYTHON, str(script)], env=env, cwd=work, log=work / "out.log")
    try:
        answered = wait_http_ok(f"http://127.0.0.1:{port}/", timeout=timeout, child=child, interval=0.01)
        return answered - child.started
    finally:
        child.stop()


def phases(work: Path, timeout: float = 120.0) -> dict[str, float]:
    """Seconds per start-up phase of the studio (imports, runtime, page), measured in a fresh process."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {**os.environ, **studio_env(data_dir=work / "data", port=free_port(), temp_dir=work / "gradio-tmp"),
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([PYTHON, "-c", PHASES], cwd=work, env=env, capture_output=True, text=True,
                         timeout=timeout, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(*, runs: int, work: Path, warmup: bool = True, timeout: float = 120.0) -> ColdResult:
    result = ColdResult(runs)
    if warmup:  # bytecode and the OS file cache warm for both, as on any machine after the first start
        subprocess.run([PYTHON, "-c", WARM_IMPORTS], cwd=ROOT, check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for i in range(runs):
        order = [("studio", APP), ("hello", HELLO)]
        if i % 2:
            order.reverse()
        for name, script in order:
            getattr(result, name).append(start_once(script, work / f"{name}-{i}", timeout))
    return result
