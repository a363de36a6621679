"""Shared fixtures: a contract simulator, a recording proxy in front of it, the launched studio, Chromium.

The studio under test is the real app (`seedance_ui.ui.server.create_app` + `launch_kwargs`, exactly what
app.py runs) on a free port in this process, pointed at an independent server that follows the API
contract: the simulator, reached through a small proxy that records every request body, so tests can
check that each control's value reaches the body exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from pg_server import backend_url, db, db_pair, postgres_server, postgres_url  # noqa: F401  (a real PostgreSQL, #22)
from ports import free_port
from s3_server import s3_server  # noqa: F401  (fixture: a real S3 API on loopback, moto, #22)

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "screenshots"
# `make test` passes its CHROMIUM here, after `make chromium` made sure it (and the CJK font) exist.
CHROMIUM = os.environ.get("SEEDANCE_TEST_CHROMIUM") or "/usr/bin/chromium"
INSTALL_BROWSER = "sudo apt-get update && sudo apt-get install -y chromium fonts-wqy-microhei"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_KEY = "sk-test-server-key-0123456789"
# Simulated seconds per real second: a 4 s 480p clip (84 simulated s) takes about 2 s, long enough to
# watch the percent rise in the browser, short enough for the suite.
SIM_SPEED = 40.0
POLL_INTERVAL = 0.1


# --------------------------------------------------------------------------------------------------
# Recording proxy


@dataclass
class Recorded:
    method: str
    path: str
    authorization: str | None
    body: Any
    headers: dict[str, str] = field(default_factory=dict)  # every request header, names in lower case


HOLD_LIMIT = 120.0  # seconds a held request waits at most (RecordingProxy.holding), should a test forget it


class RecordingProxy:
    """Forwards every request to `upstream` and records method, path, Authorization, JSON body and
    headers."""

    HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"})

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port
        self.records: list[Recorded] = []
        self._lock = threading.Lock()
        self._holds: list[tuple[str, threading.Event]] = []  # (path prefix, gate): see `holding`
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                with proxy._lock:
                    proxy.records.append(
                        Recorded(self.command, self.path, self.headers.get("Authorization"), body,
                                 {k.lower(): v for k, v in self.headers.items()})
                    )
                proxy.wait_if_held(self.path)
                conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                try:
                    conn.request(self.command, self.path, body=raw or None, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                finally:
                    conn.close()
                self.send_response(resp.status)
                for key, value in resp.getheaders():
                    if key.lower() not in proxy.HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> RecordingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @contextlib.contextmanager
    def holding(self, path_prefix: str) -> Iterator[None]:
        """While inside, requests on paths starting with `path_prefix` are recorded but wait here,
        unanswered, until the block ends (then they go on): a test keeps a job where it is (e.g. its polls
        never learn it ended) for as long as it needs, with no clock involved."""
        hold = (path_prefix, threading.Event())
        with self._lock:
            self._holds.append(hold)
        try:
            yield
        finally:
            hold[1].set()
            with self._lock:
                self._holds.remove(hold)

    def wait_if_held(self, path: str) -> None:
        with self._lock:
            gates = [gate for prefix, gate in self._holds if path.startswith(prefix)]
        for gate in gates:
            gate.wait(HOLD_LIMIT)

    def creates(self) -> list[Recorded]:
        with self._lock:
            return [
                r for r in self.records if r.method == "POST" and r.path.startswith("/v1/videos/generations")
            ]

    def count(self, method: str, path: str) -> int:
        """How many recorded requests used `method` on exactly `path`."""
        with self._lock:
            return sum(1 for r in self.records if r.method == method and r.path == path)

    def creates_with(self, text: str) -> list[Recorded]:
        return [r for r in self.creates() if isinstance(r.body, dict) and text in str(r.body.get("prompt"))]


# --------------------------------------------------------------------------------------------------
# The launched studio


@dataclass
class LiveApp:
    url: str
    runtime: Any
    demo: Any
    proxy: RecordingProxy
    simulator: Any
    data_dir: Path
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="session")
def simulator() -> Iterator[Any]:
    from seedance_ui.simulator import Simulator

    sim = Simulator(speed=SIM_SPEED, api_key=SERVER_KEY).start()
    yield sim
    sim.stop()


def _launch(settings: Any, proxy: RecordingProxy, simulator: Any) -> LiveApp:
    from seedance_ui.ui.server import create_app, launch_kwargs

    demo, runtime = create_app(settings)
    port = free_port()
    demo.launch(
        **launch_kwargs(
            runtime, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True
        )
    )
    return LiveApp(f"http://127.0.0.1:{port}/", runtime, demo, proxy, simulator, Path(settings.data_dir))


def _close(app: LiveApp) -> None:
    with contextlib.suppress(Exception):
        app.demo.close()
    app.runtime.close()


def server_key_settings(proxy: RecordingProxy, data_dir: Path, **overrides: Any) -> Any:
    """Settings of a studio with a server key, its API behind `proxy` (`overrides` win)."""
    from seedance_ui.config import Settings

    return Settings(
        **{
            "api_key": SERVER_KEY,
            "base_url": proxy.url,
            "data_dir": data_dir,
            "poll_interval": POLL_INTERVAL,
            "request_timeout": 10.0,
            "download_timeout": 30.0,
            "max_jobs_in_flight": 8,
            "max_jobs_per_owner": 4,
            **overrides,
        }
    )


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory, simulator: Any) -> Iterator[LiveApp]:
    """The studio with a server key, against the simulator through the recording proxy."""

    proxy = RecordingProxy(simulator.base_url).start()
    app = _launch(server_key_settings(proxy, tmp_path_factory.mktemp("studio-data")), proxy, simulator)
    yield app
    _close(app)
    proxy.stop()


@contextlib.contextmanager
def launched_demo_app(
    tmp_path_factory: pytest.TempPathFactory, simulator: Any, name: str, **overrides: Any
) -> Iterator[LiveApp]:
    """The studio in demo mode (no server key) on its own data dir (`name`): its own in-process simulator
    answers, and a visitor's key goes to EVOLINK_BASE_URL (the shared simulator through a recording
    proxy). `overrides`: further Settings fields (an undo time, a prompt cap)."""
    from seedance_ui.config import Settings

    proxy = RecordingProxy(simulator.base_url).start()
    settings = Settings(
        api_key="",
        base_url=proxy.url,
        data_dir=tmp_path_factory.mktemp(name),
        poll_interval=POLL_INTERVAL,
        simulator_speed=SIM_SPEED,
        request_timeout=10.0,
        **overrides,
    )
    app = _launch(settings, proxy, simulator)
    try:
        yield app
    finally:
        _close(app)
        proxy.stop()


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory: pytest.TempPathFactory, simulator: Any) -> Iterator[LiveApp]:
    """The studio in demo mode, shared by the session's tests that need no settings of their own."""
    with launched_demo_app(tmp_path_factory, simulator, "demo-data") as app:
        yield app


# --------------------------------------------------------------------------------------------------
# Chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright; see `missing_system_package` for when it is missing.

    Module-scoped on purpose: sync Playwright keeps an event loop running in the main thread while it
    is open, which would break pytest-asyncio tests in later modules."""
    if not Path(CHROMIUM).exists():
        missing_system_package(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def missing_system_package(what: str) -> None:
    """A test cannot run without Chromium or the CJK font: fail under CI=true and under `make test`
    (which checked them first), skip only when pytest is run by hand; either way name the command
    that installs them."""
    message = f"{what}: install Debian's chromium and the CJK font: `{INSTALL_BROWSER}` (or `make chromium`)"
    if os.environ.get("CI", "").lower() == "true" or os.environ.get("SEEDANCE_TEST_CHROMIUM"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture()
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


def run_async(coro: Any) -> Any:
    """Run a coroutine to completion on a fresh event loop in its own thread (safe in any context)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def wait_until(predicate: Any, timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Poll `predicate` until it returns something truthy; AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def card_attributes(page: Any, *names: str) -> tuple[str | None, ...]:
    """Attributes of the studio's progress card, read in one go (Gradio patches the card in place, so
    separate reads can mix two renders); Nones while there is no card."""
    values = page.evaluate(
        """(names) => {
            const card = document.querySelector('#sd-progress .sd-progress');
            return names.map((name) => (card ? card.getAttribute(name) : null));
        }""",
        list(names),
    )
    return tuple(values)
