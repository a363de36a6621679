"""A history that scales (#24 item 9), in Chromium, demo mode: 230 jobs (Studio shots and a storyboard's
takes, seeded through the store): search finds one by its prompt's words, filters narrow it, a take's
caption names its board, shot and take, Older reaches item 230, a star is kept, an agent's job made with
a key shows once the visitor sets that key, and the preview never shows a storyboard's take."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import POLL_INTERVAL, SIM_SPEED, LiveApp, RecordingProxy, _close, _launch, wait_until
from history_seed import BOARD_TITLE, Seeded, seed_history, studio_prompt
from page_helpers import NARROW, open_page, shoot, wait_loaded

from seedance_ui.config import Settings
from seedance_ui.security.identity import COOKIE_NAME
from seedance_ui.security.key_owner import key_owner
from seedance_ui.store import JobRecord, JobStatus

AGENTS_KEY = "sk-agents-own-key-for-history-0042"
HISTORY_VIEW = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, simulator: Any) -> Iterator[LiveApp]:
    """A demo-mode studio of its own (230 seeded jobs stay out of the shared apps)."""
    proxy = RecordingProxy(simulator.base_url).start()
    settings = Settings(api_key="", base_url=proxy.url, data_dir=tmp_path_factory.mktemp("history-ui"),
                        poll_interval=POLL_INTERVAL, simulator_speed=SIM_SPEED, request_timeout=10.0)
    live = _launch(settings, proxy, simulator)
    yield live
    _close(live)
    proxy.stop()


@pytest.fixture(scope="module")
def visit(browser: Any, app: LiveApp) -> Iterator[tuple[Any, Seeded]]:
    """A visitor's page, reloaded once their 230 jobs are in the store."""
    context = browser.new_context(viewport=HISTORY_VIEW)
    page = open_page(context, app)
    cookie = next(c["value"] for c in context.cookies() if c["name"] == COOKIE_NAME)
    identities = app.runtime.identities
    owner = identities.owner_for(identities.signer.verify(cookie))
    seeded = seed_history(app.runtime.store, owner)
    page.reload()
    wait_loaded(page)
    yield page, seeded
    context.close()


def captions(page: Any) -> list[str]:
    return page.locator("#sd-history .caption-label").all_inner_texts()


def pager(page: Any) -> str:
    return page.inner_text("#sd-history-pager")


WAIT_SECONDS = 40.0  # a loaded machine (the whole suite on two cores) may take its time


def wait_pager(page: Any, text: str) -> None:
    wait_until(lambda: text in pager(page), timeout=WAIT_SECONDS)


def choose(page: Any, elem_id: str, option: str) -> None:
    page.click(f"#{elem_id} input")
    page.locator('[role="option"]', has_text=option).first.click()


def search(page: Any, text: str) -> None:
    page.fill("#sd-history-search input, #sd-history-search textarea", text)


def test_a_take_is_named_and_a_long_prompt_is_whole_in_its_title(visit: tuple[Any, Seeded]) -> None:
    page, _seeded = visit
    wait_pager(page, "Page 1 of 4 · 1–60 of 230 shots")
    assert len(captions(page)) == 60
    assert captions(page)[0] == f"{BOARD_TITLE} · shot 10 · take 3"
    assert captions(page)[29] == f"{BOARD_TITLE} · shot 1 · take 1"
    newest_studio = page.locator("#sd-history [title*='marker199']").first
    title = newest_studio.get_attribute("title")
    assert title == f"5s · 16:9 · {studio_prompt(199)}"  # the whole prompt, not cut mid-word
    # The preview never shows a storyboard's take (the 30 newest jobs, the newest an Extend: references):
    # it shows the newest Studio shot (marker199, a frames shot).
    page.wait_for_selector("#sd-params .sd-params")
    assert "fast-image-to-video" in page.inner_text("#sd-params")


def test_search_and_filters_narrow_the_history(visit: tuple[Any, Seeded], screenshot_dir: Path) -> None:
    page, _seeded = visit
    search(page, "harbour MARKER117")
    wait_until(lambda: captions(page) and len(captions(page)) == 1 and "marker117" in captions(page)[0])
    wait_pager(page, "1–1 of 1 shot")
    shoot(page, screenshot_dir, "history-search-1440")
    search(page, "")
    wait_pager(page, "of 230 shots")

    choose(page, "sd-history-board", "Studio only")
    wait_pager(page, "of 200 shots")
    assert not any(BOARD_TITLE in c for c in captions(page))
    choose(page, "sd-history-mode", "Frames")
    wait_pager(page, "of 67 shots")
    choose(page, "sd-history-status", "Failed")
    wait_pager(page, "of 7 shots")
    assert all(c.startswith("Failed · ") for c in captions(page))
    choose(page, "sd-history-board", f"Board: {BOARD_TITLE}")
    wait_pager(page, "Nothing matches these filters.")
    for elem_id, option in (("sd-history-board", "All shots"), ("sd-history-mode", "Any mode"),
                            ("sd-history-status", "Any status")):
        choose(page, elem_id, option)
    wait_pager(page, "of 230 shots")
    choose(page, "sd-history-board", f"Board: {BOARD_TITLE}")
    wait_pager(page, "1–30 of 30 shots")
    assert all(c.startswith(f"{BOARD_TITLE} · shot ") for c in captions(page))
    choose(page, "sd-history-board", "All shots")
    wait_pager(page, "of 230 shots")
    choose(page, "sd-history-mode", "Extend")
    wait_pager(page, "of 3 shots")
    assert captions(page) == [f"{BOARD_TITLE} · shot 10 · take {n}" for n in (3, 2, 1)]
    choose(page, "sd-history-mode", "Any mode")
    wait_pager(page, "of 230 shots")


def test_older_pages_reach_item_230_and_a_star_is_kept(visit: tuple[Any, Seeded]) -> None:
    page, _seeded = visit
    for n in (2, 3, 4):
        page.click("#sd-history-older")
        wait_pager(page, f"Page {n} of 4")
    wait_pager(page, "181–230 of 230 shots")
    assert len(captions(page)) == 50 and "marker000" in captions(page)[-1]
    assert page.locator("#sd-history-older").is_disabled() and page.locator("#sd-history-newer").is_enabled()

    page.locator("#sd-history .thumbnail-item").last.click()  # item 230: the oldest, a failed shot
    page.wait_for_selector("#sd-favourite:visible")
    page.click("#sd-favourite")
    wait_until(lambda: captions(page)[-1].startswith("★ "))
    page.click("#sd-history-starred input")
    wait_pager(page, "1–1 of 1 shot")
    page.reload()
    wait_loaded(page)
    page.click("#sd-history-starred input")
    wait_until(lambda: captions(page) == [f"★ Failed · {studio_prompt(0)}"])
    page.click("#sd-history-starred input")
    wait_pager(page, "of 230 shots")


def test_a_job_an_agent_made_with_a_key_shows_once_that_key_is_set(
    visit: tuple[Any, Seeded], app: LiveApp, screenshot_dir: Path
) -> None:
    page, _seeded = visit
    params = {"prompt": "Agent made: a comet over the lighthouse", "duration": 5, "aspect_ratio": "16:9"}
    agent = JobRecord.new(key_owner(AGENTS_KEY), params, status=JobStatus.COMPLETED, created_at=time.time())
    app.runtime.store.add(agent)
    search(page, "comet")
    wait_pager(page, "Nothing matches these filters.")
    page.click("#sd-key > button, #sd-key .label-wrap")
    page.fill("#sd-key-box input", AGENTS_KEY)
    page.click("#sd-key button:has-text('Use key')")
    wait_until(lambda: captions(page) == ["5s · 16:9 · Agent made: a comet over the lighthouse"],
               timeout=WAIT_SECONDS)
    page.locator("#sd-history .thumbnail-item").first.click()
    page.wait_for_selector("#sd-detail .sd-detail:has-text('comet')")  # not the empty detail before it
    assert not page.is_visible("#sd-delete")  # the agent's job is shown, not deleted from here
    page.set_viewport_size(NARROW)
    shoot(page, screenshot_dir, "history-key-390")
    page.click("#sd-key button:has-text('Forget')")
    wait_pager(page, "Nothing matches these filters.")
    search(page, "")
    page.set_viewport_size(HISTORY_VIEW)


def test_delete_and_undo_keep_the_filters(visit: tuple[Any, Seeded]) -> None:
    page, _seeded = visit
    for elem_id, option in (("sd-history-board", "Studio only"), ("sd-history-mode", "Frames"),
                            ("sd-history-status", "Failed")):
        choose(page, elem_id, option)
    wait_pager(page, "of 7 shots")
    assert len(captions(page)) == 7
    page.locator("#sd-history .thumbnail-item").first.click()
    page.wait_for_selector("#sd-delete:visible")
    page.click("#sd-delete")
    wait_until(lambda: len(captions(page)) == 6)  # the filtered page, less the deleted item
    assert all(c.startswith("Failed · ") for c in captions(page))
    page.click("#sd-undo-btn")
    wait_until(lambda: len(captions(page)) == 7)
    assert all(c.startswith("Failed · ") for c in captions(page))
    for elem_id, option in (("sd-history-board", "All shots"), ("sd-history-mode", "Any mode"),
                            ("sd-history-status", "Any status")):
        choose(page, elem_id, option)
    wait_pager(page, "of 230 shots")


# --------------------------------------------------------------------------------------------------
# without a browser: captions, and what a page's query state may hold


def test_a_caption_is_cut_at_a_word_and_a_take_named_by_its_board() -> None:
    from seedance_ui.store.query import BoardTake, HistoryRow
    from seedance_ui.ui.studio.history_views import cut_at_word, history_label

    text = "The golden hour over the sea " * 40
    cut = cut_at_word(text, 60)
    assert cut.endswith("…") and len(cut) <= 60 and text.startswith(cut[:-1])
    assert cut[:-1].split()[-1] in {"The", "golden", "hour", "over", "the", "sea"}  # a whole word last
    assert cut_at_word("short  prompt\n", 60) == "short prompt"
    record = JobRecord.new("o", {"prompt": text, "duration": 5, "aspect_ratio": "16:9"},
                           status=JobStatus.FAILED)
    take = BoardTake(record.id, "b" * 32, "Lighthouse", 3, 2)
    assert history_label(HistoryRow(record, True, take)) == "★ Failed · Lighthouse · shot 3 · take 2"
    record.status = JobStatus.COMPLETED
    assert history_label(HistoryRow(record, False, take)) == "Lighthouse · shot 3 · take 2"
    assert history_label(HistoryRow(record)).startswith("5s · 16:9 · The golden hour")


def test_a_pages_query_state_is_read_safely() -> None:
    from seedance_ui.store.query import BOARD_STUDIO, HistoryQuery
    from seedance_ui.ui.studio.history_find import MAX_SEARCH_CHARS, page_owners, query_of

    assert query_of(None) == query_of({"mode": "video", "status": 3, "board": "../x", "page": -2}) == (
        HistoryQuery())
    assert query_of({"favourites": "yes", "page": True}) == HistoryQuery()
    assert query_of({"search": "x" * 999, "board": BOARD_STUDIO}).search == "x" * MAX_SEARCH_CHARS
    assert page_owners("o" * 32, AGENTS_KEY) == ["o" * 32, key_owner(AGENTS_KEY)]
    assert page_owners("o" * 32, "not a key") == ["o" * 32] and page_owners(None, AGENTS_KEY) == []
