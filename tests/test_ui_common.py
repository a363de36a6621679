"""The UI's shared vocabulary: the one error guard (sync, async and streaming handlers), owner ids, and the
page scripts read from their .js files."""

from __future__ import annotations

import asyncio
import logging
import warnings
from typing import Any

import gradio as gr
import pytest

from seedance_ui.ui import theme
from seedance_ui.ui.common import INTERNAL_ERROR, SCRIPTS, guarded, script


def fallback(*args: Any) -> tuple[str, tuple[Any, ...]]:
    return "nothing changed", args


@guarded(fallback)
def sync_boom(value: int) -> str:
    raise ValueError(f"secret detail {value}")


@guarded(fallback)
async def async_boom(value: int) -> str:
    raise KeyError(value)


@guarded(fallback)
async def stream_boom(value: int) -> Any:
    yield "first"
    raise RuntimeError(value)


@guarded(fallback)
def refuses(value: int) -> str:
    raise gr.Error(f"field {value}: a rule")


def test_the_guard_logs_warns_and_answers_with_the_fallback(caplog: pytest.LogCaptureFixture) -> None:
    logged = caplog.at_level(logging.ERROR, logger="seedance_ui.ui")
    with logged, warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        assert sync_boom(1) == ("nothing changed", (1,))
        assert asyncio.run(async_boom(2)) == ("nothing changed", (2,))

        async def collect() -> list[Any]:
            return [item async for item in stream_boom(3)]

        assert asyncio.run(collect()) == ["first", ("nothing changed", (3,))]
    failed = [r for r in caplog.records if r.getMessage().startswith("handler ")]
    assert [r.getMessage() for r in failed] == [
        "handler sync_boom failed",
        "handler async_boom failed",
        "handler stream_boom failed",
    ]
    assert all(r.exc_info is not None for r in failed)  # the traceback goes to the server log only
    texts = [str(w.message) for w in shown]
    assert texts.count(INTERNAL_ERROR) == 3 and not any("secret detail" in t for t in texts)


def test_a_gradio_error_reaches_the_page_as_it_is() -> None:
    with pytest.raises(gr.Error, match="field 4: a rule"):
        refuses(4)
    assert sync_boom.__name__ == "sync_boom" and stream_boom.__name__ == "stream_boom"


def test_page_scripts_are_read_from_their_files() -> None:
    names = sorted(p.name for p in SCRIPTS.glob("*.js"))
    assert names == ["clock.js", "continue-view.js", "duration-note.js", "history-titles.js",
                     "prompt-draft.js", "sb-compare.js", "sb-dock.js", "sb-notes.js", "sb-takes.js",
                     "sb-tiles.js", "tag-chips.js"]
    for name in names:
        text = script(name)
        assert text == (SCRIPTS / name).read_text(encoding="utf-8") and text.startswith("//")
    assert "#sb-tile-pick" in script("sb-tiles.js") and "data-clock" in script("clock.js")
    assert "#sd-prompt textarea" in script("tag-chips.js") and script("tag-chips.js") in theme.HEAD
