"""Accessibility of both tabs, as a screen-reader user or a visitor with low vision meets them.

axe-core (npm, pinned in tests/a11y/package.json; `make test` installs it with `npm ci --prefix
tests/a11y`) is injected into the studio in demo mode in a real Chromium and run with the WCAG 2 A and
AA rules on the Studio tab and on the Storyboard tab as they open, at 1440 and 390 px, then after use:
lint hints, a failed and a finished shot on each tab, the storyboard's confirmation. Any violation fails
the test with its rule id, impact, the elements it hit and axe's summary of what to fix.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, LiveApp, wait_until
from media_files import quadrant_image
from test_ui_storyboard import fill, select_shot, selected_number, wait_states

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

AXE_JS = ROOT / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
AXE_INSTALL = "npm ci --prefix tests/a11y"
WCAG_TAGS = ["wcag2a", "wcag2aa"]
VIEWPORTS = {"1440": {"width": 1440, "height": 1000}, "390": {"width": 390, "height": 844}}
TIMEOUT_MS = 20_000
FAIL = "[sim:fail=content_policy_violation]"
# Gradio's notices ("Your video is ready.") are left out of the checks after use: their header is a
# role="button" holding the Close button (axe: nested-interactive), in Gradio's own markup, and they come
# and go on a timer. The checks of the tabs as they open have no exclusion.
GRADIO_TOASTS = '[data-testid="toast-body"]'

# Runs axe on the whole document and returns each violation with the selectors and summaries of the
# elements it hit (axe's own objects hold DOM references that do not cross into Python).
RUN_AXE = """async ([tags, exclude]) => {
    const options = {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']};
    const result = await axe.run(exclude.length ? {exclude: exclude} : document, options);
    return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
    }));
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core's browser build; skipped when not installed, except in CI (CI=true) where it fails."""
    if not AXE_JS.exists():
        message = f"{AXE_JS.relative_to(ROOT)} is missing: run `{AXE_INSTALL}` (or `make test`)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture()
def open_studio(browser: Any, demo_app: LiveApp) -> Iterator[Callable[[str], Any]]:
    """Opens the studio in demo mode as a fresh visitor at a width of VIEWPORTS, once the load event has
    filled the progress card and history; the visitors' browser contexts close after the test."""
    contexts: list[Any] = []

    def open_page(width: str) -> Any:
        contexts.append(browser.new_context(viewport=VIEWPORTS[width]))
        page = contexts[-1].new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(demo_app.url)
        page.wait_for_selector("#sd-prompt textarea")
        page.wait_for_function("() => !!document.querySelector('#sd-progress .sd-progress')")
        return page

    yield open_page
    for context in contexts:
        context.close()


def open_storyboard(page: Any) -> None:
    page.click("#sd-tab-storyboard-button")
    page.wait_for_selector("#sb-tiles .sb-tile[data-shot]")
    page.wait_for_selector("#sb-editor-head-block .sb-editor-head")


# True once no output is pending (Gradio dims a pending output to 20 % opacity) and every finite CSS
# transition or animation has ended: axe measures the colours as painted, so a panel still fading back
# in reads as low contrast. Endless animations (the busy pulse) are left running.
SETTLED = """() => !document.querySelector('.pending') && document.getAnimations().every(
    (a) => a.playState !== 'running' || a.effect?.getComputedTiming().iterations === Infinity)"""


def violations(page: Any, axe_source: str, exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """axe's WCAG 2 A and AA violations on the page once it has settled (SETTLED), leaving out the
    `exclude` selectors."""
    page.wait_for_function(SETTLED)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    return page.evaluate(RUN_AXE, [WCAG_TAGS, list(exclude)])


def report(found: list[dict[str, Any]]) -> str:
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {n['target']}\n      {n['summary']}".replace("\n", "\n      ") for n in v["nodes"])
    return "\n".join(lines)


@pytest.mark.parametrize("width", list(VIEWPORTS))
@pytest.mark.parametrize("tab", ["studio", "storyboard"])
def test_tab_has_no_wcag2_a_or_aa_violation(
    axe_source: str, open_studio: Callable[[str], Any], tab: str, width: str
) -> None:
    page = open_studio(width)
    if tab == "storyboard":
        open_storyboard(page)
    found = violations(page, axe_source)
    assert not found, f"{len(found)} WCAG 2 A/AA violation(s) on the {tab} tab:\n{report(found)}"


def by_state(found: dict[str, list[dict[str, Any]]]) -> str:
    return "\n".join(f"-- {state}:\n{report(v)}" for state, v in found.items() if v)


def test_studio_after_lint_a_failed_and_a_finished_shot(
    axe_source: str, open_studio: Callable[[str], Any]
) -> None:
    page = open_studio("1440")
    found: dict[str, list[dict[str, Any]]] = {}
    page.fill("#sd-prompt textarea", "A keeper at dusk today, shot in 2.35:1. He says: “Hold on.”")
    page.wait_for_selector('#sd-counter [data-code="curly_quotes"]')
    found["lint hints"] = violations(page, axe_source, (GRADIO_TOASTS,))

    page.click('#sd-quality [data-testid="480p-radio-label"]')
    page.fill("#sd-prompt textarea", f"A11y: a heron on a misty pond {FAIL}")
    page.click("#sd-generate")
    page.wait_for_selector('#sd-progress .sd-progress[data-status="failed"]')
    page.wait_for_selector(".sd-notice.is-error")
    found["a failed shot"] = violations(page, axe_source, (GRADIO_TOASTS,))

    page.fill("#sd-prompt textarea", "A11y: a heron lifts off a misty pond")
    page.click("#sd-generate")
    page.wait_for_selector('#sd-progress .sd-progress[data-status="completed"]', timeout=60_000)
    page.wait_for_function("() => document.querySelectorAll('#sd-history .thumbnail-item').length === 2")
    page.locator("#sd-history .thumbnail-item").first.click()
    page.wait_for_selector('#sd-detail .sd-detail[data-status="completed"]')
    found["a finished shot, opened from history"] = violations(page, axe_source, (GRADIO_TOASTS,))
    assert not any(found.values()), by_state(found)


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_frames_and_references_modes_with_inputs(
    axe_source: str, open_studio: Callable[[str], Any], tmp_path: Path, width: str
) -> None:
    picture = quadrant_image(tmp_path / "quad.png", (960, 720))
    second = quadrant_image(tmp_path / "second.png", (720, 960))
    page = open_studio(width)
    found: dict[str, list[dict[str, Any]]] = {}
    page.click('#sd-mode [data-testid="Frames-radio-label"]')
    page.set_input_files("#sd-first-frame input[type=file]", str(picture))
    page.wait_for_selector('#sd-frames-note [data-code="ratio_mismatch"]')
    page.wait_for_selector("#sd-use-adaptive", state="visible")
    found["frames, a picture whose ratio the aspect ratio does not fit"] = violations(page, axe_source)

    page.click('#sd-mode [data-testid="References-radio-label"]')
    page.set_input_files("#sd-ref-images input[type=file]", [str(picture), str(second)])
    page.wait_for_selector('#sd-ref-tags [data-tag="@image2"]')
    page.fill("#sd-prompt textarea", "A11y: @image1 meets @image3")
    page.wait_for_selector('#sd-counter [data-code="tag_without_input"]')
    found["references, two images, a tag with no input"] = violations(page, axe_source)
    assert not any(found.values()), by_state(found)


def test_storyboard_after_generating_a_board_with_a_failed_shot(
    axe_source: str, open_studio: Callable[[str], Any]
) -> None:
    page = open_studio("1440")
    open_storyboard(page)
    found: dict[str, list[dict[str, Any]]] = {}
    select_shot(page, 2)
    fill(page, "sb-shot-prompt", f"A11y: the keeper lights the lamp {FAIL}")
    page.click("#sb-generate-all")
    page.wait_for_selector("#sb-confirm-card .sb-confirm-card")
    found["the confirmation"] = violations(page, axe_source, (GRADIO_TOASTS,))

    page.click("#sb-confirm-go")
    page.wait_for_selector("#sb-confirm", state="hidden")
    wait_states(page, ["done", "failed", "done"], timeout=60)
    page.wait_for_selector("#sb-editor-head-block .sd-pill.is-bad")
    page.wait_for_selector("#sb-tiles .sb-tile.is-failed .sb-retry")
    found["a failed shot, selected"] = violations(page, axe_source, (GRADIO_TOASTS,))

    select_shot(page, 1)
    page.wait_for_selector(".sb-take-body .sd-pill.is-ok")
    found["a finished shot, selected"] = violations(page, axe_source, (GRADIO_TOASTS,))
    assert not any(found.values()), by_state(found)

    # "Edit and retry", text in the tile's button rather than a button of its own, still selects the failed
    # shot and puts the cursor in its prompt.
    page.click("#sb-tiles .sb-tile.is-failed .sb-retry")
    wait_until(lambda: selected_number(page) == "2")
    page.wait_for_function("() => document.activeElement.matches('#sb-shot-prompt textarea')")


def test_the_check_reports_low_contrast_text_added_to_the_page(
    axe_source: str, open_studio: Callable[[str], Any]
) -> None:
    # The check can fail: text below 4.5:1 contrast, added to the live page, is reported by the same run.
    page = open_studio("1440")
    page.evaluate(
        """() => {
            const p = document.createElement('p');
            p.id = 'a11y-low-contrast';
            p.style.cssText = 'color: #8a8799; background: #ffffff; font-size: 12px; margin: 0;';
            p.textContent = 'Too pale to read';
            document.querySelector('.gradio-container').prepend(p);
        }"""
    )
    found = violations(page, axe_source)
    contrast = [v for v in found if v["id"] == "color-contrast"]
    assert contrast and any(n["target"] == "#a11y-low-contrast" for n in contrast[0]["nodes"]), report(found)
    assert "4.5:1" in report(contrast)


def test_axe_source_is_the_pinned_version() -> None:
    # The lock file and the package file name the same exact axe-core version (no range).
    package = json.loads((ROOT / "tests" / "a11y" / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "tests" / "a11y" / "package-lock.json").read_text(encoding="utf-8"))
    pinned = package["dependencies"]["axe-core"]
    assert pinned[0].isdigit() and lock["packages"]["node_modules/axe-core"]["version"] == pinned
    if AXE_JS.exists():
        installed = json.loads((AXE_JS.parent / "package.json").read_text(encoding="utf-8"))["version"]
        assert installed == pinned, f"installed axe-core {installed}, pinned {pinned}: run `{AXE_INSTALL}`"

