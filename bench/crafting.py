"""Crafting with a chat model (issue 23): how soon an enhancement starts streaming and ends, over the
simulator's chat endpoint, and what `CraftService` adds to a bare OpenAI SDK call to the same endpoint.

One in-process simulator, one service in demo mode on a fresh data folder (so every call also reserves
and settles its tokens in the studio's database, as in the page), and one bare SDK client with the same
base URL, timeout and retries. Runs alternate service / bare so background load weighs on both; the
overhead is the difference of the medians of the complete enhancement.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from seedance_ui.config import load_settings
from seedance_ui.jobs.keys import DEMO_API_KEY
from seedance_ui.llm import prompts
from seedance_ui.llm.client import chat_base_url, make_client
from seedance_ui.llm.events import Caller, Delta, Done
from seedance_ui.llm.service import MAX_SUGGESTION_TOKENS, CraftService
from seedance_ui.simulator import Simulator
from seedance_ui.store import open_database

PROMPT = ('A keeper climbs the spiral stairs of a lighthouse as a storm rolls in, @image1 on the rail. '
          'He pats the brass: "Hold on, old girl."')


@dataclass(frozen=True)
class CraftingResult:
    runs: int
    first_piece: list[float]  # service: call -> first Delta (s)
    complete: list[float]  # service: call -> Done (s)
    bare_first: list[float]  # bare SDK: call -> first content chunk (s)
    bare_complete: list[float]  # bare SDK: call -> stream ended (s)
    pieces: int  # Delta events of one enhancement


def _service_run(service: CraftService, caller: Caller) -> tuple[float, float, int]:
    started = time.perf_counter()
    first, pieces = float("nan"), 0
    for event in service.enhance(caller, PROMPT):
        if isinstance(event, Delta):
            pieces += 1
            if pieces == 1:
                first = time.perf_counter() - started
        elif not isinstance(event, Done):
            raise RuntimeError(f"enhancement failed: {event}")
    return first, time.perf_counter() - started, pieces


def _bare_run(client: object, model: str) -> tuple[float, float]:
    started = time.perf_counter()
    first = float("nan")
    stream = client.chat.completions.create(  # type: ignore[attr-defined]
        model=model, messages=prompts.enhance_messages(PROMPT), stream=True,
        max_tokens=MAX_SUGGESTION_TOKENS, stream_options={"include_usage": True})
    text = []
    for chunk in stream:
        for choice in chunk.choices:
            if choice.delta.content:
                text.append(choice.delta.content)
                if len(text) == 1:
                    first = time.perf_counter() - started
    if not text:
        raise RuntimeError("the bare call streamed nothing")
    return first, time.perf_counter() - started


def run(*, work: Path, runs: int) -> CraftingResult:
    work.mkdir(parents=True, exist_ok=True)
    settings = load_settings({"SEEDANCE_DATA_DIR": str(work), "SEEDANCE_VISITOR_DAILY_LLM_TOKENS": "0"})
    with Simulator() as sim:
        service = CraftService(settings, open_database(work), sim.base_url)
        bare = make_client(chat_base_url(settings, sim.base_url, DEMO_API_KEY), DEMO_API_KEY,
                           timeout=settings.llm_timeout)
        caller = Caller(owner="bench-writer", address="bench-address", visitor_key=None)
        _service_run(service, caller)  # warm both connections (and the SDK's first import)
        _bare_run(bare, settings.llm_model)
        first, complete, bare_first, bare_complete, pieces = [], [], [], [], 0
        for _ in range(runs):
            f, c, pieces = _service_run(service, caller)
            first.append(f)
            complete.append(c)
            bf, bc = _bare_run(bare, settings.llm_model)
            bare_first.append(bf)
            bare_complete.append(bc)
        service.close()
        bare.close()
    return CraftingResult(runs, first, complete, bare_first, bare_complete, pieces)
