"""The reference deployment as processes (#22 item 7, "How it is tested here"): two studio replicas on one
PostgreSQL and one bucket, each with its own empty data directory, behind Debian's nginx running
deploy/nginx.conf itself (tests/nginx_server.py), against the real simulator.

Sticky sessions: a replica named by SEEDANCE_REPLICA_NAME sets the route cookie `seedance_replica`,
which nginx maps to it (the other replica as backup); a request without it (a first visit, or an agent,
which keeps no cookies) goes by a consistent hash of the client address. All our clients come from
127.0.0.1, so they all start on the replica that address hashes to: that one is "A" here.

An agent (a real MCP client that sends no cookies) starts a job through nginx and a visitor (Chromium,
with the /generate API called under its own cookies) another; both land on A. While they render,
concurrent submissions made directly on A and B never pass one small daily budget, and a provider
webhook delivered to B for a job A follows wakes A. Then A is SIGKILLed: B takes both jobs over and
finishes them with one create each, the videos are in the bucket, the agent's next call through nginx
reaches B and its video link serves the MP4, and the visitor's next load reaches B, keeps its identity
(the visitor cookie verifies there: its secret is in the database) and shows the job in its history.
"""

from __future__ import annotations

import json
import re
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from app_process import app_env, start_app, stop_app, wait_healthy
from conftest import RecordingProxy, free_port, run_async, wait_until
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from nginx_server import NginxServer, running_nginx
from page_helpers import TIMEOUT_MS, open_newest, wait_loaded
from pg_server import truncate_all
from s3_server import S3Server

from seedance_ui.jobs import WEBHOOK_PREFIX
from seedance_ui.options import CREATE_PATH, MODEL_FAST
from seedance_ui.pricing import estimate
from seedance_ui.security.identity import COOKIE_NAME as VISITOR_COOKIE
from seedance_ui.simulator import Simulator
from seedance_ui.store import JobStatus
from seedance_ui.ui.mcp_server import MCP_PATH
from seedance_ui.ui.server import REPLICA_COOKIE

KEY = "sk-replicas-nginx-key"
NAMES = ("studio-a", "studio-b")  # the replica names deploy/nginx.conf routes (compose's services)
BUCKET, PREFIX = "replicas-nginx", "studio"
PUBLIC_URL = "https://studio.example.com"  # webhooks on (the test delivers one itself)
SPEED, ESTIMATE = 10, 250  # about 25 s of rendering per job: A is killed well before the end
TAKEOVER_LIMIT = 30.0  # issue #22
SMALL = {"model": MODEL_FAST, "duration": 4, "quality": "480p", "generate_audio": False}
PRICE = estimate(MODEL_FAST, "480p", 4).credits
# The agent's job, the visitor's, then room for exactly two of the race's submissions.
BUDGET = PRICE * 4.5
RACERS = 6
# start_video's arguments after the prompt: model, duration, quality, ratio, audio, web search, no media
TOOL_ARGS = [MODEL_FAST, 4, "480p", "16:9", False, False, "", "", [], [], [], False, ""]
AGENT_PROMPT = "Nginx check: an agent's lighthouse beam sweeps a stormy sea"
VISITOR_PROMPT = "Nginx check: a visitor's paper lantern drifts over a midnight lake"


@dataclass
class Replica:
    name: str
    url: str
    process: Any
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Deployment:
    a: Replica  # where 127.0.0.1 lands without a route cookie (it gets SIGKILLed)
    b: Replica
    nginx: NginxServer
    simulator: Simulator
    proxy: RecordingProxy
    s3: S3Server
    db_url: str


def _row(url: str, sql: str, *args: Any) -> dict[str, Any] | None:
    with psycopg.connect(url, autocommit=True, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute(sql, args).fetchone()


def _job(deployment: Deployment, job_id: str) -> dict[str, Any]:
    row = _row(deployment.db_url, "SELECT * FROM jobs WHERE id = %s", job_id)
    assert row is not None, job_id
    return row


def _holder(deployment: Deployment, job_id: str) -> str | None:
    row = _row(deployment.db_url, "SELECT holder FROM job_leases WHERE job_id = %s AND expires_at >= %s",
               job_id, time.time())
    return None if row is None else row["holder"]


def _served_by(response: httpx.Response) -> str:
    return response.json()["replica"]


def _route_cookie(response: httpx.Response) -> str | None:
    """The route cookie a response sets, if it sets one."""
    for header in response.headers.get_list("set-cookie"):
        match = re.match(rf"{REPLICA_COOKIE}=([^;]*)", header)
        if match:
            return match.group(1)
    return None


@pytest.fixture(scope="module")
def deployment(postgres_url: str, s3_server: S3Server,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    truncate_all(postgres_url)
    s3_server.make_bucket(BUCKET)
    root = tmp_path_factory.mktemp("replicas-nginx")
    sim = Simulator(speed=SPEED, api_key=KEY).start()
    sim.set_behaviour(estimated_time=ESTIMATE)
    proxy = RecordingProxy(sim.base_url).start()
    replicas: dict[str, Replica] = {}
    try:
        for name in NAMES:
            port = free_port()
            env = app_env(proxy.url, KEY, root / f"data-{name}", port) | s3_server.env(BUCKET, PREFIX) | {
                "SEEDANCE_DATABASE_URL": postgres_url, "SEEDANCE_REPLICA_NAME": name,
                "SEEDANCE_MEDIA_DELIVERY": "route", "SEEDANCE_TRUST_PROXY": "1",
                "SEEDANCE_PUBLIC_URL": PUBLIC_URL, "SEEDANCE_DAILY_BUDGET_CREDITS": str(BUDGET),
                "SEEDANCE_LEASE_SECONDS": "3", "SEEDANCE_LEASE_SCAN_SECONDS": "0.5",
                "SEEDANCE_CHANGE_POLL_SECONDS": "0.2", "SEEDANCE_POLL_INTERVAL": "0.1"}
            log = root / f"{name}.log"
            replicas[name] = Replica(name, f"http://127.0.0.1:{port}", start_app(env, log), log)
        for replica in replicas.values():
            wait_healthy(replica.url, replica.process, replica.log)
        upstreams = {name: replica.url.removeprefix("http://") for name, replica in replicas.items()}
        with running_nginx(upstreams) as nginx:
            first = _served_by(httpx.get(f"{nginx.url}/healthz", timeout=10))
            [other] = [name for name in NAMES if name != first]
            yield Deployment(replicas[first], replicas[other], nginx, sim, proxy, s3_server, postgres_url)
    finally:
        for replica in replicas.values():
            stop_app(replica.process)
        proxy.stop()
        sim.stop()


# --- sticky routing --------------------------------------------------------------------------------------


def test_the_route_cookie_keeps_a_visitor_on_its_replica_and_the_address_keeps_an_agent(
        deployment: Deployment):
    nginx = deployment.nginx.url
    cookieless = [httpx.get(f"{nginx}/healthz", timeout=10) for _ in range(5)]
    assert {_served_by(r) for r in cookieless} == {deployment.a.name}  # by address: always one replica
    assert {_route_cookie(r) for r in cookieless} == {deployment.a.name}  # ... which names itself
    for name in NAMES:  # a route cookie wins over the address, and is not set again once it is right
        with httpx.Client(base_url=nginx, cookies={REPLICA_COOKIE: name}, timeout=10) as visitor:
            answers = [visitor.get("/healthz") for _ in range(5)]
        assert {_served_by(r) for r in answers} == {name}
        assert {_route_cookie(r) for r in answers} == {None}


@pytest.fixture(scope="module")
def visitor_page(deployment: Deployment, browser: Any) -> Any:
    """A visitor's Studio page through nginx: on A, its Gradio session there (the load answered)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(deployment.nginx.url + "/")
    wait_loaded(page)
    assert _cookies(page)[REPLICA_COOKIE] == deployment.a.name
    return page


def _cookies(page: Any) -> dict[str, str]:
    return {c["name"]: c["value"] for c in page.context.cookies()}


# --- the two jobs that land on A ---------------------------------------------------------------------------


async def _agent_call(url: str, tool: str, args: dict[str, Any]) -> Any:
    """One MCP tool call through nginx by an agent that sends no cookies."""
    async def without_cookies(request: httpx.Request) -> None:
        request.headers.pop("cookie", None)

    timeout = httpx.Timeout(30, read=120)
    async with (
        httpx.AsyncClient(timeout=timeout, event_hooks={"request": [without_cookies]}) as http,
        streamable_http_client(url + MCP_PATH, http_client=http) as (read, write, _),
        ClientSession(read, write) as mcp,
    ):
        await mcp.initialize()
        result = await mcp.call_tool(tool, args)
    text = "".join(getattr(c, "text", "") for c in result.content)
    assert not result.isError, text
    return json.loads(text)


def _rendering_on_a(deployment: Deployment, job_id: str) -> None:
    wait_until(lambda: _job(deployment, job_id)["status"] == JobStatus.PROCESSING.value, timeout=60)
    assert f"job {job_id}: queued" in deployment.a.log_text()
    assert f"job {job_id}: queued" not in deployment.b.log_text()
    assert _holder(deployment, job_id) is not None


@pytest.fixture(scope="module")
def agent_job(deployment: Deployment) -> str:
    started = run_async(_agent_call(deployment.nginx.url, "start_video", {"prompt": AGENT_PROMPT, **SMALL}))
    _rendering_on_a(deployment, started["job_id"])
    return started["job_id"]


@pytest.fixture(scope="module")
def visitor_job(deployment: Deployment, visitor_page: Any) -> Iterator[str]:
    """The visitor's job, made with the /generate API under the visitor's cookies (as a script of theirs
    would): it is theirs, so their history shows it."""
    from gradio_client import Client

    cookies = "; ".join(f"{name}={value}" for name, value in _cookies(visitor_page).items())
    client = Client(deployment.nginx.url + "/", headers={"Cookie": cookies}, verbose=False)
    try:
        client.submit(prompt=VISITOR_PROMPT, **SMALL, api_name="/generate")  # its answer is never awaited
        row = wait_until(lambda: _row(deployment.db_url, "SELECT id, owner FROM jobs WHERE params LIKE %s",
                                      f"%{VISITOR_PROMPT}%"), timeout=60)
        _rendering_on_a(deployment, row["id"])
        visitor = _cookies(visitor_page)[VISITOR_COOKIE].split(".")[0]
        assert row["owner"] == visitor
        yield row["id"]
    finally:
        client.close()


# --- while both render on A --------------------------------------------------------------------------------


def _start_direct(url: str, prompt: str, address: str) -> tuple[bool, str]:
    """start_video on one replica directly (no nginx), from `address`: (admitted, answer)."""
    headers = {"X-Forwarded-For": address}  # the replicas trust one proxy: each racer is its own visitor
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        event = http.post("/gradio_api/call/start_video", json={"data": [prompt, *TOOL_ARGS]})
        assert event.status_code == 200, event.text
        answer = http.get(f"/gradio_api/call/start_video/{event.json()['event_id']}").text
    return "event: complete" in answer, answer


def test_concurrent_submissions_on_both_replicas_never_pass_the_daily_budget(
        deployment: Deployment, agent_job: str, visitor_job: str):
    barrier = threading.Barrier(RACERS)
    results: list[tuple[bool, str]] = []

    def race(n: int) -> None:
        replica = (deployment.a, deployment.b)[n % 2]
        barrier.wait(30)
        # Each fails at the provider once made, so no more videos render than the test needs.
        results.append(_start_direct(replica.url, f"Budget race {n} [sim:fail=content_policy_violation]",
                                     f"10.0.0.{n + 1}"))

    threads = [threading.Thread(target=race, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert len(results) == RACERS
    admitted = [answer for ok, answer in results if ok]
    refused = [answer for ok, answer in results if not ok]
    print(f"\nbudget race: {len(admitted)} of {RACERS} admitted on a budget with room for 2")
    assert len(admitted) == 2, results  # 2 jobs were there before: 4 x the price <= 4.5 x, never 5 x
    assert all("budget" in answer.lower() for answer in refused), refused
    spent = _row(deployment.db_url, "SELECT count(*) AS n FROM jobs WHERE params LIKE %s", "%Budget race%")
    assert spent is not None and spent["n"] == 2  # a refused submission writes no job


def test_a_webhook_delivered_to_b_for_a_job_a_follows_is_accepted_and_wakes_a(
        deployment: Deployment, agent_job: str):
    token = _row(deployment.db_url, "SELECT webhook_token FROM job_meta WHERE job_id = %s", agent_job)
    assert token and token["webhook_token"]
    wakes = f"job {agent_job}: a webhook arrived at another replica; polling now"
    delivery = {"id": _job(deployment, agent_job)["task_id"], "status": "processing"}
    hook = f"{deployment.b.url}{WEBHOOK_PREFIX}{token['webhook_token']}"
    answer = httpx.post(hook, json=delivery, timeout=10)
    assert answer.status_code == 200 and answer.json() == {"ok": True}
    wait_until(lambda: wakes in deployment.a.log_text(), timeout=10)
    assert f"job {agent_job}: webhook recorded for the replica that follows it" in deployment.b.log_text()


# --- A is SIGKILLed while both render ---------------------------------------------------------------------


def test_a_killed_replicas_jobs_are_finished_by_b_with_one_create_each_into_the_bucket(
        deployment: Deployment, agent_job: str, visitor_job: str):
    jobs = (agent_job, visitor_job)
    held_by_a = {job_id: _holder(deployment, job_id) for job_id in jobs}
    assert all(status == JobStatus.PROCESSING.value for status in
               (_job(deployment, job_id)["status"] for job_id in jobs))  # still rendering at the kill
    killed_at = time.monotonic()
    deployment.a.process.send_signal(signal.SIGKILL)
    deployment.a.process.wait(timeout=10)
    for job_id in jobs:
        wait_until(lambda job_id=job_id: _holder(deployment, job_id) not in (None, held_by_a[job_id]),
                   timeout=TAKEOVER_LIMIT + 10)
    print(f"\ntakeover after SIGKILL: {time.monotonic() - killed_at:.1f} s")
    assert time.monotonic() - killed_at < TAKEOVER_LIMIT
    wait_until(lambda: "took over" in deployment.b.log_text(), timeout=10)  # logged just after the claim
    for job_id in jobs:
        wait_until(lambda job_id=job_id: _job(deployment, job_id)["status"] == JobStatus.COMPLETED.value,
                   timeout=90)
    for prompt in (AGENT_PROMPT, VISITOR_PROMPT):
        assert len(deployment.proxy.creates_with(prompt)) == 1  # never a second create
    assert deployment.simulator.count("POST", CREATE_PATH) == 4  # the two, and the race's two
    keys = deployment.s3.objects(BUCKET)
    for job_id in jobs:
        video = _job(deployment, job_id)["video_path"]
        assert f"{PREFIX}/{video}" in keys, (video, keys)


def _mp4(data: bytes) -> bool:
    return len(data) > 1000 and data[4:8] == b"ftyp"


def test_the_agents_next_call_reaches_b_and_its_video_link_serves_the_mp4(
        deployment: Deployment, agent_job: str):
    nginx = deployment.nginx.url
    assert _served_by(httpx.get(f"{nginx}/healthz", timeout=10)) == deployment.b.name
    view = run_async(_agent_call(nginx, "get_video", {"job_id": agent_job}))
    assert view["status"] == JobStatus.COMPLETED.value and view["video_url"], view
    link = view["video_url"]
    if link.startswith(PUBLIC_URL):  # the deployment's public URL is where nginx answers
        link = nginx + link.removeprefix(PUBLIC_URL)
    video = httpx.get(link, timeout=30)
    assert video.status_code == 200, (link, video.status_code)
    key = f"{PREFIX}/{_job(deployment, agent_job)['video_path']}"
    stored = deployment.s3.client().get_object(Bucket=BUCKET, Key=key)
    assert _mp4(video.content) and video.content == stored["Body"].read()


def test_the_visitors_next_load_reaches_b_with_its_identity_and_history(
        deployment: Deployment, visitor_page: Any, visitor_job: str):
    page = visitor_page
    identity = _cookies(page)[VISITOR_COOKIE]
    page.reload()
    wait_loaded(page)  # B answered the page's load: its Gradio session is there now
    cookies = _cookies(page)
    assert cookies[REPLICA_COOKIE] == deployment.b.name  # and everything after it stays on B
    assert cookies[VISITOR_COOKIE] == identity  # B verified the visitor cookie: the same visitor
    open_newest(page)  # the visitor's one job, completed
    assert page.locator("#sd-history .thumbnail-item").count() == 1
    assert VISITOR_PROMPT in page.inner_text("#sd-detail")
    page.wait_for_function(  # it plays
        "() => { const v = document.querySelector('#sd-detail-video video'); return v && v.readyState >= 2; }"
    )
    fetched = page.evaluate("""async () => {
        const video = document.querySelector('#sd-detail-video video');
        const answer = await fetch(video.currentSrc || video.src, {cache: 'no-store'});
        const bytes = new Uint8Array(await answer.arrayBuffer());
        return {status: answer.status, size: bytes.length,
                ftyp: String.fromCharCode(...bytes.slice(4, 8))};
    }""")
    key = f"{PREFIX}/{_job(deployment, visitor_job)['video_path']}"
    size = deployment.s3.client().head_object(Bucket=BUCKET, Key=key)["ContentLength"]
    assert fetched == {"status": 200, "size": size, "ftyp": "ftyp"}  # the MP4 in the bucket
    page.context.close()


def test_nginx_logged_errors_only_for_the_killed_replica(deployment: Deployment):
    """The streams A had open when it was killed broke, and later connections to it were refused (each
    then went to B); nothing went wrong on the way to B."""
    errors = [line for line in deployment.nginx.log().splitlines()
              if any(level in line for level in ("[error]", "[crit]", "[alert]", "[emerg]"))]
    a_upstream = f'upstream: "{deployment.a.url}'
    assert all(a_upstream in line for line in errors), [e for e in errors if a_upstream not in e][:5]
