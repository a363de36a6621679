"""The model's help in a real Chromium, against the studio in demo mode (its simulator answers the chat
endpoint with a labelled rewrite; one app for the module): Enhance shows a word diff, one change is
rejected and the rest accepted and the prompt is exactly that text; a model failure leaves the prompt as
it was and says so at the buttons; a restored version is the one the next take records; a 5-paragraph
script becomes shots added to a new board and generated; axe finds nothing with the panels open; and
the diff view's screenshots at 1440 and 390 px (saved to SEEDANCE_TEST_SHOTS, default /tmp/team/shots).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_process import all_jobs
from conftest import LiveApp, launched_demo_app, wait_until
from page_helpers import NARROW, TIMEOUT_MS, WIDE, wait_loaded
from test_ui_a11y import AXE_JS, GRADIO_TOASTS, report, violations
from test_ui_storyboard import wait_states

from seedance_ui.llm.diff import apply, word_diff
from seedance_ui.llm.events import Caller, Done

pytestmark = [pytest.mark.browser]

PROMPT = 'A keeper climbs the lighthouse stairs at dusk. She says: "Almost there."'
FAULT = "[sim:chat=refusal]"
SHOTS = Path(os.environ.get("SEEDANCE_TEST_SHOTS", "/tmp/team/shots"))
SCRIPT = "\n\n".join(
    [
        "Night falls on the island. The lighthouse stands against a bruised sky, waves breaking below.",
        "Mara, the keeper, climbs the spiral stairs with an oil lamp, her breath short.",
        "At the top she wipes the great lens clean and strikes a match.",
        "The beam sweeps out over the black water and finds a small boat fighting the swell.",
        "On the boat a boy looks up at the light and laughs with relief.",
    ]
)


@pytest.fixture(scope="module")
def assist_app(tmp_path_factory: pytest.TempPathFactory, simulator: Any) -> Iterator[LiveApp]:
    """The studio in demo mode: its own simulator answers both the video and the chat endpoints."""
    with launched_demo_app(tmp_path_factory, simulator, "assist-data") as app:
        yield app


@pytest.fixture()
def page(browser: Any, assist_app: LiveApp) -> Iterator[Any]:
    context = browser.new_context(viewport=WIDE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(assist_app.url)
    wait_loaded(page)
    yield page
    context.close()


def suggestion_for(app: LiveApp, prompt: str) -> str:
    """The demo rewrite the page is shown (the simulator's answer is deterministic)."""
    events = list(app.runtime.craft.enhance(Caller("test-suggestion", "test", None), prompt))
    done = [e for e in events if isinstance(e, Done)]
    assert done, events
    return done[-1].text


def toasts(page: Any) -> str:
    return "\n".join(page.locator(".toast-body").all_inner_texts())


def enhance(page: Any, prompt: str, prefix: str = "sd") -> None:
    page.fill(f"#{prefix}-prompt textarea" if prefix == "sd" else "#sb-shot-prompt textarea", prompt)
    page.click(f"#{prefix}-enhance")
    page.wait_for_selector(f"#{prefix}-assist-review .sd-assist-diff")


def test_enhance_shows_a_diff_and_takes_only_the_accepted_changes(page: Any, assist_app: LiveApp) -> None:
    suggestion = suggestion_for(assist_app, PROMPT)
    changes = word_diff(PROMPT, suggestion)
    assert len(changes) >= 2, changes
    enhance(page, PROMPT)
    marks = page.locator("#sd-assist-diff .sd-change")
    assert marks.count() == len(changes)
    assert page.input_value("#sd-prompt textarea") == PROMPT  # nothing taken yet

    rejected = changes[0]
    page.locator("#sd-assist-picks label").nth(0).click()  # untick change 1
    page.wait_for_selector(f'#sd-assist-diff .sd-change.is-off[data-change="{rejected.id}"]')
    page.click("#sd-accept-selected")
    expected = apply(PROMPT, changes, [c.id for c in changes if c.id != rejected.id])
    wait_until(lambda: page.input_value("#sd-prompt textarea") == expected)
    page.wait_for_selector("#sd-assist-review", state="hidden")
    assert page.input_value("#sd-prompt textarea") == expected

    enhance(page, PROMPT)  # Discard leaves the prompt as it is
    page.click("#sd-discard")
    page.wait_for_selector("#sd-assist-review", state="hidden")
    assert page.input_value("#sd-prompt textarea") == PROMPT


def test_a_model_failure_leaves_the_prompt_and_says_one_line(page: Any) -> None:
    prompt = f"A keeper at dusk {FAULT}"
    page.fill("#sd-prompt textarea", prompt)
    page.click("#sd-enhance")
    page.wait_for_selector("#sd-assist-line .sd-assist-line.is-error")
    line = page.inner_text("#sd-assist-line")
    assert line.strip() and "\n" not in line.strip()
    wait_until(lambda: line.strip() in toasts(page))
    assert page.input_value("#sd-prompt textarea") == prompt
    assert not page.locator("#sd-assist-review").is_visible()


def test_a_restored_version_is_the_one_the_next_take_records(page: Any, assist_app: LiveApp) -> None:
    original = "A boy on a small boat looks up at the lighthouse beam, wide shot."
    enhance(page, original)
    page.click("#sd-accept-all")
    wait_until(lambda: page.input_value("#sd-prompt textarea") != original)

    page.click("#sd-versions button.label-wrap, #sd-versions > button")
    page.click("#sd-versions-pick input")
    page.locator('[role="option"]', has_text="Typed").first.click()
    page.wait_for_selector("#sd-versions-diff .sd-assist-diff")
    page.click("#sd-versions-restore")
    wait_until(lambda: page.input_value("#sd-prompt textarea") == original)

    before = {j.id for j in all_jobs(assist_app.data_dir)}
    page.click("#sd-generate")
    made = wait_until(lambda: [j for j in all_jobs(assist_app.data_dir) if j.id not in before])
    (job,) = made
    versions = assist_app.runtime.prompt_versions.list(job.owner, "studio")
    assert versions[0].source == "restored" and versions[0].text == original
    assert job.prompt_version == versions[0].id
    # The versions list says which version made the take.
    page.click("#sd-versions-pick input")
    wait_until(lambda: page.locator('[role="option"]', has_text="Restored").count() == 1)
    # Focusing the list relists it (takes made since): the option says so once that answer is in.
    wait_until(lambda: "made 1 take" in page.locator('[role="option"]', has_text="Restored").inner_text())


def test_a_script_becomes_shots_on_a_board_and_they_are_generated(page: Any, assist_app: LiveApp) -> None:
    before = {j.id for j in all_jobs(assist_app.data_dir)}
    page.click("#sd-tab-storyboard-button")
    page.wait_for_selector("#sb-tiles .sb-tile[data-shot]")
    page.click("#sb-new")
    wait_until(lambda: page.locator("#sb-tiles .sb-tile[data-shot]").count() == 1)
    page.click("#sb-script-panel button.label-wrap, #sb-script-panel > button")
    page.fill("#sb-script textarea", SCRIPT)
    page.click("#sb-plan-shots")
    page.wait_for_selector("#sb-planned-table", state="visible")
    wait_until(lambda: "5 shots planned" in page.inner_text("#sb-script-line"))
    # The writer edits the table: shot 2 continues shot 1 (a chained take, sent once shot 1's is done).
    cell = page.locator('#sb-planned-table [data-testid="cell-1-3"]')
    cell.dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type("yes")
    page.keyboard.press("Enter")
    wait_until(lambda: cell.locator("span.text").inner_text().strip() == "yes")
    page.click("#sb-add-planned")
    wait_until(lambda: page.locator("#sb-tiles .sb-tile[data-shot]").count() == 5)
    assert "Added 5 shots" in page.inner_text("#sb-notice")
    page.wait_for_selector("#sb-tiles .sb-tile[data-number='2'] :text('from the end of shot 1')")

    page.click("#sb-generate-all")
    page.wait_for_selector("#sb-confirm-card .sb-confirm-card")
    page.click("#sb-confirm-go")
    wait_states(page, ["done"] * 5, timeout=90)
    # Each take records its shot's prompt version: the one Add to board kept ("imported").
    made = [j for j in all_jobs(assist_app.data_dir) if j.id not in before]
    assert len(made) == 5
    for job in made:
        version = assist_app.runtime.prompt_versions.get(job.owner, job.prompt_version or "")
        assert version is not None and version.source == "imported" and version.text in job.params["prompt"]


NEW_CAST_SCRIPT = "\n\n".join(
    [
        "@[Ana] rows a small boat toward the lighthouse at dusk, the oars dripping.",
        "The beam sweeps across the black water and the swell rises.",
    ]
)
NO_PICTURE = "Cast “Ana” has no picture yet: add one in Cast and looks"


def test_a_script_names_new_cast_that_waits_for_a_picture_before_generate(
    page: Any, assist_app: LiveApp, tmp_path: Path
) -> None:
    """An unknown name in a script is added as new cast without a picture: it shows as needing one,
    Generate refuses its shot naming it (nothing sent), and once given a picture the board generates;
    each take then says which prompt version made it."""
    from media_files import quadrant_image

    page.click("#sd-tab-storyboard-button")
    page.wait_for_selector("#sb-tiles .sb-tile[data-shot]")
    page.click("#sb-new")
    wait_until(lambda: page.locator("#sb-tiles .sb-tile[data-shot]").count() == 1)
    page.click("#sb-script-panel button.label-wrap, #sb-script-panel > button")
    page.fill("#sb-script textarea", NEW_CAST_SCRIPT)
    page.click("#sb-plan-shots")
    page.wait_for_selector("#sb-new-cast", state="visible")
    ana = page.locator("#sb-new-cast label", has_text="Ana").locator("input")
    assert ana.is_checked()  # offered ticked
    page.click("#sb-add-planned")
    wait_until(lambda: page.locator("#sb-tiles .sb-tile[data-shot]").count() == 2)
    assert "New cast without a picture yet: “Ana”" in page.inner_text("#sb-notice")
    chip = page.locator("#sb-cast-chips .sb-cast-chip.is-waiting", has_text="Ana")
    assert "needs a picture" in chip.inner_text()

    before = {j.id for j in all_jobs(assist_app.data_dir)}
    page.click("#sb-generate-all")
    page.wait_for_selector("#sb-confirm-card .sb-confirm-card")
    assert f"Shot 1 — cast: {NO_PICTURE}" in page.inner_text("#sb-confirm-card")
    assert not page.locator("#sb-confirm-go").is_visible()
    assert {j.id for j in all_jobs(assist_app.data_dir)} == before  # nothing sent

    page.click("#sb-cast-chips .sb-cast-add-picture[data-name='Ana']")
    wait_until(lambda: page.input_value("#sb-cast-name input, #sb-cast-name textarea") == "Ana")
    picture = quadrant_image(tmp_path / "ana.png", (640, 640))
    page.set_input_files("#sb-cast-image input[type=file]", str(picture))
    page.wait_for_selector("#sb-cast-image img")
    page.click("#sb-cast-add-btn")
    page.wait_for_selector("#sb-cast-chips .sb-cast-chip:not(.is-waiting) >> text=Ana")
    assert page.locator("#sb-cast-chips .sb-cast-chip").count() == 1  # the same entry, now with its picture

    page.click("#sb-generate-all")
    page.wait_for_selector("#sb-confirm-go", state="visible")
    page.click("#sb-confirm-go")
    wait_states(page, ["done"] * 2, timeout=90)
    made = [j for j in all_jobs(assist_app.data_dir) if j.id not in before]
    assert len(made) == 2 and any(j.params.get("reference_images") for j in made)
    # The shot's take list says which wording made the take.
    page.click("#sb-tiles .sb-tile[data-number='1'] .sb-tile-title")
    version = page.locator("#sb-takes .sb-take[data-number='1'] .sd-take-version summary")
    wait_until(lambda: version.count() == 1)
    assert version.inner_text().startswith("Prompt v1 · Imported · ")
    assert "@[Ana] rows a small boat" in (version.get_attribute("title") or "")


def test_the_history_detail_says_which_prompt_version_made_a_take(page: Any, assist_app: LiveApp) -> None:
    prompt = "A gull circles the lighthouse lantern at noon, medium shot."
    before = {j.id for j in all_jobs(assist_app.data_dir)}
    page.fill("#sd-prompt textarea", prompt)
    page.click("#sd-generate")
    (job,) = wait_until(lambda: [j for j in all_jobs(assist_app.data_dir) if j.id not in before])
    # Ended first: while the job runs, the detail is drawn again as it moves on, which folds the wording.
    wait_until(lambda: [j.terminal for j in all_jobs(assist_app.data_dir) if j.id == job.id] == [True],
               timeout=60)
    page.wait_for_selector("#sd-history .thumbnail-item")  # a fresh visitor: this is their only take
    page.locator("#sd-history .thumbnail-item").first.click()
    page.wait_for_selector(f"#sd-detail .sd-detail[data-job='{job.id}']")
    line = page.locator("#sd-detail .sd-take-version")
    assert line.get_attribute("data-version") == job.prompt_version
    assert line.locator("summary").inner_text().startswith("Prompt v1 · Typed · ")
    line.locator("summary").click()  # the wording itself, unfolded
    wait_until(lambda: page.inner_text("#sd-detail .sd-take-version-text") == prompt)


def test_axe_finds_nothing_with_the_assist_panels_open(browser: Any, assist_app: LiveApp) -> None:
    if not AXE_JS.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/a11y")
    axe = AXE_JS.read_text(encoding="utf-8")
    SHOTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[dict[str, Any]]] = {}
    for name, size in (("1440", WIDE), ("390", NARROW)):
        context = browser.new_context(viewport=size)
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(assist_app.url)
            wait_loaded(page)
            enhance(page, PROMPT)
            page.locator("#sd-assist-picks label").nth(0).click()
            page.wait_for_selector("#sd-assist-diff .sd-change.is-off")
            page.click("#sd-versions button.label-wrap, #sd-versions > button")
            page.locator("#sd-assist-review").scroll_into_view_if_needed()
            page.locator("#sd-assist").screenshot(path=str(SHOTS / f"assist-diff-{name}.png"))
            found[f"studio diff {name}"] = violations(page, axe, (GRADIO_TOASTS,))
            page.click("#sd-variations")
            page.wait_for_selector("#sd-variations-row", state="visible")
            page.locator("#sd-assist").screenshot(path=str(SHOTS / f"assist-variations-{name}.png"))
            found[f"studio variations {name}"] = violations(page, axe, (GRADIO_TOASTS,))
        finally:
            context.close()
        if name == "1440":  # the storyboard's script box with its planned table
            storyboard_plan(browser, assist_app, found)
    bad = {k: v for k, v in found.items() if v}
    assert not bad, "\n".join(f"-- {k}:\n{report(v)}" for k, v in bad.items())


def storyboard_plan(browser: Any, app: LiveApp, found: dict[str, list[dict[str, Any]]]) -> None:
    """axe on the storyboard with the script box open and a planned table shown (its screenshot too)."""
    axe = AXE_JS.read_text(encoding="utf-8")
    context = browser.new_context(viewport=WIDE)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(app.url)
        wait_loaded(page)
        page.click("#sd-tab-storyboard-button")
        page.wait_for_selector("#sb-tiles .sb-tile[data-shot]")
        page.click("#sb-script-panel button.label-wrap, #sb-script-panel > button")
        page.fill("#sb-script textarea", SCRIPT)
        page.click("#sb-plan-shots")
        page.wait_for_selector("#sb-planned-table", state="visible")
        page.locator("#sb-script-panel").screenshot(path=str(SHOTS / "assist-script-1440.png"))
        found["storyboard script 1440"] = violations(page, axe, (GRADIO_TOASTS,))
    finally:
        context.close()
