"""The Storyboard tab in a real Chromium (Debian's, through Playwright) against the launched studio.

A 3-shot board is built through the page (board settings, add / duplicate / reorder / delete), one shot
is forced to fail (content policy) while the others complete, it is edited and retried, another shot
gets a second take, two takes are compared side by side with play, pause and seeking kept in step,
one is picked, and the three review exports are downloaded and opened. A second test runs the tab at
390 px. Screenshots land in ./screenshots/storyboard-*.png.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import av
import pytest
from conftest import LiveApp, wait_until
from page_helpers import wait_loaded
from PIL import Image

from seedance_ui import media
from seedance_ui.options import MODEL_FAST, frame_size
from seedance_ui.pricing import estimate
from seedance_ui.simulator.errors import failure_message
from seedance_ui.storyboard.page import Shown, apply_shown, sample_board
from seedance_ui.ui.common import owner_of
from seedance_ui.ui.storyboard import views as sv

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

WIDE = {"width": 1440, "height": 1000}
NARROW = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000
FAIL = "[sim:fail=content_policy_violation]"
STYLE = "hand-drawn storyboard look, soft pastel light"


# --------------------------------------------------------------------------------------------------
# page helpers


def open_storyboard(context: Any, app: LiveApp) -> Any:
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app.url)
    # The studio's load gives this browser its owner id; the storyboard uses the same one.
    wait_loaded(page)
    page.click("#sd-tab-storyboard-button")
    page.wait_for_selector("#sb-tiles .sb-tile[data-shot]")
    return page


def shoot(page: Any, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"storyboard-{name}.png"), full_page=True)


def tiles(page: Any) -> list[dict[str, str]]:
    return page.evaluate(
        "Array.from(document.querySelectorAll('#sb-tiles .sb-tile[data-shot]')).map(t => ({"
        "shot: t.dataset.shot, state: t.dataset.state, takes: t.dataset.takes, percent: t.dataset.percent,"
        "title: t.querySelector('.sb-tile-title').innerText}))"
    )


def tile_states(page: Any) -> list[str]:
    return [t["state"] for t in tiles(page)]


def selected_number(page: Any) -> str | None:
    return page.evaluate(
        "(() => { const h = document.querySelector('#sb-editor-head-block .sb-editor-head');"
        " return h ? h.dataset.number : null; })()"
    )


def select_shot(page: Any, number: int) -> None:
    page.click(f"#sb-tiles .sb-tile[data-number='{number}'] .sb-tile-title")
    wait_until(lambda: selected_number(page) == str(number))


def fill(page: Any, elem_id: str, value: str) -> None:
    box = page.locator(f"#{elem_id} textarea, #{elem_id} input").first
    box.fill(value)
    box.blur()


def set_duration(page: Any, seconds: int) -> None:
    box = page.locator("#sb-shot-duration input[type=number]")
    box.fill(str(seconds))
    box.press("Enter")
    box.blur()


def pick(page: Any, elem_id: str, label: str) -> None:
    page.click(f'#{elem_id} [data-testid="{label}-radio-label"]')


def write_shot(page: Any, title: str, prompt: str, seconds: int = 4) -> None:
    fill(page, "sb-shot-title", title)
    fill(page, "sb-shot-prompt", prompt)
    set_duration(page, seconds)


def wait_states(page: Any, expected: list[str], timeout: float = 30.0) -> list[list[str]]:
    """Every distinct list of tile states until it equals `expected`."""
    seen: list[list[str]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = tile_states(page)
        if not seen or seen[-1] != states:
            seen.append(states)
        if states == expected:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"tiles never reached {expected}: {seen}")


def confirm(page: Any, shots: int, credits: float) -> None:
    """The confirmation step shows the total; only its button sends anything."""
    page.wait_for_selector("#sb-confirm-card .sb-confirm-card")
    card = page.locator("#sb-confirm-card .sb-confirm-card")
    wait_until(lambda: card.get_attribute("data-credits") == f"{credits:.4f}")
    assert card.get_attribute("data-shots") == str(shots)
    label = page.inner_text("#sb-confirm-go")
    assert label.startswith("Confirm — spend ≈ ") and label.endswith(" credits"), label
    page.click("#sb-confirm-go")
    page.wait_for_selector("#sb-confirm", state="hidden")


def download(page: Any, name_part: str, target: Path) -> Path:
    link = page.locator(f"#sb-downloads td.filename[aria-label*='{name_part}'] ~ td a").first
    link.wait_for()
    with page.expect_download() as info:
        link.click()
    path = target / info.value.suggested_filename
    info.value.save_as(path)
    return path


# --------------------------------------------------------------------------------------------------
# the flow


@pytest.mark.browser
def test_build_generate_fail_retry_compare_pick_and_export(
    browser: Any, live_app: LiveApp, screenshot_dir: Path, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=WIDE, accept_downloads=True)
    page = open_storyboard(context, live_app)
    # A first visit opens a sample board, ready to price (nothing is generated).
    assert len(tiles(page)) == 3 and set(tile_states(page)) == {"new"}
    shoot(page, screenshot_dir, "sample-1440")

    # A new board, built through the page.
    page.click("#sb-new")
    wait_until(lambda: len(tiles(page)) == 1 and selected_number(page) == "1")
    fill(page, "sb-title", "Balloon chase")
    fill(page, "sb-style", STYLE)
    pick(page, "sb-quality", "480p")
    pick(page, "sb-model", "Fast")
    write_shot(page, "Lift-off", "Storyboard UI: a red balloon lifts off a market square at dawn, wide shot")
    page.click("#sb-add")
    wait_until(lambda: len(tiles(page)) == 2 and selected_number(page) == "2")
    write_shot(page, "The chase", f"Storyboard UI: a boy runs across rooftops after the balloon {FAIL}")
    page.click("#sb-add")
    wait_until(lambda: len(tiles(page)) == 3 and selected_number(page) == "3")
    write_shot(page, "Caught", "Storyboard UI: the boy catches the string at the edge of a roof, close-up")

    # Duplicate, reorder and delete: the list follows, the selection stays on the moved shot.
    page.click("#sb-duplicate")
    wait_until(
        lambda: [t["title"] for t in tiles(page)] == ["Lift-off", "The chase", "Caught", "Caught (copy)"]
    )
    assert selected_number(page) == "4"
    page.click("#sb-up")
    wait_until(
        lambda: [t["title"] for t in tiles(page)] == ["Lift-off", "The chase", "Caught (copy)", "Caught"]
    )
    assert selected_number(page) == "3"
    page.click("#sb-delete")
    wait_until(lambda: [t["title"] for t in tiles(page)] == ["Lift-off", "The chase", "Caught"])

    # The summary prices the whole board; the style line travels with every prompt.
    per_shot = estimate(MODEL_FAST, "480p", 4).credits
    summary = page.locator("#sb-summary .sb-summary")
    wait_until(lambda: summary.get_attribute("data-credits") == f"{3 * per_shot:.4f}")
    select_shot(page, 1)
    assert STYLE in page.inner_text("#sb-editor-info .sb-sent-prompt")
    shoot(page, screenshot_dir, "board-1440")

    # Generate all: first the confirmation with the total, then the jobs; the tiles follow live.
    creates_before = len(live_app.proxy.creates())
    page.click("#sb-generate-all")
    page.wait_for_selector("#sb-confirm-card .sb-confirm-card")
    assert len(live_app.proxy.creates()) == creates_before  # nothing is sent before the confirmation
    shoot(page, screenshot_dir, "confirm-1440")
    confirm(page, 3, 3 * per_shot)
    seen = wait_states(page, ["done", "failed", "done"], timeout=40)
    assert any(s in ("queued", "running") for states in seen for s in states), seen
    prompts = [r.body["prompt"] for r in live_app.proxy.creates_with("Storyboard UI:")]
    assert len(prompts) == 3 and all(p.endswith(f", {STYLE}") for p in prompts)
    assert all(
        r.body["model"] == MODEL_FAST and r.body["quality"] == "480p" for r in live_app.proxy.creates()[-3:]
    )

    # The failed shot shows its reason and "Edit and retry"; the other two completed anyway.
    failed = page.locator("#sb-tiles .sb-tile[data-number='2']")
    assert failure_message("content_policy_violation")[:60] in failed.inner_text()
    assert failed.locator(".sb-fail").get_attribute("data-code") == "content_policy_violation"
    page.wait_for_selector("#sb-tiles .sb-tile[data-number='1'] img")
    shoot(page, screenshot_dir, "failed-1440")

    failed.locator(".sb-retry").click()
    wait_until(lambda: selected_number(page) == "2")
    assert failure_message("content_policy_violation")[:60] in page.inner_text("#sb-editor-info")
    assert page.inner_text("#sb-shot-generate").strip() == "Retry shot"
    fill(page, "sb-shot-prompt", "Storyboard UI: a boy runs across rooftops after the balloon")
    page.click("#sb-generate-missing")  # plans only the failed shot
    confirm(page, 1, per_shot)
    wait_states(page, ["done", "done", "done"])
    assert page.locator("#sb-tiles .sb-tile[data-number='2']").get_attribute("data-takes") == "2"
    retry = live_app.proxy.creates_with("after the balloon")[-1]
    assert FAIL not in retry.body["prompt"]

    # A second take of shot 1.
    select_shot(page, 1)
    assert page.inner_text("#sb-shot-generate").strip() == "Generate a new take"
    page.click("#sb-shot-generate")
    confirm(page, 1, per_shot)
    wait_until(lambda: tiles(page)[0]["takes"] == "2", timeout=10)
    wait_states(page, ["done", "done", "done"])
    page.wait_for_selector("#sb-takes .sb-take[data-number='2'][data-status='completed']")

    # Compare the two takes side by side: play, pause and seeking stay in step.
    page.wait_for_selector("#sb-compare-row", state="visible")
    assert len(page.locator("#sb-compare-pick input[type=checkbox]:checked").all()) == 2
    page.click("#sb-compare-btn")
    page.wait_for_selector("#sb-compare .sb-compare[data-count='2']")
    page.wait_for_function(
        "() => { const v = document.querySelectorAll('#sb-compare video[data-sync]');"
        " return v.length === 2 && [...v].every(x => x.readyState >= 2); }"
    )
    videos = "document.querySelectorAll('#sb-compare video[data-sync]')"
    page.evaluate(f"{videos}[0].play()")
    page.wait_for_function(f"() => !{videos}[1].paused && {videos}[1].currentTime > 0.2")
    shoot(page, screenshot_dir, "compare-1440")
    page.evaluate(f"{videos}[1].pause()")
    page.wait_for_function(f"() => {videos}[0].paused")
    # A seek on take 2 moves take 1 too. The pause just now opened the script's short echo guard, in
    # which a change is not passed on: take 2 seeks again at each poll until take 1 follows.
    page.wait_for_function(
        f"() => {{ const v = {videos}; if (Math.abs(v[0].currentTime - 2.5) < 0.1) return true;"
        " if (!v[1].seeking) v[1].currentTime = 2.5; return false; }",
        polling=100,
    )
    page.click("#sb-compare [data-sync-cmd='play']")
    page.wait_for_function(f"() => [...{videos}].every(v => !v.paused)")
    page.click("#sb-compare [data-sync-cmd='pause']")
    page.wait_for_function(f"() => [...{videos}].every(v => v.paused)")

    # Pick take 2: the board shows it, on the page and on disk.
    page.click("#sb-compare .sb-cmp-col[data-number='2'] .sb-cmp-pick")
    page.wait_for_selector("#sb-compare .sb-cmp-col.is-chosen[data-number='2']")
    page.wait_for_selector("#sb-tiles .sb-tile[data-number='1'] .sb-take-badge >> text=Take 2/2")
    page.wait_for_selector("#sb-takes .sb-take.is-chosen[data-number='2']")
    shot_ids = [t["shot"] for t in tiles(page)]
    with contextlib.closing(sqlite3.connect(live_app.data_dir / "studio.sqlite3")) as conn:  # a row now
        [(body,)] = conn.execute("SELECT body FROM boards WHERE instr(body, ?) > 0",
                                 (shot_ids[0],)).fetchall()
    saved = json.loads(body)
    first = saved["shots"][0]
    assert saved["title"] == "Balloon chase" and saved["settings"]["style"] == STYLE
    assert first["chosen_take"] == first["takes"][1]["id"] and first["chosen_by_user"] is True
    take_two_job = first["takes"][1]["job_id"]

    # The board persists for this browser: a reload opens it again, as it was left.
    page.reload()
    wait_loaded(page)
    page.click("#sd-tab-storyboard-button")
    page.wait_for_selector("#sb-tiles .sb-tile[data-number='1'] .sb-take-badge >> text=Take 2/2")
    assert [t["title"] for t in tiles(page)] == ["Lift-off", "The chase", "Caught"]
    assert tile_states(page) == ["done", "done", "done"]
    assert page.input_value("#sb-title textarea, #sb-title input") == "Balloon chase"

    # Review exports, downloaded through the page and opened.
    page.click("#sb-export-zip")
    zip_path = download(page, "review.zip", tmp_path)
    with zipfile.ZipFile(zip_path) as zf:
        names = sorted(zf.namelist())
        assert names == [
            "01-lift-off.mp4",
            "02-the-chase.mp4",
            "03-caught.mp4",
            "contact-sheet.png",
            "manifest.json",
        ]
        record = live_app.runtime.store.get(take_two_job)
        assert zf.read("01-lift-off.mp4") == live_app.runtime.store.video_file(record).read_bytes()
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["board"]["title"] == "Balloon chase"
    assert [s["title"] for s in manifest["shots"]] == ["Lift-off", "The chase", "Caught"]
    assert manifest["shots"][0]["task_id"] == record.task_id
    assert all(s["prompt"].endswith(STYLE) and s["task_id"].startswith("task-") for s in manifest["shots"])
    assert all(s["parameters"]["model"] == MODEL_FAST and s["credits_reserved"] for s in manifest["shots"])
    assert FAIL not in manifest["shots"][1]["prompt"]

    page.click("#sb-export-sheet")
    page.wait_for_selector("#sb-sheet-preview img")
    sheet_path = download(page, "contact-sheet.png", tmp_path)
    with Image.open(sheet_path) as sheet:
        assert sheet.format == "PNG" and sheet.width == media.SHEET_WIDTH
        assert sheet.height > 3 * 200

    page.click("#sb-export-animatic")
    page.wait_for_selector("#sb-animatic-preview video", timeout=60_000)
    animatic_path = download(page, "animatic.mp4", tmp_path)
    with av.open(str(animatic_path)) as container:
        stream = container.streams.video[0]
        sizes = {(f.width, f.height) for f in container.decode(stream)}
    assert sizes == {frame_size("480p", "16:9")}
    # Three 4 s takes plus three 1.5 s title cards (on by default).
    assert media.probe(animatic_path).duration == pytest.approx(3 * 4 + 3 * 1.5, abs=0.6)
    page.locator("#sb-exports").scroll_into_view_if_needed()
    shoot(page, screenshot_dir, "exports-1440")

    # The board as JSON, imported back as a new board.
    page.click("#sb-export-json")
    json_path = download(page, ".json", tmp_path)
    assert json.loads(json_path.read_text(encoding="utf-8"))["title"] == "Balloon chase"
    with page.expect_file_chooser() as chooser:
        page.click("#sb-import")
    chooser.value.set_files(str(json_path))
    page.wait_for_selector("#sb-notice .sd-notice >> text=Imported")
    wait_until(lambda: [t["title"] for t in tiles(page)] == ["Lift-off", "The chase", "Caught"])
    body = page.inner_text("body")
    assert "Traceback" not in body and 'File "' not in body
    context.close()


@pytest.mark.browser
def test_quick_clicks_on_two_tiles_end_on_the_second_and_a_double_click_adds_one_shot(
    browser: Any, live_app: LiveApp
) -> None:
    """A click on another tile while the last selection is still on its way is never dropped (it was,
    under Gradio's default trigger mode "once"), and a double click on "Add a shot" adds one shot."""
    context = browser.new_context(viewport=WIDE)
    page = open_storyboard(context, live_app)
    count = len(tiles(page))
    two_clicks = (  # the second 30 ms after the first: sent, its answer still on its way
        "n => { const t = k => document.querySelector("
        "`#sb-tiles .sb-tile[data-number='${k}'] .sb-tile-title`);"
        " t(1).click(); setTimeout(() => t(n).click(), 30); }"
    )
    for _ in range(3):
        select_shot(page, 2)  # neither of the two: the page must move to the second
        page.evaluate(two_clicks, count)
        wait_until(lambda: selected_number(page) == str(count))
        time.sleep(1.0)
        assert selected_number(page) == str(count)  # and it stays there
    page.dblclick("#sb-tiles .sb-tile-add")
    wait_until(lambda: len(tiles(page)) == count + 1)
    time.sleep(1.0)
    assert len(tiles(page)) == count + 1
    context.close()


@pytest.mark.browser
def test_storyboard_at_390_px(browser: Any, live_app: LiveApp, screenshot_dir: Path) -> None:
    context = browser.new_context(viewport=NARROW, device_scale_factor=1, is_mobile=True, has_touch=True)
    page = open_storyboard(context, live_app)
    shoot(page, screenshot_dir, "sample-390")
    page.click("#sb-generate-all")
    page.wait_for_selector("#sb-confirm-card .sb-confirm-card")
    page.locator("#sb-confirm").scroll_into_view_if_needed()
    shoot(page, screenshot_dir, "confirm-390")
    confirm(page, 3, 3 * estimate(MODEL_FAST, "480p", 5).credits)  # the sample: three 5 s shots
    wait_states(page, ["done", "done", "done"], timeout=40)
    page.wait_for_selector("#sb-tiles .sb-tile[data-number='3'] img")
    select_shot(page, 2)
    page.click("#sb-shot-generate")
    confirm(page, 1, estimate(MODEL_FAST, "480p", 5).credits)
    wait_until(lambda: tiles(page)[1]["takes"] == "2", timeout=10)
    wait_states(page, ["done", "done", "done"])
    shoot(page, screenshot_dir, "board-390")
    page.wait_for_selector("#sb-compare-row", state="visible")
    page.click("#sb-compare-btn")
    page.wait_for_selector("#sb-compare .sb-compare[data-count='2']")
    page.locator("#sb-compare").scroll_into_view_if_needed()
    shoot(page, screenshot_dir, "compare-390")
    # Nothing overflows sideways at 390 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"] + 1
    context.close()


def field_value(page: Any, elem_id: str) -> str:
    return page.locator(f"#{elem_id} textarea, #{elem_id} input").first.input_value()


def test_two_tabs_on_one_board_keep_each_others_edits(browser: Any, live_app: LiveApp) -> None:
    # One browser (one owner), two tabs on the same board. Each tab sends everything it shows with every
    # save; the tab that is behind must not write its old values over what the other one saved.
    context = browser.new_context(viewport=WIDE)
    first = open_storyboard(context, live_app)
    second = open_storyboard(context, live_app)
    board_title = field_value(first, "sb-title")
    assert field_value(second, "sb-title") == board_title and selected_number(second) == "1"

    def saved() -> tuple[str, str, str, str]:
        """(board title, shot 1 title, style, shot 1 prompt) as a new tab opens them."""
        third = open_storyboard(context, live_app)
        try:
            return (field_value(third, "sb-title"), field_value(third, "sb-shot-title"),
                    field_value(third, "sb-style"), field_value(third, "sb-shot-prompt"))
        finally:
            third.close()

    fill(first, "sb-title", "Pilot, tab one")
    fill(first, "sb-shot-title", "Harbour, tab one")
    fill(first, "sb-style", "ink wash, tab one")
    wait_until(lambda: saved()[:3] == ("Pilot, tab one", "Harbour, tab one", "ink wash, tab one"),
               timeout=20, interval=0.5)

    # The second tab still shows the old title, shot title and style; it edits the shot's prompt.
    assert field_value(second, "sb-title") == board_title
    assert field_value(second, "sb-shot-title") != "Harbour, tab one"
    prompt = "Wide shot: the harbour at dawn, gulls over the cranes. From tab two."
    fill(second, "sb-shot-prompt", prompt)
    wait_until(lambda: saved()[3] == prompt, timeout=20, interval=0.5)
    assert saved() == ("Pilot, tab one", "Harbour, tab one", "ink wash, tab one", prompt)

    # A field the behind tab does change is written (per field, the last edit wins).
    fill(second, "sb-style", "charcoal, tab two")
    wait_until(lambda: saved()[2] == "charcoal, tab two", timeout=20, interval=0.5)
    assert saved() == ("Pilot, tab one", "Harbour, tab one", "charcoal, tab two", prompt)
    context.close()


# --------------------------------------------------------------------------------------------------
# without a browser: what the page sends is applied safely, owners match the studio's, markup is escaped


def _ctx(**fields: Any) -> Shown:
    values = dict.fromkeys(Shown.__dataclass_fields__)
    values.update(fields)
    return Shown(**values)


def test_what_the_page_shows_is_applied_and_bad_values_are_ignored() -> None:
    board = sample_board("a" * 32)
    shot = board.shots[1]
    changed = apply_shown(
        board,
        _ctx(
            owner="a" * 32,
            board_id=board.id,
            shot_id=shot.id,
            title="  New title ",
            style="noir",
            aspect_ratio="9:16",
            quality="1080p",  # not an option: ignored
            model=MODEL_FAST,
            audio=False,
            shot_title="Close-up",
            shot_prompt="A lamp flickers",
            shot_duration=6.0,
            shot_model="board",
            shot_quality="720p",
            shot_audio="off",
        ),
    )
    assert changed
    assert (board.title, board.style, board.aspect_ratio, board.quality) == (
        "New title",
        "noir",
        "9:16",
        "480p",
    )
    assert board.generate_audio is False
    assert (shot.title, shot.prompt, shot.duration) == ("Close-up", "A lamp flickers", 6)
    assert (shot.model, shot.quality, shot.generate_audio) == (None, "720p", False)
    assert board.shots[0].title == "Storm at dusk"  # only the selected shot takes the editor's values
    # Out of range or fractional durations are clamped or left alone; nothing else changes twice.
    apply_shown(board, _ctx(shot_id=shot.id, shot_duration=99))
    assert shot.duration == 15
    apply_shown(board, _ctx(shot_id=shot.id, shot_duration=4.5))
    assert shot.duration == 15
    assert apply_shown(board, _ctx(shot_id=shot.id, shot_title="Close-up")) is False


def test_the_storyboard_owner_is_the_studio_owner() -> None:
    # Every handler of both tabs gets its owner through the one shared `common.owner_of`.
    browser_id = "b" * 32
    session = {"oauth_info": {"userinfo": {"preferred_username": "alice"}, "expires_at": time.time() + 60}}
    signed_in = SimpleNamespace(scope={"session": session})
    settings = SimpleNamespace(sign_in=True)
    assert owner_of(browser_id, signed_in, settings) == "hf:alice"
    assert owner_of(browser_id, SimpleNamespace(scope={"session": {}}), settings) == browser_id
    settings = SimpleNamespace(sign_in=False)
    assert owner_of(browser_id, signed_in, settings) == browser_id
    assert owner_of("hf:mallory", None, settings) is None and owner_of(None, None, settings) is None


def test_titles_prompts_and_reasons_are_escaped_in_the_tiles() -> None:
    board = sample_board("c" * 32)
    board.shots[0].title = '<img src=x onerror="alert(1)">'
    board.shots[0].prompt = "<script>alert(2)</script> & {{x}} ${y}"
    board.style = "<b>bold</b>"
    views = sv.shot_views(board, lambda _job: None, lambda _r: None, lambda _r: None)
    html = sv.tiles_html(board, views, board.shots[0].id)
    assert "<img src=x" not in html and "<script>" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt; &amp; {{x}} ${y}" in html
    info = sv.editor_info_html(board, views[0], [])
    assert "<b>bold</b>" not in info and "&lt;b&gt;bold&lt;/b&gt;" in info
