"""Completion to a connected browser: the real studio (`python app.py`) and Debian's Chromium via Playwright.

A visitor types a prompt and presses Generate; the bench notes the moment the new history item shows
its poster in the page (the caption of a finished shot and a loaded poster image, checked every 10 ms
in the page itself) and compares it with the simulator's completion time and the studio's record.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import Clock
from bench.polling import BASE_INTERVAL, DURATION_FACTOR, roomy_backlog, spec_of
from bench.studio import Studio
from seedance_ui.client import GenerationRequest
from seedance_ui.simulator import Simulator

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PROMPT = "{marker} a glass elevator rises through a rainforest canopy at sunrise, slow tilt up."

# True (as Date.now()) once the newest history item is a finished shot with its poster loaded.
POSTER_SHOWN = """
(marker) => {
  const item = document.querySelector('#sd-history .thumbnail-item');
  if (!item) return false;
  const caption = item.querySelector('.caption-label');
  const img = item.querySelector('img');
  if (!caption || !img) return false;
  const text = caption.textContent.trim();
  if (!text.includes(marker) || !/^\\d+s · /.test(text)) return false;
  if (!img.complete || img.naturalWidth === 0 || img.src.includes('placeholder')) return false;
  return Date.now();
}
"""


@dataclass
class BrowserResult:
    jobs: int
    detect: list[float]  # simulated s: server completion -> the studio sees it
    pipeline: list[float]  # real s: seen -> video + poster on disk, record COMPLETED
    to_browser: list[float]  # real s: record COMPLETED -> poster shown in the page
    total: list[float]  # detect + pipeline + to_browser
    chromium: str


def run(*, jobs: int, speed: float, seed: int, work: Path, cache: Path, estimate: int = 60) -> BrowserResult:
    from playwright.sync_api import sync_playwright

    roomy_backlog()
    clock = Clock()
    markers = [f"bench-{seed}-{i:02d}" for i in range(jobs)]
    sim = Simulator(speed=speed, seed=seed, duration_factor=DURATION_FACTOR, video_cache_dir=cache).start()
    sim.set_behaviour(estimated_time=estimate)
    for marker in markers:  # rendered now, not while the job downloads
        sim.videos.get(spec_of(GenerationRequest(prompt=PROMPT.format(marker=marker))))
    studio: Studio | None = None
    shown: dict[str, float] = {}
    try:
        studio = Studio(work, "browser", sim_url=sim.base_url, poll_interval=BASE_INTERVAL / speed)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                chromium = browser.version
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                page.set_default_timeout(60_000)
                page.goto(studio.url)
                page.wait_for_selector("#sd-prompt textarea")
                page.wait_for_function("() => !!document.querySelector('#sd-progress .sd-progress')")
                time.sleep(0.5)
                for marker in markers:
                    page.fill("#sd-prompt textarea", PROMPT.format(marker=marker))
                    page.click("#sd-generate")
                    handle = page.wait_for_function(POSTER_SHOWN, arg=marker, polling=10,
                                                    timeout=(estimate * 1.5 / speed + 60) * 1000)
                    shown[marker] = handle.json_value() / 1000.0
                page.close()
            finally:
                browser.close()
        rows = studio.rows("SELECT task_id, status, completed_at, updated_at, params FROM jobs")
    finally:
        if studio is not None:
            studio.stop()
        sim.stop()

    result = BrowserResult(jobs, [], [], [], [], chromium)
    for row in rows:
        prompt = json.loads(row["params"]).get("prompt", "")
        marker = next((m for m in markers if m in prompt), None)
        if marker is None or marker not in shown:
            continue
        if row["status"] != "completed":
            raise RuntimeError(f"browser job {marker} ended {row['status']}")
        done = sim.task_completed_at(row["task_id"])
        assert done is not None
        detect = (clock.mono(row["completed_at"]) - done) * speed
        pipeline = row["updated_at"] - row["completed_at"]
        to_browser = shown[marker] - row["updated_at"]
        result.detect.append(detect)
        result.pipeline.append(pipeline)
        result.to_browser.append(to_browser)
        result.total.append(detect + pipeline + to_browser)
    if len(result.total) != jobs:
        raise RuntimeError(f"only {len(result.total)} of {jobs} browser jobs were measured")
    return result
