"""`python -m bench.mcp_wall`: one generation's wall time through MCP's generate_video and through /generate.

The real studio (`python app.py`) runs in live mode against the contract simulator; the same request (Fast,
4 s, 480p, no audio) is made alternately through the `mcp` client (generate_video, with progress
notifications) and through gradio_client (`/generate`, downloading the MP4 as its callers do), `--rounds`
times each. Printed: every call's wall time, and the medians. Not part of `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from gradio_client import Client
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from bench.common import BENCH_KEY, median, stop_all_children
from bench.studio import Studio
from seedance_ui.options import MODEL_FAST
from seedance_ui.simulator import Simulator

REQUEST = {"model": MODEL_FAST, "duration": 4, "quality": "480p", "aspect_ratio": "16:9",
           "generate_audio": False, "web_search": False}


async def through_mcp(url: str, prompt: str) -> tuple[float, int]:
    """(seconds, progress notifications) of one generate_video call, session set-up included."""
    notes = 0

    async def progress(done: float, total: float | None, message: str | None) -> None:
        nonlocal notes
        notes += 1

    start = time.perf_counter()
    async with streamable_http_client(url) as (read, write, _), ClientSession(read, write) as mcp:
        await mcp.initialize()
        arguments = {"prompt": prompt, **REQUEST}
        result = await mcp.call_tool("generate_video", arguments, progress_callback=progress)
    seconds = time.perf_counter() - start
    job = json.loads(result.content[0].text)
    if result.isError or job["status"] != "completed":
        raise RuntimeError(result.content[0].text)
    return seconds, notes


def through_generate(url: str, prompt: str) -> float:
    """Seconds of one /generate call, client set-up and the MP4's download included."""
    start = time.perf_counter()
    client = Client(url, verbose=False, download_files=True)
    _video, summary = client.predict(prompt=prompt, **REQUEST, api_name="/generate")
    seconds = time.perf_counter() - start
    if summary["status"] != "completed":
        raise RuntimeError(summary)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.mcp_wall", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--speed", type=float, default=10.0, help="simulated seconds per real second")
    args = parser.parse_args()
    mcp_times: list[float] = []
    api_times: list[float] = []
    with tempfile.TemporaryDirectory() as work, Simulator(speed=args.speed, api_key=BENCH_KEY) as sim:
        studio = Studio(Path(work), "mcp-wall", sim_url=sim.base_url, poll_interval=0.5)
        try:
            for i in range(args.rounds):
                prompt = f"Wall time {i}: a paper boat drifts down a rainy street, slow dolly in"
                seconds, notes = asyncio.run(through_mcp(f"{studio.url}/gradio_api/mcp/", f"{prompt} (mcp)"))
                mcp_times.append(seconds)
                api_times.append(through_generate(studio.url, f"{prompt} (api)"))
                print(f"round {i + 1}: generate_video {seconds:.2f} s ({notes} progress notifications), "
                      f"/generate {api_times[-1]:.2f} s")
            print(f"median over {args.rounds}: generate_video {median(mcp_times):.2f} s, /generate "
                  f"{median(api_times):.2f} s (simulator x{args.speed:g}; creates: {sim.create_count})")
        finally:
            studio.stop()
            stop_all_children()


if __name__ == "__main__":
    main()
