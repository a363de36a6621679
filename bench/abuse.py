"""Abuse (issue 20): hostile input replayed against the running studio, from the outside only.

The studio runs as its own process (`python app.py`, demo mode, its own data dir and GRADIO_TEMP_DIR in
the bench's work folder); the bench drives it as a visitor or an attacker would: Debian's Chromium
through Playwright for what the page does (a picture in the cast's image input and "Add to cast", a
board file through "Import JSON / CSV", the exports, the Generate button), plain HTTP for what a script
does (anonymous POST /gradio_api/upload) and gradio_client for `/generate`. Nothing calls the studio's
own functions. Each attack gets a fresh studio, so that memory one attack left behind (an allocator
keeps what it freed) cannot hide the next one's growth.

- Memory (items 1, 2): peak RSS of the studio process (VmRSS sampled every 5 ms, and VmHWM, its
  kernel-kept peak, reset through /proc/<pid>/clear_refs when allowed) minus its RSS just before,
  for a 13000x13000 1-bit PNG of ~20 KB put in the cast's image input (one, then several at once from
  several visitors), and for a board whose cast embeds 40 such pictures (imported, then its contact
  sheet asked for). Each answer is timed from the moment the file is given to the page.
- Disk (item 8): growth of the data dir plus Gradio's upload folder per hostile visitor: an anonymous
  upload flood of distinct 10 MB files, one 10 MB picture as all 9 references of 8 `/generate` jobs,
  and boards of embedded 10 MB pictures imported until they pass the per-visitor quota.
- Exports (item 9): a victim's contact sheet of a one-shot board, alone and while an attacker's two
  pages export animatics of a 30-shot board whose shots all choose one long take; a probe process
  (bench/probe.py) sends the page's cost event all along.
- Generate (item 14): ten quick mouse clicks on Generate; the jobs the studio recorded for that prompt.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import os
import re
import secrets
import struct
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.browser import CHROMIUM, CHROMIUM_ARGS
from bench.common import PYTHON, ROOT, Child, percentile, rss_kib
from bench.gradio_api import API, Event, acall, join_body, session_hash
from bench.studio import Studio
from seedance_ui.config import load_settings
from seedance_ui.options import model_id

MB = 2**20
SAMPLE_SECONDS = 0.005  # RSS sampling period
SETTLE_SECONDS = 1.0  # after an attack's answers, before "RSS after" is read
QUIET_SECONDS = 3.0  # a Generate burst is over once no new job was recorded for this long
GIVE_UP_AFTER = 3  # a disk attack stops after this many refusals in a row (the bound is reached)
PAGE_MS = 60_000  # Playwright's default timeout for one page step
SIM_SPEED = "50"  # the demo simulator's time scale: takes finish in seconds
POLL_SECONDS = 0.1  # the studio's poll interval against its demo simulator, scaled alike
PROBE_WARMUP = 2.0  # the probe's first connections are not quiet samples
BOARD_FORMAT = {"format": "seedance-storyboard", "version": 1}  # what an exported board file starts with
PROMPT = "{marker} a lighthouse keeper climbs the spiral stairs as the storm breaks, slow dolly in"
REFERENCES_MODEL = model_id("references", "Fast")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The page events an image input's picture reaches, by the field a refusal names: (api_name, the image
# input's elem_id, the elem_id of what the page names as the event's trigger, the api_name of the event
# the page sends first to open the input's tab, None when it opens with the page).
PICTURE_EVENTS = {"cast image": ("add_cast", "sb-cast-image", "sb-cast-add-btn", "on_open"),
                  "first frame": ("on_frames", "sd-first-frame", "sd-first-frame", None)}
TYPED_NAME = {"cast image": "sb-cast-name"}  # the text box a visitor fills before the press
BOARD_ELEM = "sb-board-id"  # the open board's id, which the storyboard's events send back

# The page's answer to an action, checked in the page every 10 ms: a cast chip of that name, a change
# of the storyboard notice (its kind: is-success, is-warning, ...), or one of Gradio's error toasts.
OUTCOME_JS = """
([chip, before]) => {
  if (chip && document.querySelector(`#sb-cast-chips .sb-cast-chip[data-name="${CSS.escape(chip)}"]`))
    return 'accepted';
  const n = document.querySelector('#sb-notice .sd-notice');
  const now = n ? n.className + '|' + n.innerText : '';
  if (now !== before) return now;
  const toast = document.querySelector('.toast-body.error, .toast-wrap .error');
  return toast ? 'error|' + toast.innerText : false;
}
"""
NOTICE_JS = "() => { const n = document.querySelector('#sb-notice .sd-notice'); " \
            "return n ? n.className + '|' + n.innerText : ''; }"
# An export's answer: its preview, or an error notice (a refusal) in the notice or the export note.
EXPORT_JS = """
(preview) => {
  if (document.querySelector(preview)) return 'done';
  const n = document.querySelector(['#sb-notice', '#sb-export-note'].flatMap(
    box => [box + ' .sd-notice.is-error', box + ' .sd-notice.is-warning']).join(', '));
  return n ? 'refused|' + n.innerText : false;
}
"""


@dataclass(frozen=True)
class Plan:
    """How big each attack is (FULL: as the issue reports them; QUICK: the smoke scale)."""

    bomb_side: int = 13000  # a 1-bit PNG this many pixels square (~20 KB)
    at_once: int = 4  # bombs uploaded at once, from as many visitors
    board_bombs: int = 40  # cast entries of the bomb board, each a distinct bomb
    upload_mb: float = 10.0  # each flood upload, reference picture and board picture
    flood: int = 220  # anonymous uploads
    flood_clients: int = 8
    input_jobs: int = 8  # /generate jobs, each with the same picture as all its references
    input_refs: int = 9
    imports: int = 0  # boards imported (0: enough to pass the per-visitor quota by a fifth, at least 25)
    board_pictures: int = 2  # embedded pictures per imported board
    shots: int = 30  # the attacker's board, every shot choosing one take
    take_seconds: int = 15
    take_quality: str = "720p"
    victim_runs: int = 3  # quiet contact sheets before the attack (median)
    export_timeout: float = 600.0  # the longest wait for one export
    bursts: int = 3  # ten-click bursts, each from a new visitor
    clicks: int = 10
    click_gap: float = 0.06  # seconds between two clicks of a burst


FULL = Plan()
QUICK = Plan(bomb_side=6500, at_once=2, board_bombs=3, upload_mb=1.0, flood=6, flood_clients=3, input_jobs=2,
             input_refs=2, imports=2, shots=3, take_seconds=4, take_quality="480p", victim_runs=1,
             export_timeout=120.0, bursts=1)


@dataclass
class MemoryAttack:
    """One memory attack: what each upload got back and how long it took, and the studio's RSS."""

    name: str
    answers: list[str] = field(default_factory=list)  # "accepted", "refused: <message>", "no answer", ...
    seconds: list[float] = field(default_factory=list)
    rss_before_kib: int = 0
    rss_peak_kib: int = 0
    rss_after_kib: int = 0
    file_bytes: int = 0
    control_seconds: float = math.nan  # a plain 640x480 picture added the same way, after the attack
    via: str = "page"  # "page": Chromium, press to answer; else the event a script sent (PICTURE_EVENTS)
    upload_seconds: list[float] = field(default_factory=list)  # script: each POST /gradio_api/upload
    control_answer: str = ""

    @property
    def growth_mb(self) -> float:
        return (self.rss_peak_kib - self.rss_before_kib) / 1024

    @property
    def refused(self) -> bool:
        return bool(self.answers) and all(a.startswith("refused") for a in self.answers)


@dataclass
class DiskAttack:
    """One hostile visitor's files: what was sent, what was taken, and how much the disk grew."""

    name: str
    sent: int = 0
    sent_bytes: int = 0
    taken: int = 0  # uploads, jobs or imports the studio accepted
    growth_bytes: int = 0
    quota_mb: int | None = None  # the bound this attack must stay under (None: no such setting)
    quota_name: str = ""
    refusal: str = ""  # the last refusal the attacker got


@dataclass
class ExportAttack:
    shots: int
    take_seconds: int
    victim_quiet: list[float] = field(default_factory=list)
    victim_attacked: float = math.nan
    attacker_seconds: list[float] = field(default_factory=list)  # NaN: no animatic within the timeout
    attacker_answers: list[str] = field(default_factory=list)
    probe_quiet: list[float] = field(default_factory=list)
    probe_attacked: list[float] = field(default_factory=list)
    probe_errors: int = 0


@dataclass
class AbuseResult:
    memory: list[MemoryAttack]
    disk: list[DiskAttack]
    exports: ExportAttack
    creates: list[int]  # jobs recorded per ten-click burst
    board_open_seconds: float = math.nan  # the storyboard tab's opening after the import attack
    chromium: str = ""
    protocol: list[MemoryAttack] = field(default_factory=list)  # item 1 as a script sends it


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}]   abuse: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# files an attacker makes


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, idat: bytes, *, bit_depth: int, color_type: int, tag: str) -> bytes:
    """A PNG of ready-made compressed pixels; `tag` (a tEXt comment) makes each file's bytes distinct."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"tEXt", b"Comment\0" + tag.encode())
            + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))


def bomb_pixels(side: int) -> bytes:
    """The compressed pixels of a black 1-bit square: ~20 KB for 13000 px, 169 M pixels decoded."""
    z = zlib.compressobj(9)
    row = bytes(1 + (side + 7) // 8)  # filter byte 0, then the row's bits
    return b"".join(z.compress(row) for _ in range(side)) + z.flush()


def bomb(side: int, pixels: bytes, tag: str) -> bytes:
    return png(side, side, pixels, bit_depth=1, color_type=0, tag=tag)


def noise_pixels(size_bytes: float, seed: int) -> tuple[int, bytes]:
    """(side, stored pixels) of an RGB noise square of about `size_bytes` (at least 300 px a side)."""
    side = max(300, round(math.sqrt(size_bytes / 3)))
    rows = np.random.default_rng(seed).integers(0, 256, (side, 1 + 3 * side), dtype=np.uint8)
    rows[:, 0] = 0
    return side, zlib.compress(rows.tobytes(), 0)


def picture(side: int, pixels: bytes, tag: str) -> bytes:
    return png(side, side, pixels, bit_depth=8, color_type=2, tag=tag)


def new_id() -> str:
    return secrets.token_hex(16)


def board_file(title: str, shots: list[dict[str, Any]], cast: list[bytes], *, quality: str = "480p",
               style: str = "") -> dict[str, Any]:
    """A board file as the studio exports it (owner left out, as in a shared file), cast images embedded."""
    entries = [{"id": new_id(), "name": f"cast {i + 1}", "sha256": hashlib.sha256(image).hexdigest(),
                "suffix": ".png", "image": base64.b64encode(image).decode("ascii")}
               for i, image in enumerate(cast)]
    now = time.time()
    return {**BOARD_FORMAT, "id": new_id(), "title": title, "created_at": now, "updated_at": now,
            "settings": {"aspect_ratio": "16:9", "quality": quality, "model": model_id("text", "Fast"),
                         "style": style, "generate_audio": False},
            "shots": shots, "cast": entries, "pending": [], "pending_since": 0.0}


def shot(prompt: str, seconds: int) -> dict[str, Any]:
    return {"id": new_id(), "title": prompt.split()[0], "prompt": prompt, "duration": seconds, "takes": []}


# --------------------------------------------------------------------------------------------------
# measuring


class RssWatch:
    """The studio's RSS while an attack runs: VmRSS sampled in a thread every 5 ms, and VmHWM (the
    kernel's own peak, reset first through /proc/<pid>/clear_refs so that it covers this attack only)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.before = rss_kib(pid) or 0
        self.peak = self.before
        self._stop = threading.Event()
        self._hwm_reset = _reset_hwm(pid)
        self._hwm0 = rss_kib(pid, "VmHWM") or 0
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.peak = max(self.peak, rss_kib(self.pid) or 0)

    def stop(self) -> tuple[int, int, int]:
        """(RSS before, peak, RSS now) in KiB."""
        self._stop.set()
        self._thread.join()
        hwm = rss_kib(self.pid, "VmHWM") or 0
        if self._hwm_reset or hwm > self._hwm0:  # a peak of this attack, not of the studio's start
            self.peak = max(self.peak, hwm)
        return self.before, self.peak, rss_kib(self.pid) or 0


def _reset_hwm(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def disk_bytes(*folders: Path) -> int:
    """Bytes the files under `folders` take on disk (allocated blocks, as du counts them)."""
    total = 0
    for folder in folders:
        for root, _dirs, files in os.walk(folder):
            for name in files:
                with suppress(OSError):
                    total += os.lstat(os.path.join(root, name)).st_blocks * 512
    return total


def studio_disk(studio: Studio) -> int:
    return disk_bytes(studio.data_dir, studio.work / "gradio-tmp")


def quotas() -> dict[str, int | None]:
    """The studio's per-visitor disk quota and per-address upload quota in MB, from its default settings
    (None when this checkout has no such setting)."""
    settings = load_settings({}, dotenv_path=None)
    return {"visitor": getattr(settings, "visitor_disk_mb", None),
            "uploads": getattr(settings, "uploads_per_address_mb", None)}


def start_studio(work: Path, name: str) -> Studio:
    log(f"{name}: starting a fresh studio")
    return Studio(work, name, sim_url=None, poll_interval=POLL_SECONDS,
                  extra_env={"SEEDANCE_SIMULATOR_SPEED": SIM_SPEED})


@contextmanager
def studio_of(work: Path, name: str) -> Iterator[Studio]:
    studio = start_studio(work, name)
    try:
        yield studio
    finally:
        studio.stop()


# --------------------------------------------------------------------------------------------------
# the page


async def open_tab(browser: Any, url: str, *, storyboard: bool = True, block_png: bool = False,
                   context: Any = None) -> Any:
    """A page of a new visitor (or of `context`'s), ready; on the Storyboard tab unless told otherwise.
    `block_png`: the browser does not fetch PNGs (a bomb's preview would cost Chromium, not the studio)."""
    if context is None:
        context = await browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
        if block_png:
            await context.route("**/*.png", lambda route: route.abort())
    page = await context.new_page()
    page.set_default_timeout(PAGE_MS)
    await page.goto(url)
    await page.wait_for_selector("#sd-prompt textarea")
    await page.wait_for_function("() => !!document.querySelector('#sd-progress .sd-progress')")
    if storyboard:
        await page.click("#sd-tab-storyboard-button")
        await page.wait_for_selector("#sb-tiles .sb-tile[data-shot]")
    return page


async def outcome(page: Any, before: str, chip: str = "", timeout: float = PAGE_MS / 1000) -> str:
    """The page's answer since the notice read `before`: "accepted" (the cast chip `chip` shows),
    "refused: ..." (a warning or error notice, or an error toast), "done: ..." (another notice)."""
    try:
        handle = await page.wait_for_function(OUTCOME_JS, arg=[chip, before], polling=10,
                                              timeout=timeout * 1000)
    except Exception:  # Playwright's timeout, or the page gone with the studio
        return "no answer"
    value = str(await handle.json_value())
    if value == "accepted":
        return value
    kind, _, text = value.partition("|")
    text = " ".join(text.replace("×", " ").split())[:160]  # one line, without a toast's close mark
    return f"done: {text}" if "is-success" in kind or "is-info" in kind else f"refused: {text}"


async def add_to_cast(page: Any, path: Path, name: str) -> tuple[float, str]:
    """A picture given to the cast's image input and "Add to cast" pressed, as a visitor does; the
    seconds from the press (from giving the file, when the page answers the upload itself) to the
    page's answer, and the answer."""
    box = page.locator("#sb-cast-name textarea, #sb-cast-name input").first
    await box.fill(name)
    before = await page.evaluate(NOTICE_JS)
    t0 = time.perf_counter()
    await page.set_input_files("#sb-cast-image input[type=file]", str(path))
    # Uploaded once the input holds it (its preview element), unless the page answered already.
    uploaded = "() => !!document.querySelector('#sb-cast-image img')"
    try:
        await page.wait_for_function(f"([c, b]) => ({uploaded})() || ({OUTCOME_JS})([c, b])",
                                     arg=[name, before], polling=10)
    except Exception:
        return time.perf_counter() - t0, "no answer"
    if await page.evaluate(uploaded):  # not refused on upload: the server's work starts with the press
        t0 = time.perf_counter()
        await page.click("#sb-cast-add-btn")
    answer = await outcome(page, before, chip=name)
    return time.perf_counter() - t0, answer


async def import_board(page: Any, path: Path, timeout: float = PAGE_MS / 1000) -> tuple[float, str]:
    """A board file through "Import JSON / CSV"; the seconds until the page answered, and the answer."""
    before = await page.evaluate(NOTICE_JS)
    t0 = time.perf_counter()
    async with page.expect_file_chooser() as chooser:
        await page.click("#sb-import")
    await (await chooser.value).set_files(str(path))
    answer = await outcome(page, before, timeout=timeout)
    return time.perf_counter() - t0, answer


async def export(page: Any, button: str, preview: str, timeout: float) -> tuple[float, str]:
    """Press an export button; the seconds until its preview shows (NaN if refused or never)."""
    t0 = time.perf_counter()
    await page.click(button)
    try:
        handle = await page.wait_for_function(EXPORT_JS, arg=preview, polling=20, timeout=timeout * 1000)
    except Exception:
        return math.nan, "no answer"
    answer = str(await handle.json_value())
    return (time.perf_counter() - t0 if answer == "done" else math.nan), answer


# --------------------------------------------------------------------------------------------------
# memory: items 1 and 2


async def cast_bombs(browser: Any, work: Path, name: str, bombs: list[Path],
                     control: Path | None = None) -> MemoryAttack:
    """Each bomb put in the cast by its own visitor, all at once, in a fresh studio; then, unmeasured,
    the `control` picture by another visitor (the page's own round trip, for comparison)."""
    with studio_of(work, name) as studio:
        pages = [await open_tab(browser, studio.url, block_png=True) for _ in bombs]
        result = MemoryAttack(name, file_bytes=bombs[0].stat().st_size)
        watch = RssWatch(studio.pid)
        answers = await asyncio.gather(*(add_to_cast(page, path, f"bomb {i + 1}")
                                         for i, (page, path) in enumerate(zip(pages, bombs, strict=True))))
        await asyncio.sleep(SETTLE_SECONDS)
        result.rss_before_kib, result.rss_peak_kib, result.rss_after_kib = watch.stop()
        result.seconds = [seconds for seconds, _ in answers]
        result.answers = [answer for _, answer in answers]
        for page in pages:
            await page.context.close()
        if control is not None:
            page = await open_tab(browser, studio.url, block_png=True)
            result.control_seconds, result.control_answer = await add_to_cast(page, control, "control")
            await page.context.close()
    return result


async def bomb_board(browser: Any, work: Path, path: Path) -> MemoryAttack:
    """The board of bomb cast pictures imported, then its contact sheet asked for, in a fresh studio."""
    with studio_of(work, "bomb-board") as studio:
        page = await open_tab(browser, studio.url, block_png=True)
        result = MemoryAttack("bomb board", file_bytes=path.stat().st_size)
        watch = RssWatch(studio.pid)
        seconds, answer = await import_board(page, path, timeout=300)
        if answer.startswith("done"):  # imported: the contact sheet prints the cast
            await export(page, "#sb-export-sheet", "#sb-sheet-preview img", timeout=300)
        await asyncio.sleep(SETTLE_SECONDS)
        result.rss_before_kib, result.rss_peak_kib, result.rss_after_kib = watch.stop()
        result.seconds, result.answers = [seconds], [answer]
        await page.context.close()
    return result


def bomb_files(plan: Plan, work: Path) -> tuple[list[Path], Path]:
    """The attack's pictures, written once: enough distinct bombs for every attack, and the control (a
    plain 640x480 RGB picture)."""
    files = work / "files"
    files.mkdir(parents=True, exist_ok=True)
    pixels = bomb_pixels(plan.bomb_side)
    paths = []
    for i in range(max(plan.at_once, plan.board_bombs)):
        paths.append(files / f"bomb-{i + 1}.png")
        paths[-1].write_bytes(bomb(plan.bomb_side, pixels, f"bomb {i + 1}"))
    control = files / "control.png"
    black = zlib.compress(bytes(480 * (1 + 3 * 640)))
    control.write_bytes(png(640, 480, black, bit_depth=8, color_type=2, tag="control"))
    return paths, control


async def memory_attacks(browser: Any, plan: Plan, work: Path) -> list[MemoryAttack]:
    paths, control = bomb_files(plan, work)
    board = board_file("Cast of bombs", [shot(PROMPT.format(marker="bombs"), 4)],
                       [p.read_bytes() for p in paths[:plan.board_bombs]])
    board_path = work / "files" / "bomb-board.json"
    board_path.write_text(json.dumps(board), encoding="utf-8")
    return [await cast_bombs(browser, work, "one bomb", paths[:1], control),
            await cast_bombs(browser, work, f"{plan.at_once} bombs at once", paths[:plan.at_once]),
            await bomb_board(browser, work, board_path)]


# --------------------------------------------------------------------------------------------------
# item 1 as a script sends it: the refusal itself, without the page's round trip


@dataclass(frozen=True)
class PictureEvent:
    """The page event a picture given to one image input reaches, and what a fresh page sends with it."""

    field: str
    event: Event  # fn_index, and the trigger the page names (the button pressed, or the input changed)
    values: tuple[Any, ...]  # every input's value on a fresh page (from /config)
    picture_at: int  # the image input's place among them
    name_at: int | None  # the typed name's place (the cast's "Name" box), None when the event has none
    opener: Event | None = None  # the tab's open event (owner, board, shot in; the open board's id out)
    board_at: int | None = None  # the open board's place among the inputs

    def data(self, owner: str, file: dict[str, Any], name: str, board: Any = None) -> list[Any]:
        """The event's inputs as the page sends them: the visitor's id in the browser state, the uploaded
        file in the image input, the name typed, the board the tab opened."""
        values = [owner if kind == "browserstate" else value
                  for kind, value in zip(self.event.inputs, self.values, strict=True)]
        values[self.picture_at] = file
        if self.name_at is not None:
            values[self.name_at] = name
        if self.board_at is not None:
            values[self.board_at] = board
        return values


def picture_event(config: dict[str, Any], field: str) -> PictureEvent:
    """`field`'s event (PICTURE_EVENTS) from the studio's /config, found as the page finds it: by
    fn_index (the event is private: no api_name route, but the page's own config lists it)."""
    api_name, image_elem, trigger_elem, opener_name = PICTURE_EVENTS[field]
    components = {c["id"]: c for c in config["components"]}
    by_elem = {c.get("props", {}).get("elem_id"): i for i, c in components.items()}
    deps = {d.get("api_name"): d for d in reversed(config["dependencies"]) if d.get("api_name")}
    dep = deps[api_name]
    inputs = list(dep["inputs"])
    event = Event(dep["id"], by_elem[trigger_elem], api_name,
                  tuple(components[i].get("type", "") for i in inputs))
    values = tuple(components[i].get("props", {}).get("value") for i in inputs)
    opener = None
    if opener_name:
        opened = deps[opener_name]
        opener = Event(opened["id"], opened["targets"][0][0], opener_name,
                       tuple(components[i].get("type", "") for i in opened["inputs"]))
    name = TYPED_NAME.get(field)
    board = by_elem.get(BOARD_ELEM)
    return PictureEvent(field, event, values, inputs.index(by_elem[image_elem]),
                        inputs.index(by_elem[name]) if name else None, opener,
                        inputs.index(board) if board in inputs else None)


async def upload(http: httpx.AsyncClient, base_url: str, path: Path) -> tuple[float, dict[str, Any]]:
    """`path` posted to /gradio_api/upload as the page posts a dropped file; the seconds it took, and the
    file value the page then sends with its event."""
    body = path.read_bytes()
    t0 = time.perf_counter()
    r = await http.post(f"{base_url}{API}/upload", params={"upload_id": secrets.token_hex(6)},
                        files=[("files", (path.name, body, "image/png"))])
    r.raise_for_status()
    stored = r.json()[0]
    return time.perf_counter() - t0, {
        "path": stored, "url": f"{base_url}{API}/file={stored}", "orig_name": path.name, "size": len(body),
        "mime_type": "image/png", "is_stream": False, "meta": {"_type": "gradio.FileData"}}


async def timed_event(http: httpx.AsyncClient, base_url: str, event: Event, data: list[Any], sh: str
                      ) -> tuple[float, str]:
    """POST queue/join, then the session's SSE stream read until this event's process_completed; the
    seconds from sending the join to that message, and the answer (`event_answer`)."""
    t0 = time.perf_counter()
    r = await http.post(f"{base_url}{API}/queue/join", json=join_body(event, data, sh))
    r.raise_for_status()
    event_id = r.json()["event_id"]
    warnings: list[str] = []  # the event's gr.Warning toasts ("log" messages)
    async with http.stream("GET", f"{base_url}{API}/queue/data", params={"session_hash": sh}) as stream:
        async for line in stream.aiter_lines():
            if not line.startswith("data:"):
                continue
            with suppress(ValueError):
                msg = json.loads(line[5:].strip())
                if msg.get("event_id") != event_id:
                    continue
                if msg.get("msg") == "log" and msg.get("level") in ("warning", "error"):
                    warnings.append(str(msg.get("log")))
                if msg.get("msg") == "process_completed":
                    return time.perf_counter() - t0, event_answer(msg, warnings)
                if msg.get("msg") == "close_stream":
                    break
    return time.perf_counter() - t0, "no answer"


def event_answer(msg: dict[str, Any], warnings: list[str] | None = None) -> str:
    """"refused: <message>" for an error (a `gr.Error`, e.g. the image guard's), a warning toast the
    event raised (`warnings`), or an error or warning notice of the storyboard; "accepted" for a success
    notice; "answered" for any other output."""
    output = msg.get("output") or {}
    if not msg.get("success", True):
        return f"refused: {one_line(str(output.get('error') or 'error'))}"
    if warnings:
        return f"refused: {one_line(warnings[0])}"
    for html in map(str, output.get("data") or []):
        kind = next((k for k in ("error", "warning", "success") if f'sd-notice is-{k}"' in html), None)
        if kind:
            text = one_line(re.sub(r"<[^>]+>", " ", html))
            return "accepted" if kind == "success" else f"refused: {text}"
    return "answered"


def one_line(text: str) -> str:
    return " ".join(text.split())[:160]


async def script_visitor(base_url: str, pe: PictureEvent, path: Path, name: str
                         ) -> tuple[float, float, str]:
    """One attacker's script, its own client (cookies) and session: the file uploaded, then the event
    sent; (upload seconds, event seconds: join to process_completed, answer)."""
    owner, sh, board = new_id(), session_hash(), None
    async with httpx.AsyncClient(timeout=httpx.Timeout(300.0)) as http:
        (await http.get(base_url + "/")).raise_for_status()  # the page's visit: its cookies
        if pe.opener is not None:  # the tab opened, as the page does first: the visitor's board
            opened = await acall(http, base_url, pe.opener, [owner, None, None], sh)
            board = opened[0].get("value") if isinstance(opened[0], dict) else opened[0]
        uploaded, file = await upload(http, base_url, path)
        seconds, answer = await timed_event(http, base_url, pe.event, pe.data(owner, file, name, board), sh)
    return uploaded, seconds, answer


async def scripted_bombs(work: Path, field: str, bombs: list[Path], control: Path) -> MemoryAttack:
    """Each bomb sent by its own script to `field`'s event, all at once, in a fresh studio (RSS watched
    from before the uploads); then, unmeasured, the `control` picture the same way."""
    name = f"{len(bombs)} bombs at once" if len(bombs) > 1 else "one bomb"
    with studio_of(work, f"script-{field.replace(' ', '-')}-{len(bombs)}") as studio:
        config = httpx.get(f"{studio.url}/config", timeout=10).json()
        pe = picture_event(config, field)
        result = MemoryAttack(name, file_bytes=bombs[0].stat().st_size, via=field)
        watch = RssWatch(studio.pid)
        runs = await asyncio.gather(*(script_visitor(studio.url, pe, path, f"bomb {i + 1}")
                                      for i, path in enumerate(bombs)))
        await asyncio.sleep(SETTLE_SECONDS)
        result.rss_before_kib, result.rss_peak_kib, result.rss_after_kib = watch.stop()
        result.upload_seconds = [u for u, _, _ in runs]
        result.seconds = [s for _, s, _ in runs]
        result.answers = [a for _, _, a in runs]
        _upload, result.control_seconds, result.control_answer = await script_visitor(
            studio.url, pe, control, "control")
    return result


async def scripted_attacks(plan: Plan, work: Path) -> list[MemoryAttack]:
    """Item 1 from a script, for each picture event: one bomb, then `plan.at_once` at once."""
    paths, control = bomb_files(plan, work)
    return [await scripted_bombs(work, field, paths[:n], control)
            for field in PICTURE_EVENTS for n in (1, plan.at_once)]


# --------------------------------------------------------------------------------------------------
# disk: item 8


async def upload_flood(plan: Plan, work: Path, quota: int | None) -> DiskAttack:
    """Distinct files posted to /gradio_api/upload with no cookie, `flood_clients` at a time."""
    side, pixels = noise_pixels(plan.upload_mb * MB, 8)
    result = DiskAttack("anonymous uploads", quota_mb=quota, quota_name="per-address upload quota")
    with studio_of(work, "upload-flood") as studio:
        before = studio_disk(studio)
        queue = list(range(plan.flood))

        async def client(http: httpx.AsyncClient) -> None:
            while queue:
                body = picture(side, pixels, f"upload {queue.pop()}")
                http.cookies.clear()
                result.sent += 1
                result.sent_bytes += len(body)
                try:
                    answer = await http.post(f"{studio.url}/gradio_api/upload",
                                             files=[("files", ("picture.png", body, "image/png"))])
                except httpx.HTTPError as exc:
                    result.refusal = type(exc).__name__
                    continue
                result.taken += answer.status_code == 200
                if answer.status_code != 200:
                    result.refusal = f"HTTP {answer.status_code}: {' '.join(answer.text.split())[:120]}"

        async with httpx.AsyncClient(timeout=120) as http:
            await asyncio.gather(*(client(http) for _ in range(plan.flood_clients)))
        result.growth_bytes = studio_disk(studio) - before
    return result


def reused_inputs(plan: Plan, work: Path, quota: int | None) -> DiskAttack:
    """One picture as every reference of several `/generate` jobs (gradio_client, as the README shows)."""
    from gradio_client import Client, handle_file

    side, pixels = noise_pixels(plan.upload_mb * MB, 9)
    path = work / "files" / "reference.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(picture(side, pixels, "reference"))
    result = DiskAttack("one picture reused as inputs", quota_mb=quota, quota_name="per-visitor disk quota")
    with studio_of(work, "reused-inputs") as studio:
        before = studio_disk(studio)
        client = Client(studio.url, verbose=False)
        refused_in_a_row = 0
        for i in range(plan.input_jobs):
            if refused_in_a_row >= GIVE_UP_AFTER:
                break
            result.sent += 1
            result.sent_bytes += plan.input_refs * path.stat().st_size
            try:
                client.predict(prompt=PROMPT.format(marker=f"reused {i}"), model=REFERENCES_MODEL,
                               duration=4, quality="480p", aspect_ratio="16:9", generate_audio=False,
                               reference_images=[handle_file(str(path))] * plan.input_refs,
                               api_name="/generate")
            except Exception as exc:  # a refusal is an AppError; a refused upload, an HTTP error
                result.refusal = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
                refused_in_a_row += 1
                continue
            result.taken += 1
            refused_in_a_row = 0
        result.growth_bytes = studio_disk(studio) - before
    return result


async def board_imports(browser: Any, plan: Plan, work: Path, quota: int | None
                        ) -> tuple[DiskAttack, float]:
    """Boards of embedded pictures imported by one visitor (a fresh page each: its notice starts empty)
    until they pass the quota, or the studio refused GIVE_UP_AFTER in a row; then the seconds the
    visitor's storyboard tab takes to open."""
    side, pixels = noise_pixels(plan.upload_mb * MB, 10)
    per_board = plan.board_pictures * plan.upload_mb * 4 / 3 * MB  # base64
    count = plan.imports or max(25, math.ceil(1.2 * (quota or 0) * MB / per_board))
    result = DiskAttack("board imports", quota_mb=quota, quota_name="per-visitor disk quota")
    folder = work / "files" / "boards"
    folder.mkdir(parents=True, exist_ok=True)
    with studio_of(work, "board-imports") as studio:
        first = await open_tab(browser, studio.url)
        before = studio_disk(studio)
        refused_in_a_row = 0
        for i in range(count):
            if refused_in_a_row >= GIVE_UP_AFTER:
                break
            cast = [picture(side, pixels, f"board {i} picture {k}") for k in range(plan.board_pictures)]
            path = folder / f"board-{i + 1}.json"
            board = board_file(f"Import {i + 1}", [shot(PROMPT.format(marker=i), 4)], cast)
            path.write_text(json.dumps(board))
            page = await open_tab(browser, studio.url, context=first.context)
            _seconds, answer = await import_board(page, path, timeout=120)
            result.sent += 1
            result.sent_bytes += path.stat().st_size
            result.taken += answer.startswith("done")
            refused_in_a_row = 0 if answer.startswith("done") else refused_in_a_row + 1
            result.refusal = answer if refused_in_a_row else result.refusal
            path.unlink()
            await page.close()
        result.growth_bytes = studio_disk(studio) - before
        page = await open_tab(browser, studio.url, context=first.context, storyboard=False)
        t0 = time.perf_counter()
        await page.click("#sd-tab-storyboard-button")
        await page.wait_for_selector("#sb-tiles .sb-tile[data-shot]")
        opened = time.perf_counter() - t0
        await first.context.close()
    return result, opened


# --------------------------------------------------------------------------------------------------
# exports: item 9


async def generate_first_shot(page: Any, timeout: float) -> None:
    """Shot 1 of the open board generated through the page (Generate this shot, Confirm), to its take."""
    await page.click("#sb-tiles .sb-tile[data-number='1'] .sb-tile-title")
    await page.wait_for_selector("#sb-editor-head-block .sb-editor-head[data-number='1']")
    await page.click("#sb-shot-generate")
    await page.wait_for_selector("#sb-confirm-card .sb-confirm-card")
    await page.click("#sb-confirm-go")
    await page.wait_for_selector("#sb-tiles .sb-tile[data-number='1'][data-state='done']",
                                 timeout=timeout * 1000)


async def exported_board(page: Any, folder: Path) -> dict[str, Any]:
    """The open board as the visitor downloads it (Export JSON)."""
    await page.click("#sb-export-json")
    link = page.locator("#sb-downloads td.filename[aria-label*='.json'] ~ td a").first
    await link.wait_for()
    async with page.expect_download() as info:
        await link.click()
    path = folder / "exported.json"
    await (await info.value).save_as(path)
    return json.loads(path.read_text(encoding="utf-8"))


def many_shots_of_one_take(exported: dict[str, Any], shots: int) -> dict[str, Any]:
    """The exported board with `shots` copies of its first shot, each choosing (a copy of) its take."""
    source = exported["shots"][0]
    take = next(t for t in source["takes"] if t["id"] == source["chosen_take"])
    copies = []
    for i in range(shots):
        copy = {**source, "id": new_id(), "title": f"Shot {i + 1}",
                "takes": [{**take, "id": new_id()}], "extends": None}
        copy["chosen_take"] = copy["takes"][0]["id"]
        copies.append(copy)
    board = {key: value for key, value in exported.items() if key != "owner"}
    return {**board, "id": new_id(), "title": f"{shots} shots of one take", "shots": copies}


async def board_with_take(browser: Any, url: str, folder: Path, title: str, seconds: int, quality: str,
                          timeout: float) -> Any:
    """A visitor's page on an imported one-shot board whose shot has a finished take."""
    page = await open_tab(browser, url)
    path = folder / f"{title}.json"
    path.write_text(json.dumps(board_file(title, [shot(PROMPT.format(marker=title), seconds)], [],
                                          quality=quality)))
    _seconds, answer = await import_board(page, path)
    if not answer.startswith("done"):
        raise RuntimeError(f"the {title} board was not imported: {answer}")
    await generate_first_shot(page, timeout)
    return page


async def attacker_pages(browser: Any, plan: Plan, studio: Studio, folder: Path) -> list[Any]:
    """Two pages of one attacker on a board of `plan.shots` shots all choosing one long take: the take
    made through the page, the board exported as JSON, its shot copied, the file imported back."""
    setup = await board_with_take(browser, studio.url, folder, "attacker", plan.take_seconds,
                                  plan.take_quality, plan.export_timeout)
    attack_board = folder / "attack.json"
    attack_board.write_text(json.dumps(many_shots_of_one_take(await exported_board(setup, folder),
                                                              plan.shots)))
    _seconds, answer = await import_board(setup, attack_board)
    if not answer.startswith("done"):
        raise RuntimeError(f"the attacker's {plan.shots}-shot board was not imported: {answer}")
    pages = [await open_tab(browser, studio.url, context=setup.context) for _ in range(2)]
    for page in pages:
        await page.wait_for_selector(f"#sb-tiles .sb-tile[data-number='{plan.shots}']")
    await setup.close()
    return pages


async def export_attack(browser: Any, plan: Plan, work: Path, studio: Studio) -> ExportAttack:
    """The victim's contact sheet alone, then while the attacker's two pages export animatics, with
    the cost-event probe running all along."""
    folder = work / "files" / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    result = ExportAttack(plan.shots, plan.take_seconds)
    attackers = await attacker_pages(browser, plan, studio, folder)
    victim = await board_with_take(browser, studio.url, folder, "victim", 4, "480p", plan.export_timeout)
    sheet = ("#sb-export-sheet", "#sb-sheet-preview img", plan.export_timeout)
    with probe(studio, work) as samples:
        await asyncio.sleep(PROBE_WARMUP)
        windows = {"quiet": time.time()}
        for _ in range(plan.victim_runs):
            page = await open_tab(browser, studio.url, context=victim.context)
            result.victim_quiet.append((await export(page, *sheet))[0])
            await page.close()
        await asyncio.sleep(PROBE_WARMUP)  # a few quiet samples after the exports too
        page = await open_tab(browser, studio.url, context=victim.context)
        windows["attack"] = time.time()
        animatics = [asyncio.create_task(export(a, "#sb-export-animatic", "#sb-animatic-preview video",
                                                plan.export_timeout)) for a in attackers]
        await asyncio.sleep(1.0)  # both animatics under way
        result.victim_attacked = (await export(page, *sheet))[0]
        answers = await asyncio.gather(*animatics)
        windows["end"] = time.time()
    result.attacker_seconds = [seconds for seconds, _ in answers]
    result.attacker_answers = [answer for _, answer in answers]
    split_probe(result, samples.get("samples", []), windows)
    await attackers[0].context.close()
    await victim.context.close()
    return result


def split_probe(result: ExportAttack, samples: list[list[float]], windows: dict[str, float]) -> None:
    """The probe's samples (scheduled wall time, latency, ok) before the attack and during it."""
    for wall, latency, ok in samples:
        if windows["quiet"] <= wall < windows["attack"]:
            result.probe_quiet.append(latency)
        elif windows["attack"] <= wall < windows["end"]:
            result.probe_attacked.append(latency)
        else:
            continue
        result.probe_errors += not ok


@contextmanager
def probe(studio: Studio, work: Path) -> Iterator[dict[str, Any]]:
    """The cost-event probe (bench/probe.py, 3 visitors, every 0.2 s) while the block runs; its samples
    fill the yielded dict when the block ends."""
    stop, out = work / "probe.stop", work / "probe.json"
    stop.unlink(missing_ok=True)
    out.unlink(missing_ok=True)
    samples: dict[str, Any] = {}
    child = Child([PYTHON, "-m", "bench.probe", "--url", studio.url, "--out", str(out), "--stop-file",
                   str(stop), "--visitors", "3", "--period", "0.2"], cwd=ROOT, log=work / "probe.log")
    try:
        yield samples
        stop.touch()
        child.proc.wait(60)
        samples.update(json.loads(out.read_text()))
    finally:
        stop.touch()
        child.stop()


# --------------------------------------------------------------------------------------------------
# Generate: item 14


async def click_bursts(browser: Any, plan: Plan, studio: Studio) -> list[int]:
    """Each burst: a new visitor types a prompt and clicks Generate `clicks` times, `click_gap` apart
    (mouse clicks where the button is: a disabled button takes none); the jobs recorded for it."""
    creates = []
    for burst in range(plan.bursts):
        marker = f"burst-{burst}-{secrets.token_hex(3)}"
        page = await open_tab(browser, studio.url, storyboard=False)
        await page.fill("#sd-prompt textarea", PROMPT.format(marker=marker))
        button = page.locator("#sd-generate")
        await button.scroll_into_view_if_needed()
        box = await button.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        for _ in range(plan.clicks):
            await page.mouse.click(x, y)
            await asyncio.sleep(plan.click_gap)
        creates.append(await settled_jobs(studio, marker))
        await page.context.close()
    return creates


async def settled_jobs(studio: Studio, marker: str, timeout: float = 60.0) -> int:
    """The jobs recorded with `marker` in their prompt, once at least one is and none came for 3 s."""
    deadline = time.monotonic() + timeout
    count, since = 0, time.monotonic()
    while time.monotonic() < deadline:
        now = sum(marker in json.loads(row["params"]).get("prompt", "")
                  for row in studio.rows("SELECT params FROM jobs"))
        if now != count:
            count, since = now, time.monotonic()
        elif count and time.monotonic() - since >= QUIET_SECONDS:
            break
        await asyncio.sleep(0.1)
    return count


# --------------------------------------------------------------------------------------------------


async def _run(plan: Plan, work: Path) -> AbuseResult:
    from playwright.async_api import async_playwright

    limits = quotas()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            memory = await memory_attacks(browser, plan, work)
            scripted = await scripted_attacks(plan, work)
            disk = [await upload_flood(plan, work, limits["uploads"]),
                    await asyncio.to_thread(reused_inputs, plan, work, limits["visitor"])]
            imports, opened = await board_imports(browser, plan, work, limits["visitor"])
            disk.append(imports)
            with studio_of(work, "exports-and-clicks") as studio:
                exports = await export_attack(browser, plan, work, studio)
                creates = await click_bursts(browser, plan, studio)
            return AbuseResult(memory, disk, exports, creates, opened, browser.version, scripted)
        finally:
            await browser.close()


def run(plan: Plan, work: Path) -> AbuseResult:
    work.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_run(plan, work))


def p99(values: list[float]) -> float:
    return percentile(values, 99)
