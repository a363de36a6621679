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
`--health-visitors N` adds N visitors that GET /healthz on the same schedule (samples under "health").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from bench.gradio_api import acall, find_events, session_hash
from seedance_ui.options import DEFAULT_MODEL, DURATION_MAX, DURATION_MIN, QUALITIES

# One probe request of a visitor (client, session hash, its count) -> whether the answer was right.
Send = Callable[[httpx.AsyncClient, str, int], Awaitable[bool]]


async def run(url: str, out: Path, stop_file: Path, visitors: int, period: float, max_seconds: float,
              health_visitors: int = 0) -> None:
    event = find_events(url)["on_cost"]
    samples: dict[str, list[tuple[float, float, bool]]] = {"cost": [], "health": []}
    offset = time.time() - time.perf_counter()  # perf_counter -> wall
    start = time.perf_counter()
    deadline = start + max_seconds

    def stopping() -> bool:
        return stop_file.exists() or time.perf_counter() > deadline

    async def cost_click(http: httpx.AsyncClient, sh: str, i: int) -> bool:
        duration = DURATION_MIN + i % (DURATION_MAX - DURATION_MIN + 1)
        data = [DEFAULT_MODEL, duration, QUALITIES[i % len(QUALITIES)], False]
        return "sd-cost" in str((await acall(http, url, event, data, sh))[:1])

    async def health_check(http: httpx.AsyncClient, _sh: str, _i: int) -> bool:
        return (await http.get(f"{url}/healthz")).status_code == 200

    async def visitor(k: int, n: int, http: httpx.AsyncClient, send: Send, kind: str) -> None:
        sh = session_hash()
        tick = start + period * k / n  # visitors spread over one period
        i = k
        while not stopping():
            await asyncio.sleep(max(0.0, tick - time.perf_counter()))
            call = asyncio.create_task(send(http, sh, i))
            i += 1
            while not call.done() and not stopping():
                await asyncio.wait({call}, timeout=0.2)
            if call.done():
                ok = not call.cancelled() and call.exception() is None and call.result()
            else:  # stopped while waiting: count what it has waited so far
                call.cancel()
                await asyncio.gather(call, return_exceptions=True)
                ok = False
            done = time.perf_counter()
            while tick <= done:  # this event's tick, and every tick it swallowed
                samples[kind].append((tick + offset, done - tick, ok))
                tick += period

    async with httpx.AsyncClient(timeout=httpx.Timeout(900.0)) as http:
        await asyncio.gather(*(visitor(k, visitors, http, cost_click, "cost") for k in range(visitors)),
                             *(visitor(k, health_visitors, http, health_check, "health")
                               for k in range(health_visitors)))
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps({"samples": samples["cost"], "health": samples["health"], "visitors": visitors,
                               "health_visitors": health_visitors, "period": period}))
    tmp.replace(out)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.probe")
    parser.add_argument("--url", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--stop-file", type=Path, required=True)
    parser.add_argument("--visitors", type=int, default=5)
    parser.add_argument("--period", type=float, default=1.0, help="seconds between one visitor's events")
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--health-visitors", type=int, default=0, help="visitors timing GET /healthz")
    args = parser.parse_args()
    asyncio.run(run(args.url, args.out, args.stop_file, args.visitors, args.period, args.max_seconds,
                    args.health_visitors))


if __name__ == "__main__":
    main()
