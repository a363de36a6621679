"""Issue 20, item 14: one press pays once. Ten quick clicks on Generate, a replayed page event, a
`/generate` or start_video call sent twice with one idempotency key: each makes exactly one job, counted
where it costs (the creates that reach the provider, through the recording proxy). And every create
carries the job id as its Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import SERVER_KEY, LiveApp, RecordingProxy, _close, _launch, run_async, wait_until
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from bench.gradio_api import acall, find_events, session_hash
from seedance_ui.config import Settings
from seedance_ui.options import MODEL_FAST
from seedance_ui.store import JobRecord
from seedance_ui.store.sqlite import SqliteDatabase

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

TIMEOUT_MS = 20_000
CLICKS = 10
CLICK_GAP_MS = 100  # ten clicks within a second: a nervous burst
BURST_JS = """({clicks, gap}) => {
    window.__burst = [];
    const button = document.querySelector('#sd-generate');
    for (let i = 0; i < clicks; i++) {
        setTimeout(() => { window.__burst.push(button.disabled); button.click(); }, i * gap);
    }
}"""


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The studio on a server key, its provider (the simulator) behind the recording proxy."""
    from seedance_ui.simulator import Simulator

    simulator = Simulator(speed=200.0, api_key=SERVER_KEY).start()
    proxy = RecordingProxy(simulator.base_url).start()
    settings = Settings(api_key=SERVER_KEY, base_url=proxy.url, data_dir=tmp_path_factory.mktemp("credits"),
                        poll_interval=0.05, request_timeout=10.0, max_jobs_per_owner=8)
    app = _launch(settings, proxy, simulator)
    app.base = app.url.rstrip("/")
    try:
        yield app
    finally:
        _close(app)
        proxy.stop()
        simulator.stop()


def jobs_with(studio: LiveApp, marker: str) -> list[JobRecord]:
    rows = studio.runtime.store.db._conn.execute("SELECT id FROM jobs").fetchall()
    records = [studio.runtime.store.get(row["id"]) for row in rows]
    return [r for r in records if r is not None and marker in r.params["prompt"]]


def sent(studio: LiveApp, marker: str) -> bool:
    """Every job with the marker has reached the provider (its create answered)."""
    made = jobs_with(studio, marker)
    return bool(made) and all(r.task_id for r in made)


def submit_data(prompt: str, token: Any) -> list[Any]:
    """The Generate click's inputs as the page sends them, the submission token last."""
    return [prompt, MODEL_FAST, 4, "480p", "16:9", False, False, None, None, True, None, None, None, "", "",
            token]


# --------------------------------------------------------------------------------------------------
# the page


@pytest.mark.browser
def test_ten_quick_clicks_make_one_job_and_the_button_is_off_meanwhile(browser: Any, studio: LiveApp) -> None:
    marker = "Ten clicks " + secrets.token_hex(4)
    page = browser.new_context().new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(studio.url)
    page.wait_for_selector("#sd-prompt textarea")
    page.fill("#sd-prompt textarea", f"{marker}: a lighthouse in a storm")
    # Ten clicks, a tenth of a second apart, timed by the page itself (so a busy test machine cannot
    # stretch the burst); each notes whether the button was already off when it came.
    page.evaluate(BURST_JS, {"clicks": CLICKS, "gap": CLICK_GAP_MS})
    page.wait_for_function(f"() => (window.__burst || []).length === {CLICKS}")
    states = page.evaluate("() => window.__burst")
    assert states[0] is False and all(states[1:]), states  # off from the first click until the answer
    page.wait_for_function("() => !document.querySelector('#sd-generate').disabled")
    wait_until(lambda: sent(studio, marker))
    assert len(jobs_with(studio, marker)) == 1
    assert len(studio.proxy.creates_with(marker)) == 1

    # Pressing again on purpose, once the job shows, is a new job.
    page.click("#sd-generate")
    wait_until(lambda: len(jobs_with(studio, marker)) == 2 and sent(studio, marker))
    assert len(studio.proxy.creates_with(marker)) == 2


def test_a_replayed_page_token_makes_one_job(studio: LiveApp) -> None:
    submit = find_events(studio.base)["submit"]
    marker = "Replayed token " + secrets.token_hex(4)
    token = secrets.token_urlsafe(16)

    async def scenario() -> list[list[Any]]:
        async with httpx.AsyncClient(timeout=30) as http:  # one visitor (its cookie), two sessions
            first = await acall(http, studio.base, submit, submit_data(f"{marker} #1", token), session_hash())
            both = await asyncio.gather(*(  # the same token twice at once, then once more later
                acall(http, studio.base, submit, submit_data(f"{marker} #{i}", token), session_hash())
                for i in (2, 3)
            ))
            return [first, *both]

    answers = run_async(scenario())
    wait_until(lambda: sent(studio, marker))
    [job] = jobs_with(studio, marker)
    assert len(studio.proxy.creates_with(marker)) == 1
    assert all(job.id in json.dumps(answer) for answer in answers)  # each answer shows that one job
    assert job.params["prompt"] == f"{marker} #1"


# --------------------------------------------------------------------------------------------------
# /generate and MCP


def generate_call(http: httpx.Client, base: str, prompt: str, key: str) -> str:
    data = [prompt, MODEL_FAST, 4, "480p", "16:9", False, False, None, None, None, [], [], True, key]
    joined = http.post(f"{base}/gradio_api/call/generate", json={"data": data})
    assert joined.status_code == 200, joined.text
    return http.get(f"{base}/gradio_api/call/generate/{joined.json()['event_id']}").text


def test_generate_with_the_same_idempotency_key_makes_one_job(studio: LiveApp) -> None:
    marker = "API key twice " + secrets.token_hex(4)
    key = "order-" + secrets.token_hex(8)
    with httpx.Client(timeout=60) as http:
        first = generate_call(http, studio.base, f"{marker} #1", key)
        second = generate_call(http, studio.base, f"{marker} #2", key)
    [job] = jobs_with(studio, marker)
    assert len(studio.proxy.creates_with(marker)) == 1
    assert job.id in first and job.id in second and "completed" in second
    with httpx.Client(timeout=60) as http:  # a bad key is refused by name, and nothing is made
        refused = generate_call(http, studio.base, f"{marker} #3", "has spaces in it")
    assert "idempotency_key" in refused and len(jobs_with(studio, marker)) == 1


@contextlib.asynccontextmanager
async def mcp_session(url: str) -> AsyncIterator[ClientSession]:
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(30, read=120)) as http,
        streamable_http_client(url, http_client=http) as (read, write, _),
        ClientSession(read, write) as mcp,
    ):
        await mcp.initialize()
        yield mcp


def test_start_video_with_the_same_idempotency_key_makes_one_job(studio: LiveApp) -> None:
    marker = "MCP key twice " + secrets.token_hex(4)
    key = "agent-" + secrets.token_hex(8)
    args = {"model": MODEL_FAST, "duration": 4, "quality": "480p", "generate_audio": False,
            "idempotency_key": key}

    async def scenario() -> list[dict[str, Any]]:
        async with mcp_session(f"{studio.base}/gradio_api/mcp/") as mcp:
            out = []
            for i in (1, 2):
                result = await mcp.call_tool("start_video", {"prompt": f"{marker} #{i}", **args})
                text = "".join(getattr(c, "text", "") for c in result.content)
                assert not result.isError, text
                out.append(json.loads(text))
            return out

    first, second = run_async(scenario())
    wait_until(lambda: sent(studio, marker))
    [job] = jobs_with(studio, marker)
    assert first["job_id"] == second["job_id"] == job.id
    assert len(studio.proxy.creates_with(marker)) == 1


# --------------------------------------------------------------------------------------------------
# the create itself, and the binding across restarts


def test_every_create_carries_the_job_id_as_its_idempotency_key(studio: LiveApp) -> None:
    marker = "Header " + secrets.token_hex(4)
    submit = find_events(studio.base)["submit"]

    async def one() -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            await acall(http, studio.base, submit, submit_data(marker, secrets.token_urlsafe(16)),
                        session_hash())

    run_async(one())
    wait_until(lambda: sent(studio, marker))
    [job] = jobs_with(studio, marker)
    [create] = studio.proxy.creates_with(marker)
    assert create.headers["idempotency-key"] == job.id


def test_a_key_binds_its_job_across_a_restart(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "studio.sqlite3")
    assert db.put_idempotent_job("owner-a", "k1", "a" * 32, 1.0)
    assert not db.put_idempotent_job("owner-a", "k1", "b" * 32, 2.0)  # bound already: unchanged
    db.close()
    reopened = SqliteDatabase(tmp_path / "studio.sqlite3")
    assert reopened.idempotent_job("owner-a", "k1") == "a" * 32
    assert reopened.idempotent_job("owner-b", "k1") is None  # keys are per owner
    reopened.close()
