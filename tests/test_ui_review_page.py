"""The reviewer's page of a shared board (/review/#<token>), as someone with the link meets it.

One studio in demo mode for the module (the real app: create_app + launch_kwargs), a board of three
shots generated through BoardSession against that app's runtime and shared with `runtime.reviews`, and
real headless Chromium: each reviewer is a fresh browser context with no cookie. Screenshots go to
screenshots/review-*.png. axe-core checks the page as the studio's own pages are checked.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import SIM_SPEED, LiveApp, RecordingProxy, _close, _launch
from test_ui_a11y import AXE_JS, WCAG_TAGS, report

from seedance_ui.options import MODEL_FAST
from seedance_ui.review import LinkClosed, ReviewStatus
from seedance_ui.security.edge import MAX_REVIEW_REQUEST_BYTES
from seedance_ui.store import JobStatus
from seedance_ui.storyboard import Board
from seedance_ui.storyboard.page import Shown
from seedance_ui.storyboard.session import BoardSession, Sent
from seedance_ui.ui.review.routes import review_url

pytestmark = [pytest.mark.browser]

OWNER = "c" * 32
SECRET_PROMPT = "a lighthouse keeper whispers the launch code"
WIDE = {"width": 1440, "height": 1000}
NARROW = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000
CLOSE_WITHIN = 5.0  # seconds: a revoked link empties an open page within this
BIG_BOARD = 24  # shots: the "usable under 2 s" board
SUMMARY = "document.querySelector('.rv-summary-text').textContent"
V1, V2 = re.compile(r"^v1\b"), re.compile(r"^v2\b")  # version buttons: "v2 current", "v1"


@dataclass
class Shared:
    app: LiveApp
    board: Board
    token: str  # prompts shown
    hidden_token: str  # prompts hidden
    session: BoardSession

    def url(self, token: str | None = None) -> str:
        return review_url(self.app.url, self.token if token is None else token)

    def share(self, **kwargs: Any) -> tuple[str, Any]:
        return self.app.runtime.reviews.share(OWNER, self.board.id, **kwargs)


def _generate(session: BoardSession, manager: Any, board: Board, scope: str = "all",
              shot_id: str | None = None) -> Board:
    shown = Shown.of(OWNER, board.id, shot_id)
    plan = session.plan(shown, scope)  # type: ignore[arg-type]
    assert plan.problems == [], plan.problems
    sent = session.generate(shown, plan.token("test"))
    assert isinstance(sent, Sent) and sent.takes
    for take in sent.takes:
        assert manager.wait(take.job_id, timeout=60).status == JobStatus.COMPLETED
    fresh = session.refreshed(Shown.of(OWNER, board.id, None))
    assert fresh is not None
    return fresh


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, simulator: Any) -> Iterator[Shared]:
    """The studio in demo mode with one board of three finished shots, shared twice."""
    from seedance_ui.config import Settings

    proxy = RecordingProxy(simulator.base_url).start()
    settings = Settings(api_key="", base_url=proxy.url, data_dir=tmp_path_factory.mktemp("review-page"),
                        poll_interval=0.1, simulator_speed=SIM_SPEED, request_timeout=10.0,
                        max_jobs_per_owner=BIG_BOARD, max_jobs_in_flight=12)
    app = _launch(settings, proxy, simulator)
    session = BoardSession(app.runtime.data_dir, app.runtime.manager, app.runtime.store)
    try:
        board = Board(owner=OWNER, title="Lighthouse <b>night</b>", model=MODEL_FAST, quality="480p",
                      generate_audio=False, style="charcoal, high contrast")
        for title, prompt in (("Lift-off", SECRET_PROMPT), ("The beam", "a beam sweeps the bay"),
                              ("Dawn", "the lamp goes dark at dawn")):
            board.add_shot(title=title, prompt=prompt, duration=4)
        board = _generate(session, app.runtime.manager, session.boards.save(board))
        token, _ = app.runtime.reviews.share(OWNER, board.id)
        hidden, _ = app.runtime.reviews.share(OWNER, board.id, show_prompts=False)
        yield Shared(app, board, token, hidden, session)
    finally:
        session.close()
        _close(app)
        proxy.stop()


@pytest.fixture()
def reviewer(browser: Any) -> Iterator[Any]:
    """Makes fresh browser contexts (no cookie): `reviewer(viewport, **context options)` -> page."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] = WIDE, **options: Any) -> Any:
        contexts.append(browser.new_context(viewport=viewport, **options))
        page = contexts[-1].new_page()
        page.set_default_timeout(TIMEOUT_MS)
        return page

    yield make
    for context in contexts:
        context.close()


def open_board(page: Any, url: str, name: str | None = "Ana") -> float:
    """Open the link and (with `name`) answer the name dialog; seconds until the shots showed."""
    started = time.monotonic()
    page.goto(url, wait_until="commit")  # usable: the shots are there to play (posters may still load)
    page.wait_for_selector(".rv-card video[src]", state="attached")
    usable = time.monotonic() - started
    if name is not None:
        page.get_by_label("Your name").fill(name)
        page.get_by_role("button", name="Continue").click()
        page.wait_for_selector("#rv-name-dialog", state="hidden")
    return usable


def card(page: Any, number: int) -> Any:
    return page.locator(".rv-card").nth(number - 1)


def pause_at(page: Any, number: int, seconds: float) -> None:
    """Play shot `number` in its card, then pause it at `seconds` (as a reviewer scrubbing would)."""
    page.evaluate(
        """async ([index, at]) => {
            const video = document.querySelectorAll('.rv-card')[index].querySelector('video.rv-video');
            video.muted = true;
            await video.play();
            video.pause();
            video.currentTime = at;
        }""",
        [number - 1, seconds],
    )


def texts(page: Any, selector: str) -> list[str]:
    return [" ".join(t.split()) for t in page.locator(selector).all_text_contents()]


# --- the reviewer's flow ----------------------------------------------------------------------------


def test_a_reviewer_plays_all_pins_a_note_approves_and_requests_changes(
    shared: Shared, reviewer: Any, screenshot_dir: Path
) -> None:
    page = reviewer()
    open_board(page, shared.url())  # how fast: `make bench`, section review
    assert page.locator(".rv-title").inner_text() == "Lighthouse <b>night</b>"  # HTML in a title is text
    assert "charcoal, high contrast" in page.locator(".rv-style").inner_text()
    assert page.locator(".rv-summary-text").inner_text() == "0 of 3 shots approved"
    assert texts(page, ".rv-card-title") == ["Shot 1: Lift-off", "Shot 2: The beam", "Shot 3: Dawn"]
    assert SECRET_PROMPT in page.locator(".rv-card").first.inner_text()  # this link shows prompts

    # Play all: shot 1 starts at once, then the player moves on to shot 2 by itself.
    view = shared.app.runtime.reviews.view(shared.app.runtime.reviews.open(shared.token))
    jobs = [s.take_job_id for s in view.shots]
    page.get_by_role("button", name="Play all").click()
    theatre = "document.querySelector('.rv-theatre-video')"
    page.wait_for_function(f"() => {theatre}.dataset.startMs !== undefined")
    assert jobs[0] in page.evaluate(f"() => {theatre}.currentSrc")
    page.wait_for_function(f"(job) => {theatre}.currentSrc.includes(job) && !{theatre}.paused", arg=jobs[1],
                           timeout=15_000)
    page.get_by_role("button", name="Close player").click()

    # Pause shot 2 at 0:02 and pin a note there.
    second = card(page, 2)
    pause_at(page, 2, 2.3)
    box = second.get_by_placeholder("Add a note")
    page.wait_for_function(
        "() => document.querySelectorAll('.rv-note-input')[1].placeholder.startsWith('Add a note at 0:02')"
    )
    box.fill("The beam is too dim here.")
    second.get_by_role("button", name="Add note").click()
    note = second.locator(".rv-note").first
    note.wait_for()
    assert note.locator(".rv-time").inner_text() == "0:02"
    assert note.locator(".rv-note-text").inner_text() == "The beam is too dim here."
    assert second.locator(".rv-marker").count() == 1
    assert box.input_value() == ""

    # Statuses.
    card(page, 1).get_by_role("button", name="Approve").click()
    page.wait_for_function(f"() => {SUMMARY} === '1 of 3 shots approved'")
    second.get_by_role("button", name="Request changes").click()
    second.locator(".rv-pill.is-changes_requested").wait_for()
    assert "Ana" in card(page, 1).locator(".rv-chip.is-approved").inner_text()
    assert "Changes requested" in second.locator(".rv-chip").inner_text()
    page.mouse.move(0, 0)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / "review-board-1440.png"), full_page=True)

    # The owner's side has it all (the backend is the one truth) ...
    summary = shared.app.runtime.reviews.owner_summary(OWNER, shared.board.id)
    shots = summary.view.shots
    assert dict(shots[0].statuses) == {"Ana": ReviewStatus.APPROVED}
    assert dict(shots[1].statuses) == {"Ana": ReviewStatus.CHANGES_REQUESTED}
    notes = [(n.timecode, n.text, n.reviewer) for n in shots[1].notes]
    assert notes == [("0:02", "The beam is too dim here.", "Ana")]

    # ... and a reload shows the same, with the name kept (no dialog).
    page.reload()
    page.wait_for_selector(".rv-card .rv-note")
    assert page.locator("#rv-name-dialog[open]").count() == 0
    assert "Ana" in page.locator("#rv-me").inner_text()
    assert page.locator(".rv-summary-text").inner_text() == "1 of 3 shots approved"
    assert card(page, 2).locator(".rv-note .rv-time").inner_text() == "0:02"
    assert card(page, 1).get_by_role("button", name="Approve").get_attribute("aria-pressed") == "true"
    assert card(page, 2).get_by_role("button", name="Request changes").get_attribute("aria-pressed") == "true"

    # Clicking the note's marker seeks the player there.
    card(page, 2).locator(".rv-marker").click()
    page.wait_for_function(
        "() => Math.abs(document.querySelectorAll('video.rv-video')[1].currentTime - 2.3) < 0.05"
    )


def test_the_page_at_390_px_stacks_without_horizontal_scroll(
    shared: Shared, reviewer: Any, screenshot_dir: Path
) -> None:
    page = reviewer(NARROW)
    open_board(page, shared.url(), name="Bo Reviewer-with-a-rather-long-name")
    page.wait_for_function("() => document.querySelector('.rv-summary-text').textContent !== ''")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    boxes = [card(page, n).bounding_box() for n in (1, 2)]
    assert boxes[1]["y"] > boxes[0]["y"] + boxes[0]["height"] - 1  # cards stack
    for name in ("Approve", "Request changes", "Add note"):
        button = card(page, 1).get_by_role("button", name=name).bounding_box()
        assert button["x"] >= 0 and button["x"] + button["width"] <= NARROW["width"], name
    page.get_by_role("button", name="Play all").click()
    page.wait_for_function("() => !document.querySelector('.rv-theatre-video').paused")
    page.get_by_role("button", name="Close player").click()
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / "review-board-390.png"), full_page=True)


# --- what a link shows and hides --------------------------------------------------------------------


def test_notes_with_html_show_as_text(shared: Shared, reviewer: Any) -> None:
    page = reviewer()
    open_board(page, shared.url(), name="<i>Eve</i>")
    payload = '<img src=x onerror="window.__pwned=1"><b>bold</b> & <script>window.__pwned=2</script>'
    box = card(page, 3).get_by_placeholder("Add a note")
    box.fill(payload)
    card(page, 3).get_by_role("button", name="Add note").click()
    note = card(page, 3).locator(".rv-note").first
    note.wait_for()
    assert note.locator(".rv-note-text").inner_text() == payload
    assert note.locator(".rv-note-who").inner_text() == "<i>Eve</i>"
    assert note.locator("img, b, script, i").count() == 0
    assert page.evaluate("() => window.__pwned") is None


def test_a_1_mb_note_is_refused_with_a_clear_message(shared: Shared, reviewer: Any) -> None:
    page = reviewer()
    open_board(page, shared.url())
    box = card(page, 1).get_by_placeholder("Add a note")
    box.fill("x" * 1_000_000)
    card(page, 1).get_by_role("button", name="Add note").click()
    message = card(page, 1).locator(".rv-note-form .rv-form-msg")
    message.wait_for()
    assert message.inner_text().startswith("Too long: a note holds at most 2,000 characters")
    assert card(page, 1).locator(".rv-note").count() == 0

    # Past the page: the edge refuses the body before it is read, and the service refuses a long note.
    base = shared.app.url.rstrip("/")
    with httpx.Client(base_url=base, timeout=30) as http:
        opened = http.post("/review/api/open", headers={"X-Review-Token": shared.token}, json={})
        ticket = opened.json()["ticket"]
        shot = shared.board.shots[0]
        note = {"shot_id": shot.id, "take_job_id": shot.chosen.job_id, "seconds": 1, "reviewer": "Ana"}
        huge = http.post("/review/api/note", headers={"X-Review-Ticket": ticket},
                         json={**note, "text": "x" * 1_000_000})
        assert huge.status_code == 413 and "16 KiB" in huge.json()["error"]
        assert MAX_REVIEW_REQUEST_BYTES == 16 * 1024
        long = http.post("/review/api/note", headers={"X-Review-Ticket": ticket},
                         json={**note, "text": "y" * 3000})
        assert long.status_code == 422 and long.json()["error"].startswith("Note: at most 2,000 characters")


def test_hidden_prompts_are_in_no_page_and_no_json_answer(shared: Shared, reviewer: Any) -> None:
    page = reviewer()
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r) if "/review/api/" in r.url else None)
    open_board(page, shared.url(shared.hidden_token))
    card(page, 1).get_by_role("button", name="Approve").click()
    page.wait_for_function(f"() => {SUMMARY}.startsWith('1 of')")
    page.wait_for_event("response", lambda r: "/review/api/poll" in r.url)
    answers = [r.text() for r in responses]
    assert len(answers) >= 3  # open, the status, at least one poll
    prompts = [s.prompt for s in shared.board.shots]
    html = page.content()
    for prompt in prompts:
        assert prompt not in html
        assert all(prompt not in text for text in answers)
    assert all('"prompt"' not in text for text in answers)
    assert page.locator(".rv-prompt:visible").count() == 0
    with httpx.Client(base_url=shared.app.url.rstrip("/"), timeout=30) as http:
        opened = http.post("/review/api/open", headers={"X-Review-Token": shared.hidden_token}, json={})
        polled = http.get("/review/api/poll", headers={"X-Review-Ticket": opened.json()["ticket"]})
    for answer in (opened, polled):
        assert answer.status_code == 200 and "prompt" not in keys(answer.json())
        assert all(prompt not in json.dumps(answer.json()) for prompt in prompts)


def keys(found: Any) -> set[str]:
    """Every key of every object in a JSON value."""
    if isinstance(found, dict):
        return set(found) | {k for value in found.values() for k in keys(value)}
    if isinstance(found, list):
        return {k for value in found for k in keys(value)}
    return set()


def test_wrong_and_revoked_tokens_show_the_same_message(shared: Shared, reviewer: Any) -> None:
    token, link = shared.share()
    assert shared.app.runtime.reviews.revoke(OWNER, link.id)
    messages = []
    for bad in ("not-a-real-token-" + "x" * 30, token, ""):
        page = reviewer()
        page.goto(shared.url(bad))
        page.wait_for_selector("body[data-review='closed']")
        messages.append((page.locator("#rv-panel-title").inner_text(),
                         page.locator(".rv-closed-msg").inner_text()))
        assert page.locator("video").count() == 0
    assert messages[0][1] == LinkClosed.MESSAGE
    assert len(set(messages)) == 1, messages


def test_revoking_empties_an_open_page_and_its_media_urls_stop(shared: Shared, reviewer: Any) -> None:
    token, link = shared.share()
    page = reviewer()
    open_board(page, shared.url(token))
    media = page.evaluate("() => document.querySelector('video.rv-video').src")
    poster = page.evaluate("() => document.querySelector('video.rv-video').poster")
    with httpx.Client(timeout=30) as http:
        ranged = http.get(media, headers={"Range": "bytes=0-99"})
        assert ranged.status_code == 206 and len(ranged.content) == 100
        assert ranged.headers["content-range"].startswith("bytes 0-99/")
        assert ranged.headers["cache-control"] == "no-store"
        assert http.get(poster).headers["content-type"].startswith("image/")

        assert shared.app.runtime.reviews.revoke(OWNER, link.id)
        revoked = time.monotonic()
        page.wait_for_selector("body[data-review='closed']", timeout=int(CLOSE_WITHIN * 1000))
        assert time.monotonic() - revoked < CLOSE_WITHIN
        assert page.locator("video").count() == 0
        assert page.locator(".rv-closed-msg").inner_text() == LinkClosed.MESSAGE
        assert http.get(media).status_code in (403, 404)
        assert http.get(poster).status_code in (403, 404)


def test_the_page_runs_under_a_strict_policy_and_carries_no_token(shared: Shared) -> None:
    with httpx.Client(base_url=shared.app.url.rstrip("/"), timeout=30) as http:
        page = http.get("/review/")
        assert page.status_code == 200 and "<script src=\"/review/assets/review.js" in page.text
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-" not in policy
        assert page.headers["cache-control"] == "no-store"
        assert shared.token not in page.text
        assert http.get("/review", follow_redirects=False).headers["location"] == "/review/"
        assert http.get("/review/assets/../server.py").status_code == 404
        closed = http.get("/review/api/poll", headers={"X-Review-Ticket": "nope"})
        assert closed.status_code == 404 and closed.json() == {"error": LinkClosed.MESSAGE, "kind": "closed"}


def test_a_new_take_shows_as_v2_and_v1_with_its_note_is_one_click_away(
    shared: Shared, reviewer: Any, screenshot_dir: Path
) -> None:
    page = reviewer()
    open_board(page, shared.url(), name="Cy")
    third = card(page, 3)
    pause_at(page, 3, 1.2)
    third.get_by_placeholder("Add a note at 0:01").fill("Too dark for dawn.")
    third.get_by_role("button", name="Add note").click()
    third.locator(".rv-note").first.wait_for()
    third.get_by_role("button", name="Approve").click()
    third.locator(".rv-pill.is-approved").wait_for()

    # The owner generates another take of shot 3 and picks it; the open page shows it as v2.
    shot = shared.board.shots[2]
    fresh = _generate(shared.session, shared.app.runtime.manager, shared.board, "shot", shot.id)
    new_take = fresh.shots[2].takes[-1]
    shared.session.pick_take(Shown.of(OWNER, shared.board.id, shot.id), shot.id, new_take.id)
    picked = time.monotonic()
    third.get_by_role("button", name=V2).wait_for(timeout=int(CLOSE_WITHIN * 1000))
    assert time.monotonic() - picked < CLOSE_WITHIN
    assert third.get_by_role("button", name=V2).get_attribute("aria-pressed") == "true"
    assert new_take.job_id in third.locator("video.rv-video").get_attribute("src")
    assert third.locator(".rv-pill").inner_text() == "Needs review"
    assert third.locator(".rv-note").count() == 0
    assert third.get_by_role("button", name="Approve").get_attribute("aria-pressed") == "false"

    # v1 and its note, one click away; statuses go on the current version only.
    third.get_by_role("button", name=V1).click()
    assert third.locator(".rv-note-text", has_text="Too dark for dawn.").count() == 1
    assert third.get_by_role("button", name="Approve").is_disabled()
    third.get_by_role("button", name="Compare v1 | v2").click()
    third.locator(".rv-compare video").nth(1).wait_for()
    srcs = third.locator(".rv-compare video").evaluate_all("(videos) => videos.map((v) => v.src)")
    assert shot.chosen.job_id in srcs[0] and new_take.job_id in srcs[1]
    third.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    page.screenshot(path=str(screenshot_dir / "review-versions-1440.png"), full_page=True)


def test_a_24_shot_board_is_usable_in_under_2_s_and_a_missing_shot_says_so(
    shared: Shared, reviewer: Any, screenshot_dir: Path
) -> None:
    board = Board(owner=OWNER, title="Twenty-four", model=MODEL_FAST, quality="480p", generate_audio=False,
                  style="ink wash")
    for number in range(1, BIG_BOARD):
        board.add_shot(title=f"Beat {number}", prompt=f"beat {number} of the chase", duration=4)
    board = _generate(shared.session, shared.app.runtime.manager, shared.session.boards.save(board))
    board.add_shot(title="Not shot yet", prompt="the last beat", duration=4)
    board = shared.session.boards.save(board)
    token, _ = shared.app.runtime.reviews.share(OWNER, board.id)

    page = reviewer()
    open_board(page, shared.url(token), name=None)
    assert page.locator(".rv-card").count() == BIG_BOARD
    last = card(page, BIG_BOARD)
    assert last.locator(".rv-state").inner_text() == "Missing: no video yet"
    assert last.locator(".rv-novideo").is_visible()
    assert last.get_by_role("button", name="Approve").is_disabled()
    assert page.locator(".rv-summary-text").inner_text() == f"0 of {BIG_BOARD} shots approved"
    page.get_by_label("Your name").fill("Di")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Play all").click()
    theatre = "document.querySelector('.rv-theatre-video')"
    page.wait_for_function(f"() => {theatre}.dataset.startMs !== undefined")
    assert int(page.evaluate(f"() => {theatre}.dataset.startMs")) >= 0  # it started (timed in the bench)
    page.get_by_role("button", name="Close player").click()
    last.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "review-missing-1440.png"))


# --- accessibility -----------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_the_review_page_has_no_wcag2_a_or_aa_violation(
    shared: Shared, reviewer: Any, viewport: dict[str, int]
) -> None:
    if not AXE_JS.exists():
        pytest.skip(f"{AXE_JS} is missing: run `npm ci --prefix tests/a11y`")
    # axe is injected as an inline script: let this context bypass the page's strict policy.
    page = reviewer(viewport, bypass_csp=True)
    open_board(page, shared.url(), name="Axe")
    found = run_axe(page)
    second = card(page, 2)
    second.get_by_placeholder("Add a note").fill("Checked by axe")
    second.get_by_role("button", name="Add note").click()
    second.locator(".rv-note").first.wait_for()
    second.locator(".rv-reply-btn").first.click()
    page.get_by_role("button", name="Play all").click()
    page.wait_for_function("() => !document.querySelector('.rv-theatre-video').paused")
    found += run_axe(page)
    assert not found, f"{len(found)} WCAG 2 A/AA violation(s) on the review page:\n{report(found)}"


def run_axe(page: Any) -> list[dict[str, Any]]:
    page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    return page.evaluate(
        """async (tags) => {
            const options = {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']};
            const result = await axe.run(document, options);
            return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary}))}));
        }""",
        WCAG_TAGS,
    )
