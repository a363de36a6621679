"""Talking to a running Gradio app the way its page does: POST queue/join, then read the SSE stream.

The studio's UI events are private (not callable through gradio_client), so the bench speaks the
browser's protocol: the event's fn_index from /config, a session hash, and /gradio_api/queue/data.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

API = "/gradio_api"


@dataclass(frozen=True)
class Event:
    """One backend event of the page."""

    fn_index: int
    trigger_id: int | None
    api_name: str | None
    inputs: tuple[str, ...] = field(default=())  # the input components' types, e.g. "browserstate"
    queued: bool = True  # False: the page posts it to /run and reads the answer from the response


def session_hash() -> str:
    return uuid.uuid4().hex[:11]


def find_events(base_url: str) -> dict[str, Event]:
    """The page's backend events by api_name (e.g. "on_cost", "submit", "watch_page")."""
    return find_page_events(base_url)[0]


def find_page_events(base_url: str) -> tuple[dict[str, Event], dict[int, list[Event]]]:
    """From one read of /config: the backend events by api_name, and the events a component's `.change`
    triggers, by component id (what the page dispatches when an answer lists that component in
    `changed_state_ids`)."""
    config = httpx.get(f"{base_url}/config", timeout=10).json()
    types = {c["id"]: c.get("type", "") for c in config.get("components", [])}
    by_name: dict[str, Event] = {}
    on_change: dict[int, list[Event]] = {}
    for dep in config["dependencies"]:
        if not dep.get("backend_fn"):
            continue
        targets = [t for t in dep.get("targets") or [] if t and t[0] is not None]
        trigger = targets[-1][0] if targets else None
        name = dep.get("api_name")
        queue = dep.get("queue")
        queued = bool(config.get("enable_queue", True)) if queue is None else bool(queue)
        event = Event(dep["id"], trigger, name, tuple(types.get(i, "") for i in dep.get("inputs") or []),
                      queued)
        if name and name not in by_name:
            by_name[name] = event
        for target_id, kind in targets:
            if kind == "change":
                on_change.setdefault(target_id, []).append(
                    Event(event.fn_index, target_id, name, event.inputs, queued)
                )
    return by_name, on_change


def join_body(event: Event, data: list[Any], sh: str) -> dict[str, Any]:
    """The body the page posts for `event`. Inputs the caller leaves out (those added to an event after
    the bench was written, e.g. the create panel's media) are sent as None, the page's empty value."""
    data = [*data, *[None] * (len(event.inputs) - len(data))]
    return {"data": data, "fn_index": event.fn_index, "session_hash": sh, "trigger_id": event.trigger_id,
            "event_data": None}


async def acall(http: httpx.AsyncClient, base_url: str, event: Event, data: list[Any], sh: str) -> list[Any]:
    """Run one event to completion as the page does (queued: join and read the stream; unqueued: one
    POST to /run); its output data. Raises on an error answer."""
    if not event.queued:
        r = await http.post(f"{base_url}{API}/run/predict", json=join_body(event, data, sh))
        r.raise_for_status()
        return r.json()["data"]
    return (await astream(http, base_url, [(event, data)], sh))[0]


async def astream(
    http: httpx.AsyncClient, base_url: str, events: list[tuple[Event, list[Any]]], sh: str,
    on_message: Any = None, react: Callable[[dict[str, Any]], list[tuple[Event, list[Any]]]] | None = None,
) -> list[list[Any]]:
    """Join every event in one session and read its stream until all have completed; their outputs.
    `react(message)` may return more events to join in the same session (as the page dispatches state
    `.change` events); they are awaited too, and their outputs are not returned."""
    ids: list[str] = []
    waiting: set[str] = set()

    async def join(event: Event, data: list[Any]) -> str:
        r = await http.post(f"{base_url}{API}/queue/join", json=join_body(event, data, sh))
        r.raise_for_status()
        event_id = r.json()["event_id"]
        waiting.add(event_id)
        return event_id

    for event, data in events:
        ids.append(await join(event, data))
    results: dict[str, list[Any]] = {}
    deadline = time.monotonic() + 3600
    while waiting and time.monotonic() < deadline:
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
                if react is not None:
                    for event, data in react(msg):
                        await join(event, data)
                event_id = msg.get("event_id")
                if msg.get("msg") == "process_completed" and event_id in waiting:
                    if not msg.get("success", True):
                        raise RuntimeError(f"event failed: {msg.get('output')}")
                    waiting.discard(event_id)
                    results[event_id] = msg["output"]["data"]
                    if not waiting:
                        break
                if msg.get("msg") == "close_stream":
                    break
    return [results[i] for i in ids]


def state_changes(listeners: dict[int, list[Event]], fill: Callable[[Event], list[Any]]
                  ) -> Callable[[dict[str, Any]], list[tuple[Event, list[Any]]]]:
    """A `react` for `astream`: the `.change` events of the states an answer changed, with their input
    data from `fill` (state inputs are None: the server holds their values)."""

    def react(msg: dict[str, Any]) -> list[tuple[Event, list[Any]]]:
        output = msg.get("output")
        changed = output.get("changed_state_ids") if isinstance(output, dict) else None
        return [(event, fill(event)) for sid in changed or [] for event in listeners.get(sid, [])]

    return react
