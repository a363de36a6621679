"""The UI handlers against a real runtime (job manager + store) and the contract simulator, no browser.

Covers what is awkward to reach through a page: restarts, owner scoping, validation before any request,
cancel, delete, the visitor key, and the fixed BrowserState key.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from conftest import SERVER_KEY, run_async, wait_until
from media_files import quadrant_image

from seedance_ui.client import GenerationRequest
from seedance_ui.config import Settings
from seedance_ui.options import MODEL_FAST, MODEL_STANDARD, model_id
from seedance_ui.pricing import estimate
from seedance_ui.runtime import Runtime, build_runtime
from seedance_ui.store import JobStatus
from seedance_ui.ui.common import OWNER_SECRET, OWNER_STORAGE_KEY, new_owner_id, valid_owner
from seedance_ui.ui.studio.page import Panel
from seedance_ui.ui.studio.preview import is_skip
from seedance_ui.ui.studio.tab import Studio
from seedance_ui.ui.views import file_url

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

FRAMES = model_id("frames", "Fast")
QUICK = {"model": MODEL_FAST, "duration": 4, "quality": "480p"}


@pytest.fixture()
def settings(tmp_path: Path, simulator: Any) -> Settings:
    return Settings(
        api_key=SERVER_KEY,
        base_url=simulator.base_url,
        data_dir=tmp_path / "data",
        poll_interval=0.1,
        request_timeout=10.0,
    )


@contextlib.contextmanager
def slow_tasks(simulator: Any, estimated_time: int) -> Iterator[None]:
    """Tasks created meanwhile run `estimated_time` provider seconds (1/40 of it at the test speed)."""
    simulator.set_behaviour(estimated_time=estimated_time)
    try:
        yield
    finally:
        simulator.set_behaviour(estimated_time=None)


class AsSent:
    """The studio's handlers on a built page, answering as the page receives them: one value per output
    of the handler's event, in the order the event lists them (a skip where the handler leaves an output
    as it is). Handlers answer with dicts keyed by component, or one skip for all. The Studio's panels
    (`studio.key`, `studio.history`, ...) answer the same way."""

    def __init__(self, studio: Any, demo: gr.Blocks | dict[str, list[Any]]) -> None:
        self.studio = studio
        if isinstance(demo, dict):
            self.outputs = demo
            return
        self.outputs: dict[str, list[Any]] = {}
        for fn in demo.fns.values():
            self.outputs.setdefault(fn.name, list(fn.outputs))

    def sent(self, outputs: list[Any], answer: Any) -> Any:
        if answer == gr.skip():
            return tuple(gr.skip() for _ in outputs)
        assert isinstance(answer, dict) and set(answer) <= set(outputs), answer
        return tuple(answer.get(component, gr.skip()) for component in outputs)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.studio, name)
        if isinstance(attr, Panel):
            return AsSent(attr, self.outputs)
        outputs = self.outputs.get(name)
        if not callable(attr) or not outputs or len(outputs) == 1:
            return attr
        if inspect.isasyncgenfunction(attr):

            async def stream(*args: Any, **kwargs: Any) -> Any:
                async for answer in attr(*args, **kwargs):
                    yield self.sent(outputs, answer)

            return stream
        if inspect.iscoroutinefunction(attr):

            async def coro(*args: Any, **kwargs: Any) -> Any:
                return self.sent(outputs, await attr(*args, **kwargs))

            return coro
        return lambda *args, **kwargs: self.sent(outputs, attr(*args, **kwargs))


@contextlib.contextmanager
def running(settings: Settings) -> Iterator[tuple[Runtime, Any]]:
    """A started runtime (job manager, store) and the studio's handlers on its page; closed afterwards."""
    from seedance_ui.ui.layout import build_demo

    runtime = build_runtime(settings)
    try:
        studio = Studio(runtime)
        yield runtime, AsSent(studio, build_demo(runtime, studio))
    finally:
        runtime.close()


def value(update: Any) -> Any:
    return update.get("value") if isinstance(update, dict) else update


def test_owner_ids_are_created_once_and_kept() -> None:
    first = new_owner_id()
    assert valid_owner(first) == first
    for bad in (None, "", "x" * 32, "../../etc", 42, first.upper()):
        assert valid_owner(bad) is None


def test_the_cost_and_lint_events_take_the_pages_raw_values(settings: Settings) -> None:
    # Wired without Gradio's pre/postprocessing (common.INSTANT): whatever the page sends arrives as is.
    with running(settings) as (_runtime, studio):
        expected = estimate(MODEL_STANDARD, "720p", 7)
        for duration in (7, 7.0, "7"):
            card = run_async(studio.create.on_cost(MODEL_STANDARD, duration, "720p", False))
            assert f'data-credits="{expected.credits:.4f}"' in card
        for model, duration, quality in (("nope", 7, "720p"), (MODEL_STANDARD, "x", "720p"),
                                         (None, None, None), (MODEL_FAST, 0, "<b>1080p</b>")):
            card = run_async(studio.create.on_cost(model, duration, quality, "yes"))
            assert "data-credits" not in card and "sd-cost-main" in card and "<b>" not in card
        # The prompt arrives through the probe: "<its length>:<its text, cut to the cap + 1>" (probe_js)
        counter, straighten = run_async(studio.create.on_prompt("15:A \u201cquoted\u201d line", False))
        assert "curly_quotes" in counter and straighten.get("visible") is True
        for probe in (None, 42, "", "x", "-3:bad", "9" * 20 + ":long"):
            counter, straighten = run_async(studio.create.on_prompt(probe, None))
            assert "sd-counter" in counter and straighten.get("visible") is False
        counter, _ = run_async(studio.create.on_prompt("88005:" + "word " * 2001, False))
        assert "88,005 characters" in counter


def test_history_persists_across_restarts_and_is_scoped_to_the_owner(settings: Settings) -> None:
    owner, stranger = new_owner_id(), new_owner_id()
    with running(settings) as (runtime, studio):
        preview = studio.preview
        assert preview.on_load(None)[0] != preview.on_load(None)[0]  # a fresh id for each new browser
        record = runtime.manager.submit(GenerationRequest(prompt="Restart check: a lantern", **QUICK), owner)
        done = runtime.manager.wait(record.id, timeout=30)
        assert done.status == JobStatus.COMPLETED

    with running(settings) as (runtime, studio):  # a server restart on the same data directory
        preview = studio.preview
        loaded = preview.on_load(owner)
        kept, items, ids, current, progress, video, download, params, _status, _drawn, token, *_rest = loaded
        assert token and token != preview.on_load(owner)[10]  # a fresh submission token per page load
        assert kept == owner and ids == [record.id] and current == record.id
        poster, caption = items[0]
        assert Path(poster).is_file() and Path(poster).is_relative_to(runtime.store.data_dir)
        assert caption.startswith("4s · 16:9 · Restart check")
        assert 'data-status="completed"' in progress
        assert Path(value(video)).is_file() and value(download) == value(video)
        assert "480p" in params
        other = studio.preview.on_load(stranger)
        assert other[0] == stranger and other[1] == [] and other[2] == [] and other[3] is None
        assert runtime.manager.get(record.id, stranger) is None


def test_invalid_fields_are_all_named_and_nothing_is_sent(settings: Settings, simulator: Any) -> None:
    with running(settings) as (runtime, studio):
        before = simulator.create_count
        owner = new_owner_id()
        submit = studio.preview.submit
        out = run_async(submit("  ", "seedance-9", 3.0, "1080p", "2:1", True, False, owner, None))
        kept, current, status = out[:3]
        assert kept == owner and current is None
        for label in ("Prompt", "Model", "Duration", "Quality", "Aspect ratio"):
            assert label in status
        assert "Nothing was sent" in status
        assert simulator.create_count == before
        assert runtime.manager.list(owner) == []


def test_submit_reuse_cancel_and_delete(settings: Settings, simulator: Any) -> None:
    with running(settings) as (runtime, studio):
        owner = new_owner_id()
        with slow_tasks(simulator, 400):  # ten seconds at the test speed: time to cancel
            out = run_async(
                studio.preview.submit(
                    "Cancel me: a slow sunrise", MODEL_FAST, 7.0, "720p", "21:9", False, True, owner, None
                )
            )
        job_id = out[1]
        assert job_id and out[7][0][1].split(" · ")[0] in {"Queued locally", "Submitting", "Pending"}
        wait_until(lambda: runtime.manager.get(job_id, owner).status == JobStatus.PROCESSING)

        # In flight: cannot be deleted; reuse gives back exactly what was sent.
        notice = studio.history.delete(job_id, owner)[-5]  # the status (the undo bar's four follow it)
        assert "still running" in notice
        restored = studio.history.reuse(job_id, owner)
        values = tuple(v["value"] if isinstance(v, dict) else v for v in restored[:7])  # some are updates
        assert values == ("Cancel me: a slow sunrise", MODEL_FAST, 7, "720p", "21:9", False, True)

        message = studio.preview.cancel(job_id, owner)
        assert "Cancel" in message
        final = runtime.manager.wait(job_id, 20)
        assert final.status == JobStatus.CANCELLED
        assert isinstance(studio.preview.cancel(job_id, owner), dict)  # already ended: left alone

        # Ended: delete removes the record (and its files) from this owner's history only: out of the
        # gallery at once, deleted when the undo time is up (here: the app stops first, which finishes it).
        assert all(is_skip(o) for o in studio.history.delete(job_id, new_owner_id()))
        gallery, ids, selected, *_ = studio.history.delete(job_id, owner)
        assert gallery == [] and ids == [] and selected is None
        assert runtime.manager.get(job_id, owner) is not None  # still undoable
        studio.history.undo.shelf.close()
        assert runtime.manager.get(job_id, owner) is None


def test_delete_removes_video_and_poster(settings: Settings) -> None:
    with running(settings) as (runtime, studio):
        owner = new_owner_id()
        record = runtime.manager.submit(GenerationRequest(prompt="Delete me: a paper crane", **QUICK), owner)
        done = runtime.manager.wait(record.id, 30)
        video, poster = runtime.store.video_file(done), runtime.store.poster_file(done)
        assert video and poster
        selected, detail_video, detail, *_buttons = studio.history.select(
            [record.id], owner, gr.SelectData(None, {"index": 0, "value": None})
        )
        assert selected == record.id and "Delete me" in detail and value(detail_video) == str(video)
        studio.history.delete(record.id, owner)
        assert video.exists()  # undoable for SEEDANCE_UNDO_SECONDS
        studio.history.undo.shelf.close()
        assert not video.exists() and not poster.exists()


def test_visitor_key_is_kept_for_the_session_and_never_echoed(tmp_path: Path, simulator: Any) -> None:
    # Demo mode: no server key; a visitor key goes to base_url (here the shared simulator).
    demo_settings = Settings(
        api_key="",
        base_url=simulator.base_url,
        data_dir=tmp_path / "demo",
        poll_interval=0.1,
        simulator_speed=40.0,
        request_timeout=10.0,
    )
    with running(demo_settings) as (runtime, studio):
        assert runtime.demo_mode and runtime.simulator is not None
        owner = new_owner_id()
        demo = run_async(runtime.check_key(None))
        assert demo.ok and "Demo simulator" in demo.message

        state, box, status = run_async(studio.key.check_key("sk-not-the-right-key", None, owner))
        assert box == "" and "sk-not-the-right-key" not in status
        assert "is-error" in status and "API key" in status

        state, box, status = studio.key.set_key(f"  {SERVER_KEY}  ", owner)
        assert state == SERVER_KEY and box == ""
        assert "Your key is set for this session." in status and SERVER_KEY not in status
        assert SERVER_KEY[-4:] not in status

        _state, box, status = run_async(studio.key.check_key("", state, owner))
        assert "Your key works" in status and SERVER_KEY not in status

        forgotten, status = studio.key.forget_key()
        assert forgotten is None and "Demo mode" in status


def test_owner_browser_state_uses_a_fixed_key_and_secret(settings: Settings) -> None:
    from seedance_ui.ui.layout import build_demo

    runtime = build_runtime(settings)
    try:
        demo = build_demo(runtime)
        states = [b for b in demo.blocks.values() if isinstance(b, gr.BrowserState)]
        assert len(states) == 1
        assert states[0].storage_key == OWNER_STORAGE_KEY and states[0].secret == OWNER_SECRET
        # The visitor key lives in a gr.State (server memory), never in the browser.
        assert any(isinstance(b, gr.State) for b in demo.blocks.values())
    finally:
        runtime.close()


async def collect(stream: Any) -> list[tuple[Any, ...]]:
    return [outputs async for outputs in stream]


NOTHING = (gr.skip(), gr.skip(), gr.skip())  # a watcher's answer that changes nothing on the page


def test_the_page_watcher_ticks_the_card_and_signals_the_outcome_and_the_history_once(
    settings: Settings, simulator: Any
) -> None:
    with running(settings) as (runtime, studio):
        owner = new_owner_id()
        with slow_tasks(simulator, 120):  # about 3 s at the test speed: a few ticks
            out = run_async(studio.preview.submit("Watcher: a kite over dunes", MODEL_FAST, 4, "480p", "16:9",
                                                  False, False, owner, None))
        job_id, drawn = out[1], out[9]
        assert drawn["job"] == [job_id, False] and drawn["history"]

        ticks = run_async(collect(studio.preview.watch_page(job_id, owner, drawn)))
        cards = [card for card, _outcome, _history in ticks if not is_skip(card)]
        outcomes = [outcome for _card, outcome, _history in ticks if not is_skip(outcome)]
        histories = [history for _card, _outcome, history in ticks if not is_skip(history)]
        assert len(cards) >= 3 and 'data-status="completed"' in cards[-1]
        assert any('data-status="processing"' in card for card in cards)
        assert outcomes == [[job_id, "completed"]]  # the finished job is signalled once
        assert not any(f"{job_id}:completed:" in h for h in histories)  # show_outcome draws that
        assert len(set(histories)) == len(histories)  # only changes are signalled
        assert drawn["history"] not in histories

        # What the outcome signal draws: the video and the notice; nothing for someone else.
        video, download, params, notice, items, ids, go_on = studio.preview.show_outcome(outcomes[0], owner)
        assert Path(value(video)).is_file() and value(download) == value(video)
        assert go_on["visible"] is True  # Continue this shot, beside the fresh result
        assert "480p" in params and "ready" in notice
        assert ids == [job_id] and Path(items[0][0]).is_file() and items[0][1].startswith("4s")
        assert all(is_skip(o) for o in studio.preview.show_outcome(outcomes[0], new_owner_id()))
        items, ids = studio.preview.show_history(owner)
        assert ids == [job_id] and Path(items[0][0]).is_file()

        # A page that already drew the finished job: nothing to do, the stream ends at once. A page
        # that drew it while it was still running: the outcome is signalled.
        shown = studio.history.history_signature(runtime.manager.list(owner))
        done = studio.preview.drawn(runtime.manager.get(job_id, owner), shown)
        assert run_async(collect(studio.preview.watch_page(job_id, owner, done))) == [NOTHING]
        stale = run_async(collect(studio.preview.watch_page(job_id, owner, drawn)))
        assert [o for _c, o, _h in stale if not is_skip(o)] == [[job_id, "completed"]]
        stranger = run_async(collect(studio.preview.watch_page(job_id, new_owner_id(), None)))
        assert all(is_skip(card) and is_skip(outcome) for card, outcome, _h in stranger)


def test_the_detail_follows_an_in_flight_item_only_when_it_changes(
    settings: Settings, simulator: Any
) -> None:
    with running(settings) as (runtime, studio):
        owner = new_owner_id()
        request = GenerationRequest(prompt="Detail: a heron lifts off", **QUICK)
        with slow_tasks(simulator, 120):  # about 3 s at the test speed
            record = runtime.manager.submit(request, owner)
        answers = run_async(collect(studio.history.follow_detail(record.id, owner)))
        details = [a[2] for a in answers if not is_skip(a[2])]
        assert all(a != b for a, b in itertools.pairwise(details))  # a redraw is a change
        selected, video, detail, _reuse, continue_btn, delete, _cancel, _star = answers[-1]
        assert selected == record.id and 'data-status="completed"' in detail
        assert Path(value(video)).is_file() and delete["visible"] is True
        assert continue_btn["visible"] is True  # a finished video can be continued


def test_a_frames_job_shows_its_input_reuses_it_and_delete_removes_it(
    settings: Settings, simulator: Any, tmp_path: Path
) -> None:
    picture = quadrant_image(tmp_path / "quad.png")
    settings = replace(settings, files_url=simulator.base_url)
    with running(settings) as (runtime, studio):
        owner = new_owner_id()
        request = GenerationRequest(prompt="Reuse me: the picture comes alive", model=FRAMES, duration=4,
                                    quality="480p", aspect_ratio="adaptive", first_frame=str(picture))
        done = runtime.manager.wait(runtime.manager.submit(request, owner).id, 60)
        assert done.status == JobStatus.COMPLETED
        copy = runtime.store.resolve(done.params["first_frame"])  # the picture, kept once per content
        _selected, _video, detail, *_buttons = studio.history.select(
            [done.id], owner, gr.SelectData(None, {"index": 0, "value": None})
        )
        assert f'<img src="{file_url(copy)}"' in detail and "First frame" in detail
        # The controls, the content filter, the status, then the mode and its input panels.
        restored = studio.history.reuse(done.id, owner)
        assert restored[0] == "Reuse me: the picture comes alive"
        assert restored[1]["value"] == FRAMES  # the Frames mode's model, its tiers as the choices
        assert restored[7] is True and "Its inputs are back in their places" in restored[8]
        # The frames panel shows in this same answer, before its zones get their pictures: a zone in a
        # hidden panel is not on the page, and its change event (the frames note) would never come.
        mode, frames_panel, refs_panel, _tags = restored[9:]
        assert mode["value"] == "frames" and frames_panel["visible"] and not refs_panel["visible"]
        first, last = studio.history.reuse_inputs(done.id, owner)[:2]  # then the zones, in that panel
        assert first == str(copy) and last is None
        assert "First frame: quad.png" in restored[8]
        assert studio.history.reused_inputs(done)["first_frame"] == str(copy)
        assert copy.read_bytes() == picture.read_bytes()
        studio.history.delete(done.id, owner)
        studio.history.undo.shelf.close()  # the undo time is up
        assert not copy.exists() and picture.is_file()  # no other job used it
