"""The owner's side of a review, in the Storyboard tab, with a reviewer in a second browser.

One studio in demo mode for the module (create_app + launch_kwargs, its own simulator), real headless
Chromium with TWO browser contexts: the owner builds a two-shot board through the page, generates it,
presses *Share for review* and reads the link from #sb-review-link; a reviewer with no cookie opens it,
plays all, pins a note at 0:02 on shot 2, approves shot 1 and requests changes on shot 2; the owner's
tab shows all three within 5 s (the tiles' verdicts, the review bar, the note with its time in the shot
editor, which seeks the take's player). The owner picks another take of shot 2: the reviewer sees v2 with
its status reset and v1's note one click away, and the owner's tile says "v2 — needs review". *Revoke*
empties the reviewer's open page within 5 s. Then the tab at 390 px, and axe on it with the Review panel.
Screenshots: screenshots/review-owner-*.png.
"""

from __future__ import annotations

import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SIM_SPEED, LiveApp, RecordingProxy, _close, _launch, wait_until
from test_ui_a11y import SETTLED, report, violations
from test_ui_review_page import card, open_board, pause_at
from test_ui_storyboard import download, open_storyboard, select_shot, write_shot

from seedance_ui.review import LinkClosed
from seedance_ui.ui.review.routes import REVIEW_PATH

pytestmark = [pytest.mark.browser]

WIDE = {"width": 1440, "height": 1000}
NARROW = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000
LIVE_WITHIN = 5.0  # seconds: what a reviewer does shows on the owner's tab within this (the 5 s)
V1, V2 = re.compile(r"^v1\b"), re.compile(r"^v2\b")
SHOTS = (("Harbour at night", "a lighthouse beam sweeps a dark harbour"),
         ("The beam", "the beam lands on a small boat, waves glitter"))
NOTE = "The beam is too dim here."


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, simulator: Any) -> Iterator[LiveApp]:
    """The studio in demo mode (no server key: its own simulator answers)."""
    from seedance_ui.config import Settings

    proxy = RecordingProxy(simulator.base_url).start()
    settings = Settings(api_key="", base_url=proxy.url, data_dir=tmp_path_factory.mktemp("review-owner"),
                        poll_interval=0.1, simulator_speed=SIM_SPEED, request_timeout=10.0)
    live = _launch(settings, proxy, simulator)
    yield live
    _close(live)
    proxy.stop()


@pytest.fixture(scope="module")
def owner(browser: Any, app: LiveApp) -> Iterator[Any]:
    """The owner's page: a two-shot board written and generated through the Storyboard tab."""
    context = browser.new_context(viewport=WIDE)
    page = open_storyboard(context, app)
    page.click("#sb-new")
    page.wait_for_selector("#sb-tiles .sb-tile[data-number='1']")
    write_shot(page, *SHOTS[0])
    page.click("#sb-add")
    page.wait_for_selector("#sb-tiles .sb-tile[data-number='2']")
    select_shot(page, 2)
    write_shot(page, *SHOTS[1])
    page.click("#sb-generate-all")
    confirm(page)
    wait_until(lambda: tile_states(page) == ["done", "done"], timeout=90)
    yield page
    context.close()


@pytest.fixture()
def reviewer(browser: Any) -> Iterator[Any]:
    """A reviewer's page in a fresh context (no cookie)."""
    context = browser.new_context(viewport=WIDE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def confirm(page: Any) -> None:
    page.wait_for_selector("#sb-confirm-card .sb-confirm-card")
    page.click("#sb-confirm-go")
    page.wait_for_selector("#sb-confirm", state="hidden")


def tile_states(page: Any) -> list[str]:
    return page.evaluate(
        "Array.from(document.querySelectorAll('#sb-tiles .sb-tile[data-shot]')).map(t => t.dataset.state)"
    )


def verdicts(page: Any) -> list[str]:
    """Each tile's review line, as its text ("" for a tile without one)."""
    return page.evaluate(
        "Array.from(document.querySelectorAll('#sb-tiles .sb-tile[data-shot]')).map(t => {"
        " const l = t.querySelector('.sb-review-line'); return l ? l.innerText.trim() : ''; })"
    )


def share(page: Any, prompts: bool = True) -> str:
    """Press *Share for review*; the full link the page shows."""
    box = page.locator("#sb-review-link textarea, #sb-review-link input").first
    before = box.input_value() if box.count() else ""
    if not prompts:
        page.locator("#sb-share-prompts input").uncheck()
    page.get_by_role("button", name="Share for review").click()
    page.wait_for_selector("#sb-review-link", state="visible")
    box = page.locator("#sb-review-link textarea, #sb-review-link input").first
    wait_until(lambda: box.input_value() not in ("", before))
    return box.input_value()


# The review's elements that stick out of the Storyboard tab on the right (the page's width is set by the
# studio's header, not this test's).
OVERFLOWING = """(roots) => {
    const edge = document.querySelector('#sd-tab-storyboard').getBoundingClientRect().right + 1;
    return roots.flatMap((root) => Array.from(document.querySelectorAll(root + ', ' + root + ' *')))
        .filter((e) => e.offsetParent !== null && e.getBoundingClientRect().right > edge)
        .map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
}"""


def test_the_owner_shares_sees_a_review_live_picks_v2_and_revokes(
    owner: Any, reviewer: Any, app: LiveApp, screenshot_dir: Path
) -> None:
    url = share(owner)
    origin = app.url.rstrip("/")
    assert re.fullmatch(re.escape(origin + REVIEW_PATH) + r"#[A-Za-z0-9_-]{43,}", url), url
    owner.wait_for_selector("#sb-review-links tr[data-state='open']")
    assert owner.locator("#sb-review-links tbody tr").count() == 1
    assert verdicts(owner) == ["v1 — needs review"] * 2
    assert owner.locator("#sb-review-bar .sb-review-summary").inner_text() == "0 of 2 shots approved"

    # The reviewer (no cookie) opens the link, plays all, pins a note at 0:02, approves and asks changes.
    open_board(reviewer, url, name="Ana")
    reviewer.get_by_role("button", name="Play all").click()
    reviewer.wait_for_function("() => !document.querySelector('.rv-theatre-video').paused")
    reviewer.get_by_role("button", name="Close player").click()
    owner.wait_for_function(  # the link's "last opened" reaches the owner's list
        "() => !document.querySelector('#sb-review-links tbody tr td:nth-child(4)')"
        ".innerText.includes('never')",
        timeout=int(LIVE_WITHIN * 1000),
    )
    second = card(reviewer, 2)
    pause_at(reviewer, 2, 2.3)
    reviewer.wait_for_function(
        "() => document.querySelectorAll('.rv-note-input')[1].placeholder.startsWith('Add a note at 0:02')"
    )
    second.get_by_placeholder("Add a note").fill(NOTE)
    second.get_by_role("button", name="Add note").click()
    second.locator(".rv-note").first.wait_for()
    card(reviewer, 1).get_by_role("button", name="Approve").click()
    reviewer.wait_for_function(
        "() => document.querySelector('.rv-summary-text').textContent.startsWith('1 of')"
    )
    second.get_by_role("button", name="Request changes").click()
    second.locator(".rv-pill.is-changes_requested").wait_for()
    done = time.monotonic()

    # The owner's tab shows all three within 5 s: tiles, bar, and the note in shot 2's editor.
    wait_until(lambda: verdicts(owner) == ["v1 · 1 approved", "v1 · 1 changes · 1 note"], timeout=LIVE_WITHIN)
    select_shot(owner, 2)
    note = owner.locator("#sb-review-notes .sb-note").first
    note.wait_for(timeout=int(LIVE_WITHIN * 1000))
    assert time.monotonic() - done < LIVE_WITHIN + 1.0  # plus the click on the tile
    assert note.locator(".sb-note-time").inner_text() == "0:02"
    assert note.locator(".sb-note-text").inner_text() == NOTE
    assert note.locator(".sb-note-who").inner_text() == "Ana"
    bar = owner.locator("#sb-review-bar .sb-review-bar")
    assert bar.locator(".sb-review-summary").inner_text() == "1 of 2 shots approved"
    assert bar.locator(".sb-review-new").get_attribute("data-new") == "1"
    chips = owner.locator("#sb-review-notes .sb-review-chip").all_inner_texts()
    assert chips == ["v1 on the board", "Ana: Changes requested"]

    # The note's time seeks the take's player there.
    note.locator(".sb-note-time").click()
    owner.wait_for_function(
        "() => Math.abs(document.querySelector('#sb-review-notes video.sb-review-video')"
        ".currentTime - 2.3) < 0.05"
    )
    owner.mouse.move(0, 0)
    owner.evaluate("() => window.scrollTo(0, 0)")
    owner.screenshot(path=str(screenshot_dir / "review-owner-1440.png"), full_page=True)

    # "Mark read" clears the count; Resolve marks the note resolved.
    bar.get_by_role("button", name="Mark read").click()
    owner.wait_for_selector("#sb-review-bar .sb-review-new[data-new='0']")
    note.get_by_role("button", name="Resolve").click()
    owner.wait_for_selector("#sb-review-notes .sb-note.is-resolved")

    # The owner generates another take of shot 2 and picks it: v2, needs review, on both sides.
    owner.click("#sb-shot-generate")
    confirm(owner)
    owner.wait_for_selector("#sb-takes .sb-take[data-number='2'][data-status='completed']", timeout=60_000)
    owner.click("#sb-takes .sb-take[data-number='2'] .sb-take-pick")
    wait_until(lambda: verdicts(owner)[1] == "v2 — needs review", timeout=LIVE_WITHIN)
    assert verdicts(owner)[0] == "v1 · 1 approved"
    assert owner.locator("#sb-review-notes").get_attribute("class") is not None
    assert "on earlier versions" in owner.locator("#sb-review-notes .sb-review-older").inner_text()
    picked = time.monotonic()
    second.get_by_role("button", name=V2).wait_for(timeout=int(LIVE_WITHIN * 1000))
    assert time.monotonic() - picked < LIVE_WITHIN
    assert second.get_by_role("button", name=V2).get_attribute("aria-pressed") == "true"
    assert second.locator(".rv-pill").inner_text() == "Needs review"
    assert second.get_by_role("button", name="Request changes").get_attribute("aria-pressed") == "false"
    assert second.locator(".rv-note").count() == 0
    second.get_by_role("button", name=V1).click()
    assert second.locator(".rv-note-text", has_text=NOTE).count() == 1

    # Revoke: the reviewer's open page loses the videos within 5 s.
    owner.locator("#sb-revoke-pick input").click()
    owner.get_by_role("option").first.click()
    owner.get_by_role("button", name="Revoke").click()
    revoked = time.monotonic()
    reviewer.wait_for_selector("body[data-review='closed']", timeout=int(LIVE_WITHIN * 1000))
    assert time.monotonic() - revoked < LIVE_WITHIN
    assert reviewer.locator("video").count() == 0
    assert reviewer.locator(".rv-closed-msg").inner_text() == LinkClosed.MESSAGE
    owner.wait_for_selector("#sb-review-links tr[data-state='revoked']")
    assert owner.locator("#sb-review-link").is_hidden()


def test_the_review_panel_at_390_px(owner: Any, screenshot_dir: Path) -> None:
    owner.set_viewport_size(NARROW)
    try:
        url = share(owner, prompts=False)
        assert REVIEW_PATH + "#" in url
        owner.wait_for_selector("#sb-review-links tr[data-state='open']")
        # Nothing of the review sticks out of the tab at a phone's width.
        wide = owner.evaluate(OVERFLOWING, ["#sb-review", "#sb-review-bar", "#sb-review-notes", "#sb-tiles"])
        assert wide == [], wide
        assert owner.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        tab = owner.locator("#sd-tab-storyboard").bounding_box()
        for selector in ("#sb-share", "#sb-revoke", "#sb-review-csv", "#sb-review-edl", "#sb-review-link"):
            box = owner.locator(selector).bounding_box()
            assert tab["x"] <= box["x"] and box["x"] + box["width"] <= tab["x"] + tab["width"] + 1, selector
            assert box["width"] >= 44 and box["height"] >= 24, selector  # a thumb can press it
        owner.locator("#sb-review").scroll_into_view_if_needed()
        owner.wait_for_function(SETTLED)
        owner.screenshot(path=str(screenshot_dir / "review-owner-390.png"), full_page=True)
    finally:
        owner.set_viewport_size(WIDE)


def test_notes_csv_and_edl_download_from_the_review_panel_and_join_the_review_zip(
    owner: Any, tmp_path: Path
) -> None:
    owner.click("#sb-review-csv")
    owner.wait_for_selector("#sb-review-files td.filename[aria-label$='review-notes.csv']")
    owner.click("#sb-review-edl")
    owner.wait_for_selector("#sb-review-files td.filename[aria-label$='review-timeline.edl']")
    assert owner.inner_text("#sb-review-note").startswith("Ready:")
    cells = owner.locator("#sb-review-files td.filename")
    names = cells.evaluate_all("(cells) => cells.map((c) => c.ariaLabel)")
    found = sorted("-".join(n.rsplit("-", 2)[-2:]) for n in names)
    assert found == ["review-notes.csv", "review-timeline.edl"]

    owner.click("#sb-export-zip")
    with zipfile.ZipFile(download(owner, "review.zip", tmp_path)) as zf:
        names = set(zf.namelist())
        notes = zf.read("review-notes.csv").decode("utf-8")
    assert {"review-notes.csv", "review-timeline.edl", "manifest.json"} <= names
    assert NOTE in notes and "0:02" in notes


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_the_storyboard_tab_with_the_review_panel_has_no_wcag2_violation(
    owner: Any, viewport: dict[str, int]
) -> None:
    from test_ui_a11y import AXE_JS

    if not AXE_JS.exists():
        pytest.skip(f"{AXE_JS} is missing: run `npm ci --prefix tests/a11y`")
    owner.set_viewport_size(viewport)
    try:
        select_shot(owner, 2)
        owner.wait_for_selector("#sb-review-notes .sb-review-notes")
        owner.locator("#sb-review").scroll_into_view_if_needed()
        owner.mouse.move(0, 0)
        found = violations(owner, AXE_JS.read_text(encoding="utf-8"))
    finally:
        owner.set_viewport_size(WIDE)
    assert not found, f"{len(found)} WCAG 2 A/AA violation(s) on the Storyboard tab:\n{report(found)}"
