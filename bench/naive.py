"""The reference: a naive client polling GET /v1/tasks/{id} every 5 s at a fixed interval, as most tools do.

Its polls sit on a fixed grid (creation + k x interval), so request latency never thins them out, and
a poll that fails on the network is simply missed: the fairest version of the fixed-interval poller.
"""

from __future__ import annotations

import asyncio
import time

import httpx

TERMINAL = {"completed", "failed", "cancelled"}


async def naive_create(http: httpx.AsyncClient, body: dict) -> dict:
    """POST the generation; the task object."""
    response = await http.post("/v1/videos/generations", json=body)
    response.raise_for_status()
    return response.json()


async def naive_follow(http: httpx.AsyncClient, task_id: str, interval: float = 5.0) -> tuple[dict, float]:
    """Poll every `interval` s until terminal; (last snapshot, monotonic time it was seen)."""
    start, k = time.monotonic(), 0
    while True:
        k += 1
        await asyncio.sleep(max(0.0, start + k * interval - time.monotonic()))
        try:
            response = await http.get(f"/v1/tasks/{task_id}")
            response.raise_for_status()
        except httpx.TransportError:
            continue
        task = response.json()
        if task.get("status") in TERMINAL:
            return task, time.monotonic()
