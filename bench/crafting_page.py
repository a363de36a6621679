"""The `crafting` section's page rows (issue 23): *Enhance* in a real Chromium against the studio in demo
mode (`python app.py`, its simulator answering the chat endpoint), measured in the page itself.

Each run: a fresh context opens the studio, types the prompt, then a MutationObserver is installed and
*Enhance* clicked; the page notes performance.now() at the click, when the first streamed text shows in
the suggestion (`#sd-assist-stream .sd-assist-text` not empty) and when the review's diff is drawn
(`#sd-assist-review .sd-assist-diff`). Reported: the medians of click -> first token and click -> diff.
`page_rows(work, runs)` -> (rows, raw numbers); the lead's `sections.crafting` adds them to its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.browser import CHROMIUM, CHROMIUM_ARGS
from bench.common import Row, fmt_ms, median
from bench.studio import Studio

PAGE_MS = 60_000  # Playwright's timeout for one page step
RUNS = 5  # enhancements timed (median); QUICK runs 1
PROMPT = 'A keeper climbs the lighthouse stairs at dusk. She says: "Almost there."'
VIEWPORT = {"width": 1440, "height": 1000}
# Installs the observer, clicks Enhance; window.__sdCraft gets {click, first, diff} (performance.now()).
WATCH_AND_CLICK_JS = """
() => {
  const marks = window.__sdCraft = {click: performance.now(), first: null, diff: null};
  const check = () => {
    const text = document.querySelector('#sd-assist-stream .sd-assist-text');
    if (marks.first === null && text && text.textContent.trim()) marks.first = performance.now();
    if (marks.diff === null && document.querySelector('#sd-assist-review .sd-assist-diff')) {
      marks.diff = performance.now();
      if (marks.first === null) marks.first = marks.diff;  // answered in one piece
    }
  };
  new MutationObserver(check).observe(document.body, {subtree: true, childList: true, characterData: true});
  document.querySelector('#sd-enhance').click();
}
"""
DONE_JS = "() => window.__sdCraft && window.__sdCraft.diff !== null"


def one_run(browser: Any, url: str) -> tuple[float, float]:
    """(seconds to the first streamed token, seconds to the diff) of one Enhance in a fresh page."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(PAGE_MS)
        page.goto(url)
        page.wait_for_selector("body[data-sd-loaded]", state="attached")
        page.fill("#sd-prompt textarea", PROMPT)
        page.evaluate(WATCH_AND_CLICK_JS)
        page.wait_for_function(DONE_JS)
        marks = page.evaluate("() => window.__sdCraft")
        return (marks["first"] - marks["click"]) / 1000, (marks["diff"] - marks["click"]) / 1000
    finally:
        context.close()


def page_rows(work: Path, runs: int = RUNS) -> tuple[list[Row], dict[str, Any]]:
    """The page rows of the crafting section, and the raw seconds of every run."""
    from playwright.sync_api import sync_playwright

    studio = Studio(work, "crafting-page", sim_url=None)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                one_run(browser, studio.url)  # warm-up: the first page load compiles Gradio's bundles
                results = [one_run(browser, studio.url) for _ in range(runs)]
            finally:
                browser.close()
    finally:
        studio.stop()
    first = [r[0] for r in results]
    done = [r[1] for r in results]
    rows = [
        Row("Enhance in the page: click to the first streamed token (median)", "informational",
            fmt_ms(median(first)), "INFO"),
        Row("Enhance in the page: click to the diff shown (median)", "informational",
            fmt_ms(median(done)), "INFO"),
    ]
    return rows, {"first_token_s": first, "diff_shown_s": done}
