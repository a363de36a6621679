"""The cheap review call's probe, its own process like bench/probe.py (the load cannot slow its clock):
`python -m bench.review_probe --url URL --share FILE --out FILE --stop-file FILE [--visitors 2 --period 0.2]`.

The link's token is read from the JSON file bench/review_board.py wrote (not the command line, which
every local user's `ps` shows). Each probe visitor opens the link once as the review page does (POST
/review/api/open, the token in X-Review-Token), then sends the page's poll (GET
/review/api/poll?since=<version> with X-Review-Ticket, `since` the version it last got, so a steady
answer is the short {alive, version}) every `period` seconds, waiting for one answer before the next.
Missed ticks are recorded as bench/probe.py records them (each with the time from its tick until the
answer came: no coordinated omission). Samples (scheduled wall time, latency, ok) are written as JSON
when the stop file appears (or after --max-seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import httpx

TOKEN_HEADER = "X-Review-Token"
TICKET_HEADER = "X-Review-Ticket"


class Reviewer:
    """One open link: its ticket and the view version it last got."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self.http, self.url = http, url
        self.ticket, self.version = "", ""

    async def open(self, token: str) -> None:
        answer = await self.http.post(f"{self.url}/review/api/open", headers={TOKEN_HEADER: token}, json={})
        answer.raise_for_status()
        body = answer.json()
        self.ticket, self.version = body["ticket"], body["version"]

    async def poll(self) -> bool:
        answer = await self.http.get(f"{self.url}/review/api/poll", params={"since": self.version},
                                     headers={TICKET_HEADER: self.ticket})
        if answer.status_code != 200:
            return False
        body = answer.json()
        self.version = body.get("version", self.version)
        return body.get("alive") is True


async def run(url: str, token: str, out: Path, stop_file: Path, visitors: int, period: float,
              max_seconds: float) -> None:
    samples: list[tuple[float, float, bool]] = []
    offset = time.time() - time.perf_counter()  # perf_counter -> wall
    deadline = time.perf_counter() + max_seconds

    def stopping() -> bool:
        return stop_file.exists() or time.perf_counter() > deadline

    async def visitor(k: int, http: httpx.AsyncClient) -> None:
        reviewer = Reviewer(http, url)
        await reviewer.open(token)
        tick = time.perf_counter() + period * k / visitors  # visitors spread over one period
        while not stopping():
            await asyncio.sleep(max(0.0, tick - time.perf_counter()))
            call = asyncio.create_task(reviewer.poll())
            while not call.done() and not stopping():
                await asyncio.wait({call}, timeout=0.2)
            if call.done():
                ok = not call.cancelled() and call.exception() is None and call.result()
            else:  # stopped while waiting: count what it has waited so far
                call.cancel()
                await asyncio.gather(call, return_exceptions=True)
                ok = False
            done = time.perf_counter()
            while tick <= done:  # this call's tick, and every tick it swallowed
                samples.append((tick + offset, done - tick, ok))
                tick += period

    async with httpx.AsyncClient(timeout=httpx.Timeout(900.0)) as http:
        await asyncio.gather(*(visitor(k, http) for k in range(visitors)))
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps({"samples": samples, "visitors": visitors, "period": period}))
    tmp.replace(out)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.review_probe")
    parser.add_argument("--url", required=True)
    parser.add_argument("--share", type=Path, required=True, help="bench/review_board.py's JSON")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--stop-file", type=Path, required=True)
    parser.add_argument("--visitors", type=int, default=2)
    parser.add_argument("--period", type=float, default=0.2, help="seconds between one visitor's polls")
    parser.add_argument("--max-seconds", type=float, default=900.0)
    args = parser.parse_args()
    token = json.loads(args.share.read_text())["token"]
    asyncio.run(run(args.url, token, args.out, args.stop_file, args.visitors, args.period,
                    args.max_seconds))


if __name__ == "__main__":
    main()
