"""A newcomer's walk through the studio, timed: `python docs/newcomer_walk.py` (Debian's chromium, demo mode).

Starts `python app.py` as `make run` does with no key (demo mode, the simulator at its default speed) on
a free port with a throwaway data directory, then does what a new visitor does, in a real Chromium:
text, frames, continue, references (the sample pictures), a bad picture, the storyboard's continuity
sample (Generate all -> Confirm), a CSV import, and the text shot again at 390 px. For each task it prints
the seconds from the click to a playable video (or to the answer, for the bad picture and the import)
and, where a prompt was typed, how far the visitor had to scroll to reach Generate (0: on screen).
Prints a markdown table; the numbers depend on the machine and its load (printed with them).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshot import CHROMIUM, CHROMIUM_ARGS, NARROW, ROOT, WIDE, _serve

SAMPLES = ROOT / "assets" / "samples"
TIMEOUT_MS = 240_000
PROMPT = "A lighthouse keeper climbs the spiral stairs at dusk, slow dolly in, warm lamp light."
CSV = ("shot,title,prompt,duration\n1,Lift-off,a red balloon lifts off a wet field,4\n"
       "2,The chase,a child runs after the balloon through tall grass,4\n"
       "3,Caught,the string snags on a fence,4\n")
PLAYABLE = """(old) => { const v = document.querySelector('#sd-video video');
  return !!v && v.currentSrc !== old && v.readyState >= 2; }"""
ALL_DONE = """() => { const t = [...document.querySelectorAll('#sb-tiles .sb-tile[data-shot]')];
  return t.length === 4 && t.every(x => x.dataset.state === 'done'); }"""
SCROLL_TO = """(s) => { const r = document.querySelector(s).getBoundingClientRect();
  return Math.max(0, Math.round(r.bottom - innerHeight)); }"""


def video_src(page: Any) -> str:
    return page.evaluate("() => document.querySelector('#sd-video video')?.currentSrc || ''")


def generate(page: Any) -> float:
    """Click Generate: seconds until a new video is playable in the preview."""
    old = video_src(page)
    started = time.monotonic()
    page.click("#sd-generate")
    try:
        page.wait_for_function(PLAYABLE, arg=old, polling=100, timeout=TIMEOUT_MS)
    except Exception as exc:  # say what the page said instead of a bare timeout
        said = " | ".join(page.locator(s).inner_text() for s in ("#sd-submit-note", "#sd-status")
                          if page.locator(s).count())
        page.screenshot(path=str(ROOT / "screenshots" / "walk-failed.png"))
        raise RuntimeError(f"no playable video after Generate; the page says: {said[:400]}") from exc
    return time.monotonic() - started


def typed(page: Any, text: str) -> int:
    """Type the prompt as a visitor does: px still to scroll to see the whole Generate button."""
    page.fill("#sd-prompt textarea", "")
    page.click("#sd-prompt textarea")
    page.keyboard.type(text, delay=2)
    return int(page.evaluate(SCROLL_TO, "#sd-generate"))


def pick(page: Any, elem_id: str, label: str) -> None:
    page.click(f'#{elem_id} [data-testid="{label}-radio-label"]')


def walk(page: Any, work: Path, record: Callable[[str, float, int | None], None]) -> None:
    scroll = typed(page, PROMPT)
    record("Text", generate(page), scroll)

    pick(page, "sd-mode", "Frames")
    page.set_input_files("#sd-first-frame input[type=file]", str(SAMPLES / "lighthouse.png"))
    page.wait_for_selector("#sd-first-frame img")
    scroll = typed(page, "The beam sweeps over the bay, the camera rises slowly.")
    record("Frames (a first frame)", generate(page), scroll)

    page.click("#sd-continue-result")
    page.wait_for_function("() => !!document.querySelector('#sd-first-frame img')")
    scroll = typed(page, "The keeper steps out onto the gallery, wind in his coat.")
    record("Continue this shot", generate(page), scroll)

    pick(page, "sd-mode", "References")
    page.click("#sd-sample-pictures")
    page.wait_for_function("() => document.querySelectorAll('#sd-ref-images img').length >= 2")
    scroll = typed(page, "@image1 the keeper walks towards @image2 the lighthouse at dusk.")
    record("References (sample pictures)", generate(page), scroll)

    fake = work / "notes.png"
    fake.write_text("not a picture\n" * 50)
    pick(page, "sd-mode", "Frames")
    started = time.monotonic()
    page.set_input_files("#sd-first-frame input[type=file]", str(fake))
    page.wait_for_selector("#sd-frames-note .sd-hint.is-error", timeout=TIMEOUT_MS)
    record("Bad picture (.txt as .png): named at its zone", time.monotonic() - started, None)

    page.click("#sd-tab-storyboard-button")
    page.wait_for_selector("#sb-tiles .sb-tile[data-shot]")
    page.click("#sb-sample")
    page.wait_for_selector("#sb-tiles .sb-tile[data-number='4']")
    scroll = int(page.evaluate(SCROLL_TO, "#sb-generate-all"))
    started = time.monotonic()
    page.click("#sb-generate-all")
    page.click("#sb-confirm-go")
    page.wait_for_function(ALL_DONE, polling=250, timeout=TIMEOUT_MS)
    record("Storyboard continuity sample: Generate all, 4 shots done", time.monotonic() - started, scroll)

    csv = work / "board.csv"
    csv.write_text(CSV)
    page.click("#sb-new")
    started = time.monotonic()
    with page.expect_file_chooser() as chooser:
        page.click("#sb-import")
    chooser.value.set_files(str(csv))
    page.wait_for_function("() => document.querySelectorAll('#sb-tiles .sb-tile[data-shot]').length === 3",
                           timeout=TIMEOUT_MS)
    record("CSV import (3 shots on the board)", time.monotonic() - started, None)


def main() -> int:
    rows: list[tuple[str, float, int | None]] = []

    def record(task: str, seconds: float, scroll: int | None) -> None:
        rows.append((task, seconds, scroll))
        reach = f", scroll to Generate {scroll} px" if scroll is not None else ""
        print(f"{task}: {seconds:.1f} s{reach}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        proc, url = _serve(work / "data", speed=None)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(viewport=WIDE).new_page()
                page.set_default_timeout(60_000)
                page.goto(url)
                page.wait_for_selector("body[data-sd-loaded]", state="attached")
                walk(page, work, record)
                phone = browser.new_context(viewport=NARROW).new_page()
                phone.set_default_timeout(60_000)
                phone.goto(url)
                phone.wait_for_selector("body[data-sd-loaded]", state="attached")
                scroll = typed(phone, PROMPT)
                record("Phone (390x844): text", generate(phone), scroll)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(30)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print("\n| Task (1440x900 unless said) | Click to playable | Scroll to Generate |\n|---|---|---|")
    for task, seconds, scroll in rows:
        print(f"| {task} | {seconds:.1f} s | {'' if scroll is None else f'{scroll} px'} |")
    print(f"\nDemo mode, simulator at its default speed; load average {load} at the end.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
