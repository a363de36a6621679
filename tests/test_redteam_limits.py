"""Issue 20, limits that could be walked around (items 5, 6, 7 and 10), each reproduced as the review did
it against one hosted studio launched in this process: a server key with a small per-visitor budget,
behind a trusted proxy (each test's caller sends the X-Forwarded-For hop that proxy would add), and the
per-visitor limits a server listening beyond loopback gets by default. The page and `/generate` are
driven over HTTP as the page and API clients do, the agent tools through the real MCP client.

Jobs run slowly here (a 4 s clip takes about 17 s), so every job a test makes is still unfinished while
the test looks at the limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from conftest import SERVER_KEY, LiveApp, RecordingProxy, _close, _launch, run_async, wait_until
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from test_security_redteam import submit_data

from bench.gradio_api import acall, find_events, session_hash
from seedance_ui.config import (
    HOSTED_MAX_UNFINISHED_JOBS,
    HOSTED_SUBMITS_PER_MINUTE,
    load_settings,
)
from seedance_ui.options import MODEL_FAST
from seedance_ui.pricing import estimate
from seedance_ui.security.key_owner import KEY_HEADER
from seedance_ui.store import JobRecord, JobStatus, new_job_id

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

QUICK = estimate(MODEL_FAST, "480p", 4).credits
BUDGET = QUICK * 3.5  # three quick videos per visitor per day (the review: 60 credits, 16.5 each)
SMALL = {"model": MODEL_FAST, "duration": 4, "quality": "480p", "generate_audio": False}
SLOTS = 40  # jobs at the provider at once: room for every test's jobs, so a line forms only by flooding
RATE = HOSTED_SUBMITS_PER_MINUTE
CAP = HOSTED_MAX_UNFINISHED_JOBS


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """A hosted studio: settings as load_settings reads them for a server listening on 0.0.0.0 (the test
    itself listens on loopback), with the per-visitor limits at their defaults."""
    from seedance_ui.simulator import Simulator

    simulator = Simulator(speed=5.0).start()  # accepts any key; the proxy records which one came
    proxy = RecordingProxy(simulator.base_url).start()
    env = {
        "EVOLINK_API_KEY": SERVER_KEY,
        "EVOLINK_BASE_URL": proxy.url,
        "SEEDANCE_DATA_DIR": str(tmp_path_factory.mktemp("redteam-limits")),
        "SEEDANCE_POLL_INTERVAL": "0.25",  # many jobs poll at once here: no flood of polls
        "SEEDANCE_REQUEST_TIMEOUT": "10",
        "SEEDANCE_MAX_JOBS_IN_FLIGHT": str(SLOTS),
        "SEEDANCE_VISITOR_DAILY_BUDGET_CREDITS": str(BUDGET),
        "SEEDANCE_TRUST_PROXY": "1",
        "GRADIO_SERVER_NAME": "0.0.0.0",
    }
    app = _launch(load_settings(env, dotenv_path=None), proxy, simulator)
    app.base = app.url.rstrip("/")
    try:
        yield app
    finally:
        _close(app)
        proxy.stop()
        simulator.stop()


# --------------------------------------------------------------------------------------------------
# helpers


def jobs_with(studio: LiveApp, marker: str) -> list[JobRecord]:
    rows = studio.runtime.store.db._conn.execute("SELECT id FROM jobs").fetchall()
    records = [studio.runtime.store.get(row["id"]) for row in rows]
    return [r for r in records if r is not None and marker in str(r.params.get("prompt"))]


def hop(address: str) -> dict[str, str]:
    """The X-Forwarded-For the trusted proxy sends for a client at `address` that sent none itself."""
    return {"x-forwarded-for": address}


@contextlib.asynccontextmanager
async def mcp_session(studio: LiveApp, headers: dict[str, str]) -> AsyncIterator[ClientSession]:
    async with (
        httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(30, read=120)) as http,
        streamable_http_client(f"{studio.base}/gradio_api/mcp/", http_client=http) as (read, write, _),
        ClientSession(read, write) as mcp,
    ):
        await mcp.initialize()
        yield mcp


async def tool(mcp: ClientSession, name: str, args: dict[str, Any]) -> tuple[bool, str]:
    """(is_error, text) of one tool call."""
    result = await mcp.call_tool(name, args)
    return bool(result.isError), "".join(getattr(c, "text", "") for c in result.content)


async def api_generate(http: httpx.AsyncClient, base: str, prompt: str) -> str:
    """`/generate` as an API client calls it, read until its first answer (an error, or the job's first
    summary: the job is then written and runs without the caller)."""
    data = [prompt, MODEL_FAST, 4, "480p", "16:9", False, False]
    joined = await http.post(f"{base}/gradio_api/call/generate", json={"data": data})
    seen: list[str] = []
    event = ""
    async with http.stream("GET", f"{base}/gradio_api/call/generate/{joined.json()['event_id']}") as stream:
        async for line in stream.aiter_lines():
            seen.append(line)
            event = line.removeprefix("event:").strip() if line.startswith("event:") else event
            if line.startswith("data:") and event in ("error", "generating", "complete"):
                break
    return "\n".join(seen)


def page_submit(studio: LiveApp, prompt: str, address: str, key: str | None) -> list[Any]:
    """A fresh visitor (a new client: no cookie yet) at `address` pastes `key` (None: none) in the key
    panel, then presses Generate, in one page session, as the page sends them."""
    events = find_events(studio.base)
    submit = events["submit"]
    data = submit_data(prompt)
    data += [None] * (len(submit.inputs) - len(data))  # inputs added later (the submission token)

    async def one() -> list[Any]:
        async with httpx.AsyncClient(timeout=30, headers=hop(address)) as http:
            sh = session_hash()
            if key is not None:
                await acall(http, studio.base, events["set_key"], [key, None], sh)
            return await acall(http, studio.base, submit, data, sh)

    return run_async(one())


# --------------------------------------------------------------------------------------------------
# 10. the per-address limits are on by default beyond loopback


@pytest.mark.parametrize(("host", "on"), [("0.0.0.0", True), ("192.0.2.10", True), ("studio.example", True),
                                          ("127.0.0.1", False), ("localhost", False), ("::1", False)])
def test_per_address_limits_are_on_by_default_beyond_loopback_and_adjustable(host: str, on: bool) -> None:
    settings = load_settings({"GRADIO_SERVER_NAME": host}, dotenv_path=None)
    expected = (RATE, CAP) if on else (0, 0)
    assert (settings.visitor_submits_per_minute, settings.visitor_max_unfinished_jobs) == expected
    assert RATE > 0 and CAP > 0
    chosen = load_settings({"GRADIO_SERVER_NAME": host, "SEEDANCE_VISITOR_SUBMITS_PER_MINUTE": "2",
                            "SEEDANCE_VISITOR_MAX_UNFINISHED_JOBS": "0"}, dotenv_path=None)
    assert (chosen.visitor_submits_per_minute, chosen.visitor_max_unfinished_jobs) == (2, 0)


def test_a_flood_of_fresh_cookies_from_one_address_cannot_put_a_victim_at_the_back(studio: LiveApp) -> None:
    """The review: 60 submissions in 10 s with fresh cookies put a victim at #99. Each flood request
    is a new visitor (no cookie) bringing its own key (so no budget stops it), all from one address."""
    marker = "Flood " + secrets.token_hex(4)
    answers = [page_submit(studio, f"{marker} #{i}", "198.51.100.60", f"sk-flood-{i:04d}-abcdefgh")
               for i in range(60)]
    flood = jobs_with(studio, marker)
    assert len(flood) <= min(RATE, CAP), f"{len(flood)} flood jobs admitted from one address"
    refused = [json.dumps(a) for a in answers if "Too many" in json.dumps(a)]
    assert len(refused) == 60 - len(flood)
    victim = "Victim " + secrets.token_hex(4)
    page_submit(studio, victim, "203.0.113.61", None)
    [job] = jobs_with(studio, victim)
    record = studio.runtime.manager.get(job.id, job.owner)
    assert record is not None
    assert record.status != JobStatus.QUEUED, f"the victim waits at #{record.queue_position}"


# --------------------------------------------------------------------------------------------------
# 5. one address's page, /generate and MCP calls share one budget


def test_keyless_mcp_jobs_share_the_address_budget_with_page_and_api_jobs(studio: LiveApp) -> None:
    """The review: three page jobs and three keyless MCP jobs from one address spent 99 credits of a
    60-credit visitor budget."""
    address, marker = "198.51.100.50", "Budget " + secrets.token_hex(4)

    async def scenario() -> tuple[list[str], list[tuple[bool, str]]]:
        async with httpx.AsyncClient(timeout=60, headers=hop(address)) as http:
            api = [await api_generate(http, studio.base, f"{marker} api #{i}") for i in range(3)]
        async with mcp_session(studio, hop(address)) as mcp:
            agent = [await tool(mcp, "start_video", {"prompt": f"{marker} mcp #{i}", **SMALL})
                     for i in range(3)]
        return api, agent

    api, agent = run_async(scenario())
    made = jobs_with(studio, marker)
    assert len([r for r in made if " api #" in r.params["prompt"]]) == 3, api
    spent = sum(r.credits_estimated or 0 for r in made)
    assert spent <= BUDGET + 1e-9, f"{spent} credits spent from one address on a {BUDGET}-credit budget"
    assert all(error and "daily budget" in text for error, text in agent), agent


# --------------------------------------------------------------------------------------------------
# 6. a fresh X-Evolink-Key for each call does not reset the limits


def test_rotating_keys_do_not_reset_the_per_address_limits(studio: LiveApp) -> None:
    """The review: 6 calls in 0.9 s under a 3/min limit, a fresh key each. Here the cap on unfinished
    jobs stops the first call over it, and once one job is cancelled, the rate limit the next."""
    address, marker = "198.51.100.70", "Rotating " + secrets.token_hex(4)

    def key(i: int) -> dict[str, str]:
        return {**hop(address), KEY_HEADER: f"sk-rotating-{i:04d}-{marker[-8:]}"}

    async def start(i: int) -> tuple[bool, str]:
        async with mcp_session(studio, key(i)) as mcp:
            return await tool(mcp, "start_video", {"prompt": f"{marker} #{i}", **SMALL})

    async def scenario() -> tuple[list[tuple[bool, str]], tuple[bool, str], tuple[bool, str]]:
        first = [await start(i) for i in range(CAP + 1)]
        async with mcp_session(studio, key(0)) as mcp:  # the first key's job ends: one fewer unfinished
            error, text = await tool(mcp, "cancel_video", {"job_id": json.loads(first[0][1])["job_id"]})
            assert not error, text
            done = json.loads(text)
            while not done["done"]:  # the provider's cancel is seen at the next poll
                await asyncio.sleep(0.05)
                done = json.loads((await tool(mcp, "get_video", {"job_id": done["job_id"]}))[1])
        return first, await start(CAP + 1), done

    first, last, cancelled = run_async(scenario())
    assert cancelled["status"] == "cancelled", cancelled
    assert not any(error for error, _ in first[:CAP]), first
    error, text = first[CAP]
    assert error and "Too many unfinished videos" in text, text
    error, text = last
    assert error and "Too many submissions" in text and f"at most {RATE} per minute" in text, text
    assert len(jobs_with(studio, marker)) == CAP
    wait_until(lambda: len(studio.proxy.creates_with(marker)) == CAP)  # each job was sent, on its key
    assert {r.authorization for r in studio.proxy.creates_with(marker)} == {
        f"Bearer sk-rotating-{i:04d}-{marker[-8:]}" for i in range(CAP)
    }


# --------------------------------------------------------------------------------------------------
# 7. a spoofed X-Forwarded-For hop names no one; an address is not an identity


def test_a_spoofed_forwarded_hop_reaches_none_of_the_victims_jobs(studio: LiveApp) -> None:
    """The review, with SEEDANCE_TRUST_PROXY=1: `X-Forwarded-For: <victim>, <attacker>` listed the
    victim's jobs and prompts and cancelled one. The trusted proxy appends the attacker's real address
    after whatever the attacker sent."""
    victim, attacker, marker = "203.0.113.80", "198.51.100.81", "Private " + secrets.token_hex(4)

    async def scenario() -> dict[str, tuple[bool, str]]:
        async with mcp_session(studio, hop(victim)) as mcp:
            error, text = await tool(mcp, "start_video", {"prompt": f"{marker} the victim's prompt", **SMALL})
            assert not error, text
            job_id = json.loads(text)["job_id"]
            seen = {"victim list": await tool(mcp, "list_videos", {})}
        async with mcp_session(studio, hop(f"{victim}, {attacker}")) as mcp:
            seen["list"] = await tool(mcp, "list_videos", {})
            seen["get"] = await tool(mcp, "get_video", {"job_id": job_id})
            seen["cancel"] = await tool(mcp, "cancel_video", {"job_id": job_id})
        async with mcp_session(studio, hop(victim)) as mcp:
            seen["victim get"] = await tool(mcp, "get_video", {"job_id": job_id})
        return seen

    seen = run_async(scenario())
    for name in ("list", "get", "cancel"):
        error, text = seen[name]
        assert error and marker not in text, (name, text)
    assert KEY_HEADER in seen["list"][1] and "job_id" in seen["list"][1]  # what to do instead
    error, text = seen["victim list"]  # listing needs a key: an address is shared by a whole NAT
    assert error and KEY_HEADER in text, text
    error, text = seen["victim get"]
    assert not error and json.loads(text)["status"] != "cancelled" and marker in text, text
    [job] = jobs_with(studio, marker)
    assert job.status != JobStatus.CANCELLED


def test_job_ids_are_128_random_bits() -> None:
    """A keyless caller reaches a job by its id alone: every one of its 128 bits is random (a UUID4
    spends six on its version and variant, which never vary)."""
    ids = [new_job_id() for _ in range(256)]
    assert len(set(ids)) == len(ids) and all(len(i) == 32 for i in ids)
    for position in range(32):
        assert len({i[position] for i in ids}) > 4, f"hex digit {position} barely varies"


def test_the_client_address_is_the_hop_the_trusted_proxy_added(studio: LiveApp) -> None:
    """The page's limits bind the last hop too: a visitor who rotates the first hop and cookies is still
    one visitor."""
    marker = "Hops " + secrets.token_hex(4)
    answers = [page_submit(studio, f"{marker} #{i}", f"192.0.2.{i}, 198.51.100.90", f"sk-hops-{i:04d}-abcd")
               for i in range(RATE + 1)]
    assert len(jobs_with(studio, marker)) == RATE
    assert "Too many" in json.dumps(answers[-1])
