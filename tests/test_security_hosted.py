"""Adversarial tests against the launched studio, as a public Space would run it.

One studio with a distinctive server key (a canary), a visitor budget and a rate limit, against an
independent contract server (the simulator behind the recording proxy). Every HTTP response the studio
sends is recorded by a middleware, every log line by a root handler at DEBUG. In order:

1. two browser contexts (two visitors) try to reach each other's items through the page, raw queue
   events with guessed ids, the programmatic API and the file route, and fail; a spent visitor budget
   says so in the page;
2. script payloads in prompts and in provider error messages stay inert in Chromium;
3. a visitor's own key is used for their jobs only, and the server's canary key — and the visitor's —
   appear in no page, asset, API response, log line, database or file (the last test scans all the
   traffic of the module).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import re
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from conftest import RecordingProxy, card_attributes, free_port, wait_until
from gradio_client import Client
from gradio_client.exceptions import AppError
from page_helpers import wait_loaded
from starlette.middleware import Middleware

from seedance_ui.config import Settings
from seedance_ui.options import MODEL_FAST
from seedance_ui.pricing import estimate
from seedance_ui.store import JobStatus

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

ADDRESSES = itertools.count(1)
CANARY = "sk-LEAKCANARY-" + secrets.token_hex(12)
VISITOR_CANARY = "sk-VISITORCANARY-" + secrets.token_hex(12)
QUICK_COST = estimate(MODEL_FAST, "480p", 4).credits
TIMEOUT_MS = 20_000
TERMINAL = {"completed", "failed", "cancelled", "unknown_outcome", "expired"}
PAYLOADS = (
    '<img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=1</script>",
    '"><svg onload="window.__pwned=1;alert(1)">',
    "<iframe srcdoc=\"<script>parent.__pwned=1</script>\"></iframe>",
)


# --------------------------------------------------------------------------------------------------
# the studio under attack


class ResponseTee:
    """ASGI middleware: keeps every response's headers and body bytes the studio sends."""

    chunks: ClassVar[list[bytes]] = []
    paths: ClassVar[list[str]] = []

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        ResponseTee.paths.append(scope.get("path", ""))

        async def tee(message: Any) -> None:
            if message["type"] == "http.response.start":
                ResponseTee.chunks.append(b"\n".join(k + b": " + v for k, v in message.get("headers", [])))
            elif message["type"] == "http.response.body":
                ResponseTee.chunks.append(bytes(message.get("body") or b""))
            await send(message)

        await self.app(scope, receive, tee)


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.lines.append(logging.Formatter("%(name)s %(levelname)s %(message)s").format(record))


class Hosted:
    def __init__(self, url: str, runtime: Any, demo: Any, proxy: RecordingProxy, simulator: Any,
                 data_dir: Path, logs: LogCapture, started: float) -> None:
        self.url, self.runtime, self.demo, self.proxy = url, runtime, demo, proxy
        self.simulator, self.data_dir, self.logs, self.started = simulator, data_dir, logs, started
        self.browser_texts: list[str] = []  # bodies the browser received, page HTML, storage

    @property
    def base(self) -> str:
        return self.url.rstrip("/")


RESPONSES: dict[int, list[Any]] = {}  # page -> the responses it received
LOGGERS = ("seedance_ui", "httpx", "httpcore", "gradio", "uvicorn", "starlette", "fastapi")


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosted]:
    from seedance_ui.simulator import Simulator
    from seedance_ui.ui.server import create_app, launch_kwargs

    started = time.time()
    logs = LogCapture()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    root.addHandler(logs)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    ResponseTee.chunks.clear()
    ResponseTee.paths.clear()
    simulator = Simulator(speed=100.0).start()  # accepts any key; the proxy records which one came
    proxy = RecordingProxy(simulator.base_url).start()
    data_dir = tmp_path_factory.mktemp("hosted-data")
    settings = Settings(
        api_key=CANARY,
        base_url=proxy.url,
        data_dir=data_dir,
        poll_interval=0.05,
        request_timeout=10.0,
        download_timeout=30.0,
        max_jobs_in_flight=8,
        max_jobs_per_owner=4,
        visitor_daily_budget_credits=QUICK_COST * 2.5,  # two quick videos per visitor per day
        visitor_submits_per_minute=20,
        trust_proxy=True,  # as on Spaces: each browser below comes from an address of its own
    )
    demo, runtime = create_app(settings)
    port = free_port()
    kwargs = launch_kwargs(runtime, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                           quiet=True)
    app_kwargs = dict(kwargs["app_kwargs"])
    app_kwargs["middleware"] = [*app_kwargs.get("middleware", []), Middleware(ResponseTee)]
    kwargs["app_kwargs"] = app_kwargs
    demo.launch(**kwargs)
    app = Hosted(f"http://127.0.0.1:{port}/", runtime, demo, proxy, simulator, Path(data_dir), logs, started)
    try:
        yield app
    finally:
        with contextlib.suppress(Exception):
            demo.close()
        runtime.close()
        proxy.stop()
        simulator.stop()
        root.removeHandler(logs)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


# --------------------------------------------------------------------------------------------------
# page and protocol helpers


def visitor(browser: Any, app: Hosted) -> tuple[Any, Any, list[str]]:
    """A new browser context (a new visitor) with the studio open; returns (context, page, dialogs)."""
    # Per-visitor limits bind a person by browser AND address: each context is a visitor elsewhere.
    address = f"198.51.100.{next(ADDRESSES)}"
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  extra_http_headers={"x-forwarded-for": address})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    responses: list[Any] = []
    page.on("response", lambda response: responses.append(response))
    RESPONSES[id(page)] = responses
    page.goto(app.url)
    wait_loaded(page)
    return context, page, dialogs


def keep_browser_evidence(app: Hosted, page: Any) -> None:
    """What this page received and holds: response bodies (not streams), its HTML, its storage."""
    for response in RESPONSES.pop(id(page), []):
        with contextlib.suppress(Exception):
            if "event-stream" not in (response.headers.get("content-type") or ""):
                app.browser_texts.append(response.url + "\n" + response.body().decode("utf-8", "replace"))
    app.browser_texts.append(page.content())
    app.browser_texts.append(page.evaluate("() => JSON.stringify({...localStorage, ...sessionStorage})"))
    app.browser_texts.append(json.dumps(page.context.cookies()))


def card(page: Any) -> tuple[str | None, str | None]:
    status, job = card_attributes(page, "data-status", "data-job")
    return status, job


def generate(page: Any, prompt: str, *, until: set[str] = TERMINAL, timeout: float = 30.0) -> str:
    """Fill the create panel (Fast, 480p, 4 s), press Generate, wait for a new job to end; its status."""
    before = card(page)[1]
    page.fill("#sd-prompt textarea", prompt)
    page.click('#sd-model [data-testid="Fast-radio-label"]')
    page.click('#sd-quality [data-testid="480p-radio-label"]')
    box = page.locator("#sd-duration input[type=number]")
    box.fill("4")
    box.press("Enter")
    box.blur()
    page.click("#sd-generate")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, job = card(page)
        if job and job != before and status in until:
            return status
        time.sleep(0.05)
    raise AssertionError(f"no new job reached {until}: {card(page)}")


def captions(page: Any) -> list[str]:
    return [c.strip() for c in page.locator("#sd-history .caption-label").all_inner_texts()]


def studio_fn(app: Hosted, name: str) -> int:
    """The queue index of one of the Studio's handlers (the page calls them by this number)."""
    for index, fn in app.demo.fns.items():
        owner = getattr(fn.fn, "__self__", None)
        if fn.name == name and type(owner).__module__.startswith("seedance_ui.ui.studio."):
            return index
    raise KeyError(name)


def raw_event(app: Hosted, fn_index: int, data: list[Any], session_hash: str | None = None) -> list[dict]:
    """Call a page event the way a hand-written client would: POST queue/join, read the SSE stream."""
    session = session_hash or secrets.token_hex(6)
    messages: list[dict] = []
    with httpx.Client(base_url=app.base, timeout=20) as http:
        joined = http.post("/gradio_api/queue/join", json={"data": data, "fn_index": fn_index,
                                                           "session_hash": session, "trigger_id": None})
        joined.raise_for_status()
        with http.stream("GET", f"/gradio_api/queue/data?session_hash={session}") as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                messages.append(message)
                if message.get("msg") in ("process_completed", "close_stream", "unexpected_error"):
                    break
    return messages


def job_by_prompt(app: Hosted, text: str) -> Any:
    rows = app.runtime.store.db._conn.execute("SELECT id, owner FROM jobs").fetchall()
    for row in rows:
        rec = app.runtime.store.get(row["id"])
        if rec is not None and text in rec.params.get("prompt", ""):
            return rec
    raise AssertionError(f"no job with {text!r}")


# --------------------------------------------------------------------------------------------------
# 1. isolation


def test_two_visitors_cannot_reach_each_others_items(browser: Any, hosted: Hosted) -> None:
    ctx_a, page_a, _ = visitor(browser, hosted)
    ctx_b, page_b, _ = visitor(browser, hosted)

    # A makes a video; it is in A's history.
    assert generate(page_a, "Isolation: the victim's private lantern festival") == "completed"
    wait_until(lambda: captions(page_a) and "Isolation: the victim" in captions(page_a)[0])
    victim = job_by_prompt(hosted, "victim's private lantern")
    assert victim.status == JobStatus.COMPLETED and re.fullmatch(r"[0-9a-f]{32}", victim.owner)

    # B, another browser, sees none of it: an idle panel, an empty history, even after a reload.
    page_b.reload()
    wait_loaded(page_b)  # the load has answered with B's history: what it shows is all there is
    assert captions(page_b) == [] and card(page_b)[0] == "idle"
    assert "lantern festival" not in page_b.content()

    # B crafts raw queue events naming A's job id (and guessing owners): the job ids the handlers act
    # on live in server-side session state, never in what a browser sends, and the owner is checked.
    attacker = secrets.token_hex(16)
    attempts = (
        ("delete", [victim.id, attacker]),
        ("cancel_selected", [victim.id, attacker]),
        ("cancel", [victim.id, attacker]),
        ("reuse", [victim.id, attacker]),
        ("continue_shot", [victim.id, attacker]),
        ("follow_detail", [victim.id, attacker]),
        ("on_load", [victim.id]),  # a job id is not an owner
        ("on_load", ["hf:" + "x"]),  # nor can a browser claim a signed-in owner
        ("delete", [victim.id, victim.id]),
    )
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda a: raw_event(hosted, studio_fn(hosted, a[0]), a[1]), attempts))
    for (name, _data), messages in zip(attempts, answers, strict=True):
        assert messages and messages[-1].get("msg") == "process_completed", name
        blob = json.dumps(messages)
        assert "lantern" not in blob and "Settings restored" not in blob and "Deleted" not in blob, name
        assert "Continuing this shot" not in blob and "-last.png" not in blob, name
    assert hosted.runtime.manager.get(victim.id, victim.owner).status == JobStatus.COMPLETED

    # The manager refuses every cross-owner action on a known id.
    manager = hosted.runtime.manager
    assert manager.get(victim.id, attacker) is None and manager.list(attacker) == []
    assert manager.delete(victim.id, attacker) is False
    assert manager.cancel(victim.id, attacker) == "No such job."

    # The programmatic API: B's call gets B's video; it never lists or returns A's items.
    client = Client(hosted.url, verbose=False, download_files=False)
    _video, result = client.predict(prompt="Isolation API: the attacker's own shot", model=MODEL_FAST,
                                    duration=4, quality="480p", api_name="/generate")
    assert result["id"] != victim.id and "lantern" not in json.dumps(result)
    assert "owner" not in result and "idempotency_token" not in result and "video_url" not in result
    # An API caller is a visitor of its own (its own cookie identity), never the victim.
    api_owner = hosted.runtime.store.get(result["id"]).owner
    api_job = manager.get(result["id"], api_owner)
    assert api_job is not None and re.fullmatch(r"[0-9a-f]{32}", api_owner) and api_owner != victim.owner
    assert manager.list(victim.owner)[0].id == victim.id
    assert all(r.owner != api_owner for r in manager.list(victim.owner))

    # Files: only our media folders, under our own names. The databases, the boards and guessed ids
    # are refused, whatever the spelling of the path.
    data = hosted.data_dir.resolve()
    from seedance_ui.storyboard import Board, BoardStore

    boards = BoardStore(data, db=hosted.runtime.store.db)
    boards.save(Board(owner=victim.owner, title="The victim's storyboard"))
    picture = boards.owner_dir(victim.owner) / "cast" / f"{'c' * 64}.png"  # a board's cast picture
    picture.parent.mkdir(parents=True, exist_ok=True)
    picture.write_bytes(b"\x89PNG")
    for path in (
        picture,
        data / "studio.sqlite3",
        data / "studio.sqlite3-wal",
        data / "history.sqlite3",
        data / "history.sqlite3-wal",
        data / "history.sqlite3.v1-backup",
        data / "jobs.sqlite3",
        data / "budget.sqlite3",
        data / "videos" / f"{secrets.token_hex(16)}.mp4",
        data / "videos" / ".." / "history.sqlite3",
        data / "posters" / ".." / "jobs.sqlite3",
        data / "videos" / ".." / "studio.sqlite3",
    ):
        for url in (f"{hosted.base}/gradio_api/file={path}", f"{hosted.base}/gradio_api/file/{path}"):
            assert httpx.get(url).status_code in (403, 404), url
    # A's video is reachable only by its 128-bit random name (a capability, like the page's cache URLs).
    own = data / "videos" / f"{victim.id}.mp4"
    assert httpx.get(f"{hosted.base}/gradio_api/file={own}").status_code == 200

    # A's budget on the server key (two quick videos a day) does not cover a 15 s 720p video: the page
    # says so, and nothing is sent.
    creates = len(hosted.proxy.creates())
    page_a.fill("#sd-prompt textarea", "Isolation: a video too long for the budget")
    page_a.click('#sd-quality [data-testid="720p-radio-label"]')
    box = page_a.locator("#sd-duration input[type=number]")
    box.fill("15")
    box.press("Enter")
    box.blur()
    # The page holds the new values once the cost card has answered for them.
    page_a.wait_for_selector("#sd-cost .sd-cost-note >> text=720p · 15 s")
    page_a.click("#sd-generate")
    page_a.wait_for_selector("#sd-status .sd-notice.is-error")
    status = page_a.inner_text("#sd-status")
    assert "Your daily budget on this Space's key does not cover this video" in status, status
    assert "00:00 UTC" in status and "own Evolink key" in status
    assert len(hosted.proxy.creates()) == creates

    keep_browser_evidence(hosted, page_a)
    keep_browser_evidence(hosted, page_b)
    ctx_a.close()
    ctx_b.close()


# --------------------------------------------------------------------------------------------------
# 2. script payloads


def assert_inert(page: Any, dialogs: list[str]) -> None:
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []
    planted = "img[src=\"x\"], svg[onload], iframe[srcdoc]"
    assert page.evaluate(f"() => document.querySelectorAll('{planted}').length") == 0
    scripts = page.evaluate("() => [...document.scripts].map(s => s.textContent).join('\\n')")
    assert "__pwned" not in scripts


def test_script_payloads_in_prompts_and_provider_messages_stay_inert(browser: Any, hosted: Hosted) -> None:
    context, page, dialogs = visitor(browser, hosted)
    # no maxlength: a long paste is kept and counted (#24); the cap holds at Generate and at the edge
    assert page.get_attribute("#sd-prompt textarea", "maxlength") is None

    # A provider that fails a task with a payload in its message (one poll answers it).
    hosted.simulator.inject(
        "get",
        status=200,
        body=json.dumps({"id": "task-xss", "status": "failed", "progress": 0,
                         "error": {"code": "service_error", "message": "Backend said " + PAYLOADS[0]}}),
    )
    assert generate(page, "XSS task failure: a quiet canal") == "failed"
    page.wait_for_selector("#sd-status .sd-notice.is-error")
    assert PAYLOADS[0] in page.inner_text("#sd-status")  # shown, as text
    assert_inert(page, dialogs)

    # A provider that refuses the create with a payload in its error body (failed tasks are free: the
    # visitor's budget still allows the next one).
    hosted.simulator.inject(
        "create",
        status=400,
        body=json.dumps({"error": {"code": "invalid_parameters", "message": "Bad prompt " + PAYLOADS[2],
                                   "type": "invalid_request_error"}}),
    )
    assert generate(page, "XSS create refusal: a paper moon") == "failed"
    page.wait_for_selector("#sd-status .sd-notice.is-error")
    assert PAYLOADS[2] in page.inner_text("#sd-status")
    assert_inert(page, dialogs)

    # Payloads in the prompt: through the progress card, the history caption, the detail panel.
    prompt = "XSS prompt: a neon sign reads " + " ".join(PAYLOADS)
    assert generate(page, prompt) == "completed"
    assert "<script>window.__pwned=1</script>" in page.inner_text("#sd-progress")
    wait_until(lambda: captions(page) and "XSS prompt" in captions(page)[0])
    page.locator("#sd-history .thumbnail-item").first.click()
    page.wait_for_selector('#sd-detail .sd-detail[data-status="completed"]')
    assert all(p in page.inner_text("#sd-detail") for p in PAYLOADS)
    # The failed items' details carry the provider's payloads too.
    page.locator("#sd-history .thumbnail-item").nth(2).click()
    page.wait_for_selector('#sd-detail .sd-detail[data-status="failed"]')
    assert PAYLOADS[0] in page.inner_text("#sd-detail")
    # Reuse puts the payload back into the prompt box as plain text.
    page.locator("#sd-history .thumbnail-item").first.click()
    page.wait_for_selector('#sd-detail .sd-detail[data-status="completed"]')
    page.click("#sd-reuse")
    wait_until(lambda: page.input_value("#sd-prompt textarea") == prompt)
    # Reuse has answered: its notice and its toast are in the page.
    page.wait_for_selector("#sd-status .sd-notice >> text=Settings restored from your history")
    page.wait_for_selector('[data-testid="toast-body"] >> text=Settings restored.')
    assert_inert(page, dialogs)
    # The request reached the provider verbatim (escaping is for display only).
    assert hosted.proxy.creates_with("XSS prompt")[0].body["prompt"] == prompt
    keep_browser_evidence(hosted, page)
    context.close()


# --------------------------------------------------------------------------------------------------
# edge limits


def test_oversized_requests_and_prompts_are_refused_at_the_edge(hosted: Hosted) -> None:
    creates = len(hosted.proxy.creates())
    huge = httpx.post(f"{hosted.base}/gradio_api/queue/join", content=b"x" * (3 * 1024 * 1024),
                      headers={"content-type": "application/json"})
    assert huge.status_code == 413
    with pytest.raises(AppError, match="over the 10,000 limit"):
        Client(hosted.url, verbose=False).predict(prompt="a" * 12_000, model=MODEL_FAST, duration=4,
                                                  quality="480p", api_name="/generate")
    with pytest.raises(AppError, match="model"):  # odd types are named, never a crash
        Client(hosted.url, verbose=False).predict(prompt="Odd model", model=["x"], api_name="/generate")
    assert len(hosted.proxy.creates()) == creates


# --------------------------------------------------------------------------------------------------
# 3. keys


def test_a_visitors_own_key_is_used_for_their_jobs_only(browser: Any, hosted: Hosted) -> None:
    context, page, _ = visitor(browser, hosted)
    assert "optional" in page.inner_text("#sd-key")  # live mode offers it too
    page.click("#sd-key > button, #sd-key .label-wrap")
    page.fill("#sd-key-box input", VISITOR_CANARY)
    page.click("#sd-key button:has-text('Use key')")
    page.wait_for_selector("#sd-key .sd-notice.is-success")
    assert page.input_value("#sd-key-box input") == ""
    assert generate(page, "Own key: a heron over the marsh") == "completed"
    [create] = hosted.proxy.creates_with("Own key: a heron")
    assert create.authorization == f"Bearer {VISITOR_CANARY}"
    # Their own key is their money: it is not counted against any budget of the server's key.
    job = job_by_prompt(hosted, "Own key: a heron")
    assert hosted.runtime.manager.guard.ledger.row(job.id) is None
    for create in hosted.proxy.creates():
        if "Own key" not in str(create.body.get("prompt")):
            assert create.authorization == f"Bearer {CANARY}"
    keep_browser_evidence(hosted, page)
    context.close()


def test_known_keys_never_appear_in_pages_assets_api_logs_or_files(browser: Any, hosted: Hosted) -> None:
    # A full generation through the page and one through the API, on the server's key.
    context, page, _ = visitor(browser, hosted)
    assert generate(page, "Leak scan: a lighthouse beam sweeps the fog") == "completed"
    page.locator("#sd-history .thumbnail-item").first.click()
    page.wait_for_selector('#sd-detail .sd-detail[data-status="completed"]')
    page.wait_for_function(
        "() => { const v = document.querySelector('#sd-detail-video video'); return v && v.readyState >= 2; }"
    )
    client = Client(hosted.url, verbose=False, download_files=False)
    # Providers that echo the key back in errors: a refused create, then a failed task.
    hosted.simulator.inject("create", status=401, body=json.dumps(
        {"error": {"code": "invalid_api_key", "message": f"Invalid key {CANARY} (Bearer {CANARY})"}}))
    with pytest.raises(AppError) as refused:
        client.predict(prompt="Leak scan: refused", model=MODEL_FAST, duration=4, quality="480p",
                       api_name="/generate")
    assert CANARY not in str(refused.value) and "Invalid key ***" in str(refused.value)
    hosted.simulator.inject("get", status=200, body=json.dumps(
        {"id": "task-leak", "status": "failed", "error": {"code": "service_error",
                                                            "message": f"upstream rejected {CANARY}"}}))
    with pytest.raises(AppError) as failed:
        client.predict(prompt="Leak scan: failed", model=MODEL_FAST, duration=4, quality="480p",
                       api_name="/generate")
    assert "upstream rejected ***" in str(failed.value)
    video, result = client.predict(prompt="Leak scan: API harbour at dawn", model=MODEL_FAST, duration=4,
                                   quality="480p", api_name="/generate")
    assert result["status"] == "completed"
    keep_browser_evidence(hosted, page)
    context.close()

    # Everything a visitor can fetch without a job of their own.
    public = [httpx.get(f"{hosted.base}{path}") for path in
              ("/", "/config", "/gradio_api/info", "/gradio_api/info?all_endpoints=true", "/healthz",
               "/theme.css", "/gradio_api/startup-events")]
    texts = [r.text for r in public] + hosted.browser_texts + [json.dumps(result), str(video)]

    # Every response the studio sent during this module, its log lines, its files (databases included).
    blobs = list(ResponseTee.chunks) + [t.encode() for t in texts]
    blobs += [line.encode() for line in hosted.logs.lines]
    files = [p for p in hosted.data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "studio.sqlite3" for p in files) and any(p.suffix == ".mp4" for p in files)
    blobs += [p.read_bytes() for p in files]
    cache = Path(hosted.demo.GRADIO_CACHE) if hasattr(hosted.demo, "GRADIO_CACHE") else None
    if cache and cache.is_dir():
        blobs += [p.read_bytes() for p in cache.rglob("*")
                  if p.is_file() and p.stat().st_mtime >= hosted.started]
    # What the provider received, apart from the Authorization header where keys belong.
    blobs += [json.dumps(r.body if not isinstance(r.body, bytes) else r.body.decode("latin-1")).encode()
              for r in hosted.proxy.records]

    assert len(ResponseTee.chunks) > 100 and len(hosted.logs.lines) > 20
    assert any("/assets/" in p or p.endswith(".js") for p in ResponseTee.paths)
    for secret in (CANARY, VISITOR_CANARY):
        needle = secret.encode()
        leaks = [b[:200] for b in blobs if needle in b]
        assert not leaks, f"{secret[:16]}… leaked: {leaks[:3]}"
    # The redaction really happened where a provider echoed the key.
    refused_job = job_by_prompt(hosted, "Leak scan: refused")
    assert refused_job.error_message.startswith("Invalid key *** (Bearer ***")
    assert job_by_prompt(hosted, "Leak scan: failed").error_message == "upstream rejected ***"
