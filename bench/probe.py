"""The cheap-event probe, run as its own process so the load generator cannot slow its clock:
`python -m bench.probe --url URL --out FILE --stop-file FILE [--visitors 5 --period 1.0]`.

Each probe visitor (one session, like one open page) sends the page's cost-estimate event (model,
duration, quality, web search -> cost HTML) every `period` seconds, as someone dragging the duration
slider would, and the way the page sends it (`gradio_api.acall`: the event is unqueued, so a POST to
/gradio_api/run); like the page, it waits for one answer before sending the next. A slow answer does not
hide the ticks it swallowed: each missed tick is recorded too, with the time from that tick until the
answer came (the usual correction for coordinated omission), so a 60 s stall weighs 60 s of samples,
not one. Samples (scheduled wall time, latency, ok) are written as JSON when the stop file appears (or
after --max-seconds); an event still unanswered then counts with the time waited so far, not ok.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import httpx

from bench.gradio_api import acall, find_events, session_hash
from seedance_ui.options import DEFAULT_MODEL, DURATION_MAX, DURATION_MIN, QUALITIES


async def run(url: str, out: Path, stop_file: Path, visitors: int, period: float, max_seconds: float) -> None:
    event = find_events(url)["on_cost"]
    samples: list[tuple[float, float, bool]] = []
    offset = time.time() - time.perf_counter()  # perf_counter -> wall
    start = time.perf_counter()
    deadline = start + max_seconds

    def stopping() -> bool:
        return stop_file.exists() or time.perf_counter() > deadline

    async def visitor(k: int, http: httpx.AsyncClient) -> None:
        sh = session_hash()
        tick = start + period * k / visitors  # visitors spread over one period
        i = k
        while not stopping():
            await asyncio.sleep(max(0.0, tick - time.perf_counter()))
            duration = DURATION_MIN + i % (DURATION_MAX - DURATION_MIN + 1)
            data = [DEFAULT_MODEL, duration, QUALITIES[i % len(QUALITIES)], False]
            i += 1
            call = asyncio.create_task(acall(http, url, event, data, sh))
            while not call.done() and not stopping():
                await asyncio.wait({call}, timeout=0.2)
            if call.done():
                ok = not call.cancelled() and call.exception() is None and "sd-cost" in str(call.result()[:1])
            else:  # stopped while waiting: count what it has waited so far
                call.cancel()
                await asyncio.gather(call, return_exceptions=True)
                ok = False
            done = time.perf_counter()
            while tick <= done:  # this event's tick, and every tick it swallowed
                samples.append((tick + offset, done - tick, ok))
                tick += period

    async with httpx.AsyncClient(timeout=httpx.Timeout(900.0)) as http:
        await asyncio.gather(*(visitor(k, http) for k in range(visitors)))
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps({"samples": samples, "visitors": visitors, "period": period}))
    tmp.replace(out)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.probe")
    parser.add_argument("--url", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--stop-file", type=Path, required=True)
    parser.add_argument("--visitors", type=int, default=5)
    parser.add_argument("--period", type=float, default=1.0, help="seconds between one visitor's events")
    parser.add_argument("--max-seconds", type=float, default=900.0)
    args = parser.parse_args()
    asyncio.run(run(args.url, args.out, args.stop_file, args.visitors, args.period, args.max_seconds))


if __name__ == "__main__":
    main()
