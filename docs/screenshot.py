"""Retake the README screenshots: `python docs/screenshot.py` (Debian's chromium, demo mode, no key).

Starts `python app.py` in demo mode on a free port with a throwaway data directory, generates a shot in
each of the three modes through the page as a visitor would (text from an example, frames from a sample
picture, references from *Use sample pictures*), and saves the references result with the history of all
three at 1440 px (assets/screenshot.png) and the history at 390 px (assets/screenshot-390.png), both
palette-optimised.

Then the review: a three-shot board written and generated through the Storyboard tab, shared with
*Share for review*; a reviewer with no cookie opens the link, approves shot 1, pins a note at 0:02 on
shot 2 and requests changes there. Saved: the reviewer's page, first screen at 1440 px
(assets/review.png), and the owner's Review panel with the review bar and tiles (assets/review-owner.png).
`python docs/screenshot.py review` retakes only these two.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDE = {"width": 1440, "height": 900}
NARROW = {"width": 390, "height": 844}
SAMPLES = ROOT / "assets" / "samples"
FRAME_PICTURE = SAMPLES / "lighthouse.png"  # the frames shot opens on it
FRAME_PROMPT = "The lighthouse at dusk, its beam sweeping over the bay, slow push in, waves glittering."
REVIEW = {"width": 1440, "height": 1000}
BOARD_TITLE = "The lighthouse keeper"
BOARD_STYLE = "35 mm film, moody blue dusk, soft grain"
BOARD_SHOTS = [  # (title, prompt)
    ("The keeper climbs", "an old lighthouse keeper climbs the spiral stairs with a lantern, low angle"),
    ("The beam", "the lighthouse beam sweeps across a dark, choppy bay, wide shot"),
    ("A boat comes home", "a small fishing boat rounds the headland into the light, waves glitter"),
]
REVIEWER = "Ana"
NOTE = "The beam is too dim here \u2014 can it sweep wider?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(data_dir: Path, speed: str | None = "40") -> tuple[subprocess.Popen, str]:
    """`python app.py` in demo mode on a free port; `speed`: the simulator's (None: its default)."""
    port = _free_port()
    env = {
        **os.environ,
        "EVOLINK_API_KEY": "",
        "SEEDANCE_DATA_DIR": str(data_dir),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    env.pop("SEEDANCE_SIMULATOR_SPEED", None)
    if speed is not None:
        env["SEEDANCE_SIMULATOR_SPEED"] = speed
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "healthz", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("app.py did not start")


def _mode(page, label: str) -> None:
    page.click(f'#sd-mode [data-testid="{label}-radio-label"]')
    time.sleep(0.5)


def _text_shot(page) -> None:
    """Text: the first example prompt, portrait."""
    page.click("#sd-example-1")
    _generate(page, "480p", "9:16", 4)


def _frames_shot(page) -> None:
    """Frames: the sample lighthouse picture as the first frame."""
    _mode(page, "Frames")
    page.wait_for_selector("#sd-first-frame", state="visible")
    page.set_input_files("#sd-first-frame input[type=file]", str(FRAME_PICTURE))
    page.wait_for_selector("#sd-first-frame img")
    _field(page, "sd-prompt", FRAME_PROMPT)
    _generate(page, "480p", "16:9", 4)


def _references_shot(page) -> None:
    """References: the demo's own sample pictures (the keeper and the lighthouse), its sample clip and the
    prompt they come with."""
    _mode(page, "References")
    _field(page, "sd-prompt", "")
    page.click("#sd-sample-pictures")
    page.wait_for_function("() => document.querySelectorAll('#sd-ref-images .thumbnail-item').length >= 2")
    page.wait_for_function("() => document.querySelector('#sd-prompt textarea').value.length > 0")
    page.click("#sd-sample-clip")  # the sample prompt's @video1
    page.wait_for_function("() => document.querySelector('#sd-ref-videos textarea').value.includes('http')")
    time.sleep(1.5)  # the clip is measured (its seconds are billed)
    page.click('#sd-model [data-testid="Fast-radio-label"]')
    _generate(page, "720p", "16:9", 5)


def _generate(page, quality: str, ratio: str, duration: int) -> None:
    page.click(f'#sd-quality [data-testid="{quality}-radio-label"]')
    page.click(f'#sd-ratio [data-testid="{ratio}-radio-label"]')
    box = page.locator("#sd-duration input[type=number]")
    box.fill(str(duration))
    box.press("Enter")
    box.blur()
    before = _task_id(page)
    page.click("#sd-generate")
    page.wait_for_function(
        """(before) => {
            const card = document.querySelector('#sd-progress .sd-progress[data-status="completed"]');
            const id = document.querySelector('#sd-progress [data-meta="task-id"] dd');
            return card && id && id.innerText.trim() !== before;
        }""",
        arg=before,
        timeout=120_000,
    )
    page.wait_for_function(
        "() => { const v = document.querySelector('#sd-video video'); return v && v.readyState >= 2; }"
    )


def _task_id(page) -> str:
    found = page.query_selector('#sd-progress [data-meta="task-id"] dd')
    return found.inner_text().strip() if found else ""


def _show_frame(page, selector: str, at: float) -> None:
    """Pause a video on a telling frame (the prompt card is drawn from about 1 s on)."""
    page.eval_on_selector(selector, "(v, t) => { v.pause(); v.currentTime = t; }", at)
    time.sleep(0.8)


def _close_toasts(page) -> None:
    """Wait for the "Your video is ready." notices to go, so they do not cover the page."""
    page.wait_for_function("() => !document.querySelector('[data-testid=\"toast-body\"]')", timeout=20_000)


def _optimise(path: Path, colours: int = 192) -> None:
    image = Image.open(path).convert("RGB")
    image.quantize(colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )


def _field(page, elem_id: str, value: str) -> None:
    box = page.locator(f"#{elem_id} textarea, #{elem_id} input").first
    box.fill(value)
    box.blur()


def _tiles(page) -> list[str]:
    return page.evaluate(
        "Array.from(document.querySelectorAll('#sb-tiles .sb-tile[data-shot]')).map(t => t.dataset.state)"
    )


def _select_shot(page, number: int) -> None:
    page.click(f"#sb-tiles .sb-tile[data-number='{number}'] .sb-tile-title")
    time.sleep(0.6)


def _storyboard(page) -> None:
    """A new board of BOARD_SHOTS written through the Storyboard tab, then *Generate all* (and confirm)."""
    page.click("#sd-tab-storyboard-button")
    page.wait_for_selector("#sb-tiles .sb-tile[data-shot]")
    page.click("#sb-new")
    page.wait_for_function("() => document.querySelectorAll('#sb-tiles .sb-tile[data-shot]').length === 1")
    _field(page, "sb-title", BOARD_TITLE)
    _field(page, "sb-style", BOARD_STYLE)
    page.click('#sb-quality [data-testid="480p-radio-label"]')
    page.click('#sb-model [data-testid="Fast-radio-label"]')
    for number, (title, prompt) in enumerate(BOARD_SHOTS, start=1):
        if number > 1:
            page.click("#sb-add")
            page.wait_for_function(
                f"() => document.querySelectorAll('#sb-tiles .sb-tile[data-shot]').length === {number}"
            )
            time.sleep(0.4)
        _field(page, "sb-shot-title", title)
        _field(page, "sb-shot-prompt", prompt)
        box = page.locator("#sb-shot-duration input[type=number]")
        box.fill("4")
        box.press("Enter")
        box.blur()
    time.sleep(0.6)
    page.click("#sb-generate-all")
    page.wait_for_selector("#sb-confirm-card .sb-confirm-card")
    page.click("#sb-confirm-go")
    page.wait_for_selector("#sb-confirm", state="hidden")
    deadline = time.monotonic() + 120
    while _tiles(page) != ["done"] * len(BOARD_SHOTS):
        if time.monotonic() > deadline:
            raise SystemExit(f"the board never finished: {_tiles(page)}")
        time.sleep(0.3)


def _share(page) -> str:
    """Press *Share for review*; the link the page shows."""
    page.get_by_role("button", name="Share for review").click()
    page.wait_for_selector("#sb-review-link", state="visible")
    page.wait_for_selector("#sb-review-links tr[data-state='open']")
    box = page.locator("#sb-review-link textarea, #sb-review-link input").first
    page.wait_for_function("(e) => e.value.includes('/review/#')", arg=box.element_handle())
    return box.input_value()


def _review(browser, link: str) -> Path:
    """A reviewer with no cookie opens the link: approves shot 1, pins NOTE at 0:02 on shot 2 and requests
    changes there, leaves shot 3; the first screen of the page at 1440 px."""
    context = browser.new_context(viewport=REVIEW, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(link)
    page.wait_for_selector(".rv-card video[src]", state="attached")
    page.get_by_label("Your name").fill(REVIEWER)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector("#rv-name-dialog", state="hidden")
    cards = page.locator(".rv-card")
    cards.nth(0).get_by_role("button", name="Approve").click()
    page.wait_for_function("() => document.querySelector('.rv-summary-text').textContent.startsWith('1 of')")
    page.evaluate(  # the reviewer plays shot 2 and pauses it at 0:02
        """async () => {
            const video = document.querySelectorAll('.rv-card')[1].querySelector('video.rv-video');
            video.muted = true;
            await video.play();
            video.pause();
            video.currentTime = 2.3;
        }"""
    )
    page.wait_for_function(
        "() => document.querySelectorAll('.rv-note-input')[1].placeholder.startsWith('Add a note at 0:02')"
    )
    cards.nth(1).get_by_placeholder("Add a note").fill(NOTE)
    cards.nth(1).get_by_role("button", name="Add note").click()
    cards.nth(1).locator(".rv-note").first.wait_for()
    cards.nth(1).get_by_role("button", name="Request changes").click()
    cards.nth(1).locator(".rv-pill.is-changes_requested").wait_for()
    # Shot 2 shows its frame at 0:02 (the others their posters).
    page.wait_for_function(
        "() => { const v = document.querySelectorAll('video.rv-video')[1];"
        " return v.readyState >= 2 && !v.seeking; }"
    )
    page.wait_for_load_state("networkidle")
    # The "Changes requested on shot 2." notice goes after 3.5 s; it would cover shot 2's note.
    page.wait_for_function("() => !document.querySelector('#rv-toast.is-on')", timeout=10_000)
    page.mouse.move(0, 0)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    time.sleep(0.8)
    path = ASSETS / "review.png"
    page.screenshot(path=str(path), full_page=False)
    context.close()
    return path


def _review_owner(page) -> Path:
    """The owner's tab once the review is in: the Review panel with its link and links table, the review
    bar and the tiles with their verdicts."""
    page.wait_for_function(
        "() => document.querySelectorAll('#sb-tiles .sb-tile[data-shot] .sb-review-line').length >= 2"
        " && document.querySelector('#sb-review-bar .sb-review-summary')"
        ".innerText.startsWith('1 of')",
        timeout=20_000,
    )
    _select_shot(page, 2)
    page.wait_for_selector("#sb-review-notes .sb-note")
    _close_toasts(page)
    page.mouse.move(0, 0)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    time.sleep(0.8)
    path = ASSETS / "review-owner.png"
    # The panel and its shadow, with half the gap to the "Review exports" panel above it (the review bar
    # and tiles are a screen higher up: they do not fit with it).
    top, bottom, above = page.evaluate(
        """() => {
            const box = (s) => document.querySelector(s).getBoundingClientRect();
            return [box('#sb-review').top + scrollY, box('#sb-review').bottom + scrollY,
                    box('#sb-exports').bottom + scrollY];
        }"""
    )
    y = int((above + top) / 2 + 1)
    clip = {"x": 0, "y": y, "width": REVIEW["width"], "height": int(bottom + 28 - y)}
    page.screenshot(path=str(path), full_page=True, clip=clip)
    return path


def _review_screens(browser, url: str) -> list[Path]:
    context = browser.new_context(viewport=REVIEW, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.wait_for_selector("#sd-prompt textarea")
    _storyboard(page)
    link = _share(page)
    reviewer = _review(browser, link)
    owner = _review_owner(page)
    context.close()
    for path in (reviewer, owner):
        _optimise(path)
    return [reviewer, owner]


def _studio_screens(browser, url: str) -> list[Path]:
    """The studio: three shots generated through the page; its first screen at 1440 px, the history at 390."""
    context = browser.new_context(viewport=WIDE, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.wait_for_selector("#sd-prompt textarea")
    page.wait_for_function("() => !!document.querySelector('#sd-progress .sd-progress')")
    time.sleep(0.5)
    shots = (_text_shot, _frames_shot, _references_shot)
    for shot in shots:
        shot(page)
    page.wait_for_function(
        f"() => document.querySelectorAll('#sd-history .thumbnail-item').length >= {len(shots)}"
    )
    _show_frame(page, "#sd-video video", 2.0)
    _close_toasts(page)
    # Fold "Prompt craft" so the references, the prompt and the settings sit together.
    page.click("#sd-craft > button, #sd-craft .label-wrap")
    page.mouse.move(0, 0)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    time.sleep(0.6)
    # A large display: the references request (its pictures and prompt), the result showing them, and the
    # history holding the text, frames and references shots. The window is as tall as the page, so the
    # sticky action bar and preview rest where they belong instead of where the last scroll left them.
    page.set_viewport_size({"width": WIDE["width"], "height": page.evaluate("document.body.scrollHeight")})
    page.evaluate("() => window.scrollTo(0, 0)")
    time.sleep(0.8)
    bottom = page.evaluate(
        """() => Math.max(...['#sd-video', '#sd-generate', '#sd-history-panel'].map(
            s => document.querySelector(s).getBoundingClientRect().bottom + window.scrollY))"""
    )
    _show_frame(page, "#sd-video video", 2.0)
    height = int(bottom + 28)
    wide = ASSETS / "screenshot.png"
    clip = {"x": 0, "y": 0, "width": WIDE["width"], "height": height}
    page.screenshot(path=str(wide), clip=clip)
    _optimise(wide)
    page.set_viewport_size(WIDE)

    # The same visitor on a phone: the history keeps every shot, newest first.
    storage = context.storage_state()
    phone = browser.new_context(
        viewport=NARROW, device_scale_factor=1, is_mobile=True, has_touch=True,
        storage_state=storage,
    )
    page = phone.new_page()
    page.goto(url)
    page.wait_for_selector("#sd-history .thumbnail-item")
    page.locator("#sd-history .thumbnail-item").first.click()
    page.wait_for_selector('#sd-detail .sd-detail[data-status="completed"]')
    _close_toasts(page)
    page.eval_on_selector(
        "#sd-history-panel",
        "e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 12)",
    )
    time.sleep(0.8)
    narrow = ASSETS / "screenshot-390.png"
    page.screenshot(path=str(narrow), full_page=False)
    _optimise(narrow)
    phone.close()
    context.close()
    return [wide, narrow]


def main() -> None:
    only_review = sys.argv[1:] == ["review"]
    ASSETS.mkdir(exist_ok=True)
    made: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = _serve(Path(tmp) / "data")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                if not only_review:
                    made += _studio_screens(browser, url)
                made += _review_screens(browser, url)
                browser.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
    for path in made:
        print(f"{path.relative_to(ROOT)}: {Image.open(path).size}, {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
