"""Talking to a running Gradio app the way its page does: POST queue/join, then read the SSE stream.

The studio's UI events are private (not callable through gradio_client), so the bench speaks the
browser's protocol: the event's fn_index from /config, a session hash, and /gradio_api/queue/data.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

API = "/gradio_api"


@dataclass(frozen=True)
class Event:
    """One backend event of the page."""

    fn_index: int
    trigger_id: int | None
    api_name: str | None


def session_hash() -> str:
    return uuid.uuid4().hex[:11]


def find_events(base_url: str) -> dict[str, Event]:
    """The page's backend events by api_name (e.g. "on_cost", "submit", "follow", "watch_history")."""
    config = httpx.get(f"{base_url}/config", timeout=10).json()
    events: dict[str, Event] = {}
    for dep in config["dependencies"]:
        if not dep.get("backend_fn"):
            continue
        targets = [t for t in dep.get("targets") or [] if t and t[0] is not None]
        trigger = targets[-1][0] if targets else None
        name = dep.get("api_name")
        if name and name not in events:
            events[name] = Event(dep["id"], trigger, name)
    return events


def join_body(event: Event, data: list[Any], sh: str) -> dict[str, Any]:
    return {"data": data, "fn_index": event.fn_index, "session_hash": sh, "trigger_id": event.trigger_id,
            "event_data": None}


def _messages(lines: Iterable[str]) -> Iterable[dict[str, Any]]:
    for line in lines:
        if line.startswith("data:"):
            try:
                yield json.loads(line[5:].strip())
            except ValueError:
                continue


def call(http: httpx.Client, base_url: str, event: Event, data: list[Any], sh: str | None = None
         ) -> list[Any]:
    """Run one event to completion (blocking); its output data. Raises on an error answer."""
    sh = sh or session_hash()
    r = http.post(f"{base_url}{API}/queue/join", json=join_body(event, data, sh))
    r.raise_for_status()
    event_id = r.json()["event_id"]
    with http.stream("GET", f"{base_url}{API}/queue/data", params={"session_hash": sh}) as stream:
        for msg in _messages(stream.iter_lines()):
            if msg.get("event_id") == event_id and msg.get("msg") == "process_completed":
                if not msg.get("success", True):
                    raise RuntimeError(f"event {event.api_name} failed: {msg.get('output')}")
                return msg["output"]["data"]
            if msg.get("msg") == "close_stream":
                break
    raise RuntimeError(f"event {event.api_name}: the stream ended without a result")


async def acall(http: httpx.AsyncClient, base_url: str, event: Event, data: list[Any], sh: str) -> list[Any]:
    """`call`, asynchronously."""
    return (await astream(http, base_url, [(event, data)], sh))[0]


async def astream(
    http: httpx.AsyncClient, base_url: str, events: list[tuple[Event, list[Any]]], sh: str,
    on_message: Any = None,
) -> list[list[Any]]:
    """Join every event in one session and read its stream until all have completed; their outputs."""
    ids: list[str] = []
    for event, data in events:
        r = await http.post(f"{base_url}{API}/queue/join", json=join_body(event, data, sh))
        r.raise_for_status()
        ids.append(r.json()["event_id"])
    results: dict[str, list[Any]] = {}
    deadline = time.monotonic() + 3600
    while len(results) < len(ids) and time.monotonic() < deadline:
        async with http.stream("GET", f"{base_url}{API}/queue/data", params={"session_hash": sh}) as stream:
            async for line in stream.aiter_lines():
                if not line.startswith("data:"):
                    continue
                try:
                    msg = json.loads(line[5:].strip())
                except ValueError:
                    continue
                if on_message is not None:
                    on_message(msg)
                event_id = msg.get("event_id")
                if msg.get("msg") == "process_completed" and event_id in ids:
                    if not msg.get("success", True):
                        raise RuntimeError(f"event failed: {msg.get('output')}")
                    results[event_id] = msg["output"]["data"]
                    if len(results) == len(ids):
                        break
                if msg.get("msg") == "close_stream":
                    break
    return [results[i] for i in ids]
