"""The UI's shared vocabulary: who is asking (`owner_of`), the error guard, toasts, section titles, page
scripts, and the timings and concurrency limits every tab uses. One place for each."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import gradio as gr
from gradio import route_utils

from seedance_ui.options import DEFAULT_DURATION, DURATION_MAX, DURATION_MIN
from seedance_ui.security.owners import request_owner
from seedance_ui.storyboard.export_line import EXPORT_WORKERS, MAX_WAITING
from seedance_ui.ui import views

log = logging.getLogger("seedance_ui.ui")

# -- who is asking -----------------------------------------------------------------------------------
# The visitor's stable id lives in the browser (localStorage, via gr.BrowserState). The key and secret
# are fixed so the value survives server restarts; the secret reaches the browser, so it hides nothing.
OWNER_STORAGE_KEY = "seedance-studio-owner"
OWNER_SECRET = "seedance-studio-owner-v1"
API_OWNER = "api"


def new_owner_id() -> str:
    return uuid.uuid4().hex


def valid_owner(value: Any) -> str | None:
    """The owner id if it is one we could have made (32 lowercase hex), else None."""
    if isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value):
        return value
    return None


def owner_of(browser_value: Any, request: Any, settings: Any) -> str | None:
    """The owner of one event, decided here on the server for every handler of every tab: `hf:<user>`
    when sign-in is on and the session is signed in, else the browser's own 32-hex id (None when it
    sent none)."""
    return request_owner(browser_value, request, sign_in=bool(getattr(settings, "sign_in", False)))


# -- timings and concurrency -------------------------------------------------------------------------
TICK_SECONDS = 1.0  # how often a watcher (or the storyboard's timer) looks again unprompted
# Concurrency groups (Gradio's default is ONE running event per listener for all visitors together).
# Watchers only await the job manager, so they may be many; the job manager's own caps decide how
# many generations reach the provider.
DEFAULT_CONCURRENCY = 16
UI_LIMIT = 32  # quick, CPU-light handlers: lint, cost, craft inserts, history actions, storyboard edits
SUBMIT_LIMIT = 16  # validate + write the record + hand the job to the manager
WATCH_LIMIT = 1000  # progress / history watchers (async, no thread each)
API_LIMIT = 100  # /generate calls (each waits for its video)
KEY_LIMIT = 8  # credits checks
REDRAW_LIMIT = 16  # a finished video / a changed history drawn on a page (file checks, gallery images)
FETCH_LIMIT = 4  # reference videos and audio fetched to be measured (network-bound)
CRAFT_LIMIT = 8  # model calls (Enhance, Translate, Variations, Plan shots): seconds each on the network
# Export events wait (async, no thread) in the storyboard's export line, which runs EXPORT_WORKERS at once
# with one per visitor: Gradio's group must let them all in, or two of one visitor's hold everyone back.
EXPORT_LIMIT = EXPORT_WORKERS + MAX_WAITING
# For the per-keystroke events (lint, cost): answered straight from the HTTP request, not through the
# queue (one request instead of a queue join and an event stream), with the page's plain values in and
# HTML out: nothing for Gradio to convert, and no worker-thread hop per input and output. Each of those
# steps waits for a turn of the event loop, which is what a click waits for when the server is busy.
INSTANT = {"queue": False, "preprocess": False, "postprocess": False, "api_visibility": "private",
           "show_progress": "hidden"}
# Gradio's queue runs at most launch(max_threads) events at once across all groups (default 40), and
# every open page with a job in flight holds one watcher: without room for them all, a cheap click
# waits behind the watchers. Sync handlers stay bounded by their own groups' limits above.
QUEUE_SLOTS = (
    WATCH_LIMIT + UI_LIMIT + SUBMIT_LIMIT + API_LIMIT + KEY_LIMIT + REDRAW_LIMIT + FETCH_LIMIT + CRAFT_LIMIT
    + DEFAULT_CONCURRENCY
)


def group(name: str, limit: int, **more: Any) -> dict[str, Any]:
    """Event options: a private event in concurrency group `name` of at most `limit` at once."""
    return {"concurrency_id": name, "concurrency_limit": limit, "api_visibility": "private", **more}


# -- notices, toasts, titles --------------------------------------------------------------------------
INTERNAL_ERROR = "Something went wrong on our side; the details are in the server log."


def toast_warning(message: str, hint: str | None = None, title: str = "Heads up") -> None:
    text = views.esc(message) + (f"<br><small>{views.esc(hint)}</small>" if hint else "")
    gr.Warning(text, title=title, duration=12)


def toast_info(message: str, title: str = "Seedance Studio") -> None:
    gr.Info(views.esc(message), title=title, duration=6)


def section(title: str, subtitle: str = "") -> gr.HTML:
    """A panel's title line (views.section_html) as its own block."""
    return gr.HTML(views.section_html(title, subtitle))


def duration_slider(elem_id: str) -> gr.Slider:
    """A shot's duration in whole seconds, within the contract's limits (both tabs)."""
    label = "Duration (seconds)"
    return gr.Slider(DURATION_MIN, DURATION_MAX, value=DEFAULT_DURATION, step=1, label=label, elem_id=elem_id)


# -- page scripts --------------------------------------------------------------------------------------
SCRIPTS = Path(__file__).with_name("scripts")


@functools.cache
def script(name: str) -> str:
    """A page script from seedance_ui/ui/scripts/ (read once)."""
    return (SCRIPTS / name).read_text(encoding="utf-8")


# -- the error guard -----------------------------------------------------------------------------------
def guarded(on_error: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """No exception (or traceback) reaches the page: what a handler raises (gr.Error excepted) is logged,
    the visitor gets a short warning, and the event's answer is `on_error(*args)`, called with the
    handler's own arguments (a generator yields it and ends)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        def fail(exc: BaseException, args: tuple[Any, ...]) -> Any:
            if isinstance(exc, gr.Error):
                raise exc
            log.exception("handler %s failed", fn.__name__)
            toast_warning(INTERNAL_ERROR, title="Error")
            return on_error(*args)

        if inspect.isasyncgenfunction(fn):

            @functools.wraps(fn)
            async def agen(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
                try:
                    async for item in fn(*args, **kwargs):
                        yield item
                except (asyncio.CancelledError, GeneratorExit):
                    raise
                except Exception as exc:
                    yield fail(exc, args)

            return agen
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def coro(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await fn(*args, **kwargs)
                except Exception as exc:
                    return fail(exc, args)

            return coro

        @functools.wraps(fn)
        def sync(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                return fail(exc, args)

        return sync

    return decorate


Out = dict[Any, Any]  # a handler's answer: component -> new value or gr.update


def keep_outputs(*_args: Any) -> Any:
    """A failed handler's answer: leave every output as it is (Gradio applies one skip to them all)."""
    return gr.skip()


# The Studio tab's handlers: a failure leaves the page as it was (with a short warning).
handler = guarded(keep_outputs)


def listed(value: Any) -> Any:
    """A list parameter of the API or a tool as a tuple without empty items (None: empty); anything
    else is left for the request's rules to name."""
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(v for v in value if v not in (None, ""))
    return value


def public_base_url(public_url: str, request: Any, root_path: str | None = None) -> str:
    """Where this server answers, for links it hands out: SEEDANCE_PUBLIC_URL, else what the request used
    ("" without a request). `request`: a gr.Request, or the HTTP request itself (Gradio's MCP server
    passes that)."""
    if public_url:
        return public_url
    raw = request.request if isinstance(request, gr.Request) else request
    if raw is None:
        return ""
    return route_utils.get_root_url(raw, route_path=raw.url.path, root_path=root_path)
