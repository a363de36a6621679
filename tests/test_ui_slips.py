"""Nothing lost by a slip, and Continue in reach (#24, items 2 and 10), in a real Chromium against the studio
in demo mode (one app for the module, a short undo time): *Continue this shot* beside the fresh result and
in the history's detail brings the create panel into view with the new first frame (1440x900, 390x844); a
deleted history item, storyboard shot with its chosen take, take and board come back with *Undo*, and when
the time is up a board is gone from the list and from disk; *New board* then an import leaves no empty
*Shot 1* blocking *Generate all*; a failed import makes no board; an unsent prompt survives a reload.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_process import all_jobs
from conftest import LiveApp, launched_demo_app, wait_until
from page_helpers import open_at, open_newest, wait_loaded

from seedance_ui.storyboard import Board, dumps_board

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:.*no_silent_downcasting")]

SAMPLE_FRAME = Path(__file__).resolve().parent.parent / "assets" / "samples" / "lighthouse.png"
SIZES = {"1440x900": {"width": 1440, "height": 900}, "390x844": {"width": 390, "height": 844}}
PROMPT = "A paper boat drifts down a rain gutter, low tracking shot, streetlights shimmering."
UNDO_SECONDS = 5.0  # long enough to press Undo on a loaded machine, short enough to wait out


@pytest.fixture(scope="module")
def slips_app(tmp_path_factory: pytest.TempPathFactory, simulator: Any) -> Iterator[LiveApp]:
    """The studio in demo mode (its own simulator answers) with a short undo time."""
    with launched_demo_app(tmp_path_factory, simulator, "slips-data", undo_seconds=UNDO_SECONDS) as app:
        yield app


def in_view(page: Any, selector: str) -> bool:
    """The element's whole box is inside the viewport as the page is scrolled now."""
    return page.evaluate(
        """(s) => { const e = document.querySelector(s); if (!e) return false;
            const r = e.getBoundingClientRect();
            return r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight
                && r.right <= innerWidth; }""",
        selector,
    )


def generate(page: Any) -> None:
    """A prompt through the page's Generate, until its video plays in the preview."""
    page.fill("#sd-prompt textarea", PROMPT)
    page.click("#sd-generate")
    page.wait_for_selector("#sd-video video", timeout=60_000)


def gallery_count(page: Any) -> int:
    return page.locator("#sd-history .thumbnail-item").count()


def to_bottom(page: Any) -> int:
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    wait_until(lambda: page.evaluate("scrollY") > 0)
    return page.evaluate("scrollY")


def first_frame_in_view(page: Any, bottom: int) -> None:
    page.wait_for_selector("#sd-first-frame img")
    wait_until(lambda: in_view(page, "#sd-first-frame"))
    assert page.evaluate("scrollY") < bottom


# --------------------------------------------------------------------------------------------------
# item 2: Continue this shot


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_continue_beside_the_fresh_result_brings_the_first_frame_into_view(
    browser: Any, slips_app: LiveApp, size: dict[str, int]
) -> None:
    page = open_at(browser, slips_app, size)
    try:
        generate(page)
        page.wait_for_selector("#sd-continue-result", state="visible")
        bottom = to_bottom(page)
        page.click("#sd-continue-result")
        first_frame_in_view(page, bottom)
        assert "Continuing this shot" in page.inner_text("#sd-status")

        page.reload()  # the history's detail does the same
        wait_loaded(page)
        open_newest(page)
        page.wait_for_selector("#sd-continue", state="visible")
        bottom = to_bottom(page)
        page.click("#sd-continue")
        first_frame_in_view(page, bottom)
    finally:
        page.context.close()


def test_continuing_a_frames_shot_keeps_its_frame_and_generates(browser: Any, slips_app: LiveApp) -> None:
    """Continue from a Frames result (the zone already held a picture): the last frame is taken as an
    upload, not refused as a server path, and Generate sends the new shot."""
    page = open_at(browser, slips_app, SIZES["1440x900"])
    try:
        page.click('#sd-mode [data-testid="Frames-radio-label"]')
        page.set_input_files("#sd-first-frame input[type=file]", str(SAMPLE_FRAME))
        page.wait_for_selector("#sd-first-frame img")
        generate(page)
        first = page.eval_on_selector("#sd-video video", "v => v.currentSrc")
        page.wait_for_selector("#sd-continue-result", state="visible")
        page.click("#sd-continue-result")
        wait_until(lambda: "Continuing this shot" in page.inner_text("#sd-status"))
        page.wait_for_selector("#sd-first-frame img")
        assert "not kept" not in page.inner_text("#sd-frames-note")
        page.fill("#sd-prompt textarea", "The keeper steps out onto the gallery, wind in his coat.")
        page.click("#sd-generate")
        page.wait_for_function("(old) => { const v = document.querySelector('#sd-video video');"
                               " return v && v.currentSrc !== old; }", arg=first, timeout=60_000)
    finally:
        page.context.close()


# --------------------------------------------------------------------------------------------------
# item 10: undo


def test_a_deleted_history_item_comes_back_with_undo_and_goes_when_the_time_is_up(
    browser: Any, slips_app: LiveApp
) -> None:
    page = open_at(browser, slips_app, SIZES["1440x900"])
    try:
        generate(page)
        open_newest(page)
        count = gallery_count(page)
        job_ids = {j.id for j in all_jobs(slips_app.data_dir)}
        page.click("#sd-delete")
        page.wait_for_selector("#sd-undo", state="visible")
        assert "Undo within" in page.inner_text("#sd-undo")
        wait_until(lambda: gallery_count(page) == count - 1)
        page.click("#sd-undo-btn")
        wait_until(lambda: gallery_count(page) == count)
        page.wait_for_selector("#sd-undo", state="hidden")
        assert {j.id for j in all_jobs(slips_app.data_dir)} == job_ids

        open_newest(page)
        page.click("#sd-delete")
        wait_until(lambda: gallery_count(page) == count - 1)
        page.wait_for_selector("#sd-undo", state="hidden", timeout=(UNDO_SECONDS + 10) * 1000)
        wait_until(lambda: len({j.id for j in all_jobs(slips_app.data_dir)}) == len(job_ids) - 1)
    finally:
        page.context.close()


def open_storyboard(page: Any) -> None:
    page.click("#sd-tab-storyboard-button")
    page.wait_for_selector("#sb-tiles .sb-tile[data-shot]")


def shot_ids(page: Any) -> list[str]:
    return page.evaluate(
        "[...document.querySelectorAll('#sb-tiles .sb-tile[data-shot]')].map(t => t.dataset.shot)"
    )


def board_title(page: Any) -> str:
    return page.input_value("#sb-picker input")


def board_choices(page: Any) -> int:
    page.click("#sb-picker input")
    page.wait_for_selector("#sb-picker [data-testid=dropdown-option]")
    options = page.locator("#sb-picker [data-testid=dropdown-option]").count()
    page.keyboard.press("Escape")
    page.locator("#sb-picker input").blur()
    return options


def board_rows(app: LiveApp) -> list[tuple[str, str, float | None]]:
    """(board id, JSON, trashed_at) of every board in the app's database (trashed ones too)."""
    with contextlib.closing(sqlite3.connect(app.data_dir / "studio.sqlite3")) as conn:
        return conn.execute("SELECT board_id, body, trashed_at FROM boards ORDER BY board_id").fetchall()


def board_file(app: LiveApp, board_id: str) -> str | None:
    """The board's JSON as stored (in the trash or not), or None when it is gone."""
    return next((body for found, body, _trashed in board_rows(app) if found == board_id), None)


def open_board_id(page: Any, app: LiveApp) -> str:
    """The open board's id, found in the database by the title its picker shows (the id box is not drawn)."""
    title = page.input_value("#sb-picker input").split(" · ")[0]
    ids = [board_id for board_id, body, trashed in board_rows(app)
           if trashed is None and json.loads(body)["title"] == title]
    assert len(ids) == 1, (title, ids)
    return ids[0]


def test_a_shot_with_its_chosen_take_and_a_take_come_back_with_undo(browser: Any, slips_app: LiveApp) -> None:
    page = open_at(browser, slips_app, SIZES["1440x900"])
    try:
        open_storyboard(page)
        page.click("#sb-tiles .sb-tile[data-number='1'] .sb-tile-title")
        page.click("#sb-shot-generate")
        page.click("#sb-confirm-go")
        page.wait_for_selector("#sb-takes .sb-take.is-chosen", timeout=60_000)
        before = shot_ids(page)

        page.click("#sb-delete")  # the selected shot 1, with its chosen take
        wait_until(lambda: shot_ids(page) == before[1:])
        page.wait_for_selector("#sb-undo", state="visible")
        assert "Shot 1 and its chosen take deleted" in page.inner_text("#sb-undo")
        page.click("#sb-undo-btn")
        wait_until(lambda: shot_ids(page) == before)
        page.wait_for_selector("#sb-takes .sb-take.is-chosen")  # its take, still on the board
        page.wait_for_selector("#sb-undo", state="hidden")

        page.click("#sb-takes .sb-take-del")
        page.wait_for_selector("#sb-takes .sb-take", state="detached")
        assert "Take 1 of shot 1 deleted" in page.inner_text("#sb-undo")
        page.click("#sb-undo-btn")
        page.wait_for_selector("#sb-takes .sb-take.is-chosen")
    finally:
        page.context.close()


def test_a_deleted_board_leaves_the_list_and_the_disk(browser: Any, slips_app: LiveApp) -> None:
    page = open_at(browser, slips_app, SIZES["1440x900"])
    try:
        open_storyboard(page)
        page.click("#sb-new")
        page.wait_for_selector("#sb-notice :text('A new board')")
        doomed = open_board_id(page, slips_app)
        count, title = board_choices(page), board_title(page)
        assert board_file(slips_app, doomed) is not None

        page.click("#sb-delete-board")
        page.wait_for_selector("#sb-undo", state="visible")
        wait_until(lambda: board_title(page) != title)
        assert board_choices(page) == count - 1
        page.click("#sb-undo-btn")
        wait_until(lambda: board_title(page) == title)
        assert board_choices(page) == count

        page.click("#sb-delete-board")
        wait_until(lambda: board_title(page) != title)
        page.wait_for_selector("#sb-undo", state="hidden", timeout=(UNDO_SECONDS + 10) * 1000)
        wait_until(lambda: board_file(slips_app, doomed) is None)  # purged: out of the trash too
        assert board_choices(page) == count - 1
    finally:
        page.context.close()


def board_files(app: LiveApp) -> list[str]:
    """Every board row and every file of the boards' media folders."""
    return [row[0] for row in board_rows(app)] + sorted(p.name for p in (app.data_dir / "boards").rglob("*"))


def import_file(page: Any, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.click("#sb-import")
    chooser.value.set_files(str(path))


def test_new_board_then_an_import_leaves_no_empty_shot_and_a_failed_one_no_board(
    browser: Any, slips_app: LiveApp, tmp_path: Path
) -> None:
    csv = tmp_path / "chase.csv"
    csv.write_text(
        "title,prompt,duration\nLift-off,A balloon lifts off at dawn,4\nLanding,It lands in a field,4\n"
    )
    board = Board(owner="c" * 32, title="Friend's board")
    board.add_shot(title="Dunes", prompt="A kite over the dunes", duration=4)
    good, bad = tmp_path / "friend.json", tmp_path / "broken.json"
    good.write_text(dumps_board(board))
    bad.write_text(json.dumps({"title": "Broken", "shots": "not a list"}))
    page = open_at(browser, slips_app, SIZES["1440x900"])
    try:
        open_storyboard(page)
        page.click("#sb-new")
        page.wait_for_selector("#sb-notice :text('A new board')")
        import_file(page, csv)
        page.wait_for_selector("#sb-notice :text('chase.csv')")
        titles = page.locator("#sb-tiles .sb-tile[data-shot] .sb-tile-title").all_inner_texts()
        assert titles == ["Lift-off", "Landing"], titles  # no empty Shot 1 before them
        page.click("#sb-generate-all")
        page.wait_for_selector("#sb-confirm-go", state="visible")
        assert page.is_enabled("#sb-confirm-go")
        page.click("#sb-confirm-cancel")

        page.click("#sb-new")
        page.wait_for_selector("#sb-notice :text('A new board')")
        blank = open_board_id(page, slips_app)
        count = board_choices(page)
        import_file(page, good)
        page.wait_for_selector("#sb-notice :text('Imported')")
        assert board_choices(page) == count  # the untouched new board gave way to the import
        assert board_file(slips_app, blank) is None

        files = board_files(slips_app)
        import_file(page, bad)
        page.wait_for_selector("#sb-notice :text('Could not import broken.json')")
        assert board_choices(page) == count
        assert board_files(slips_app) == files
    finally:
        page.context.close()


def test_an_unsent_prompt_survives_a_reload(browser: Any, slips_app: LiveApp) -> None:
    page = open_at(browser, slips_app, SIZES["390x844"])
    try:
        page.click("#sd-prompt textarea")
        page.keyboard.type(PROMPT)
        page.reload()
        wait_loaded(page)
        wait_until(lambda: page.input_value("#sd-prompt textarea") == PROMPT)
        page.wait_for_selector("#sd-counter .sd-counter")  # Gradio was told: the counter follows it
        assert str(len(PROMPT)) in page.inner_text("#sd-counter") or "words" in page.inner_text("#sd-counter")
    finally:
        page.context.close()
