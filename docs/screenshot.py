"""Retake the README screenshots: `python docs/screenshot.py` (Debian's chromium, demo mode, no key).

Starts `python app.py` in demo mode on a free port with a throwaway data directory, generates three
shots through the page as a visitor would, and saves the first screen of the result at 1440 px
(assets/screenshot.png) and the history at 390 px (assets/screenshot-390.png), both palette-optimised.
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
SHOTS = [  # (example chip, quality, aspect ratio, duration)
    ("sd-example-1", "480p", "9:16", 4),
    ("sd-example-4", "480p", "1:1", 4),
    ("sd-example-2", "720p", "16:9", 5),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {
        **os.environ,
        "EVOLINK_API_KEY": "",
        "SEEDANCE_DATA_DIR": str(data_dir),
        "SEEDANCE_SIMULATOR_SPEED": "40",
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
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


def _generate(page, chip: str, quality: str, ratio: str, duration: int) -> None:
    page.click(f"#{chip}")
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


def main() -> None:
    ASSETS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = _serve(Path(tmp) / "data")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(viewport=WIDE, device_scale_factor=1)
                page = context.new_page()
                page.set_default_timeout(30_000)
                page.goto(url)
                page.wait_for_selector("#sd-prompt textarea")
                page.wait_for_function("() => !!document.querySelector('#sd-progress .sd-progress')")
                time.sleep(0.5)
                for shot in SHOTS:
                    _generate(page, *shot)
                page.wait_for_function(
                    f"() => document.querySelectorAll('#sd-history .thumbnail-item').length >= {len(SHOTS)}"
                )
                _show_frame(page, "#sd-video video", 2.0)
                _close_toasts(page)
                # Fold "Prompt craft" so the first screen shows the model, frame and cost controls.
                page.click("#sd-craft > button, #sd-craft .label-wrap")
                time.sleep(0.6)
                # The first screen of a large display: the prompt, its settings and cost, the finished shot.
                bottom = page.evaluate(
                    """() => Math.max(...['#sd-video', '#sd-generate'].map(
                        s => document.querySelector(s).getBoundingClientRect().bottom + window.scrollY))"""
                )
                height = int(bottom + 28)
                wide = ASSETS / "screenshot.png"
                clip = {"x": 0, "y": 0, "width": WIDE["width"], "height": height}
                page.screenshot(path=str(wide), full_page=True, clip=clip)
                _optimise(wide)

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
                browser.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
    for path in (ASSETS / "screenshot.png", ASSETS / "screenshot-390.png"):
        print(f"{path.relative_to(ROOT)}: {Image.open(path).size}, {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
