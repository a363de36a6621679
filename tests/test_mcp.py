"""The MCP server, driven by the real Python `mcp` client over Streamable HTTP against `python app.py`.

The app runs in a subprocess in live mode; its provider is the contract simulator behind a recording proxy,
so each test can count the creates and read the Bearer token each one carried.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from app_process import all_jobs, app_env, start_app, wait_healthy
from conftest import SERVER_KEY, RecordingProxy, free_port
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from media_files import quadrant_image
from test_ship_readme import code_blocks, section

from seedance_ui.agents.arguments import COST_FIELDS, TOOL_NAMES
from seedance_ui.config import Settings
from seedance_ui.options import (
    ALL_QUALITIES,
    ASPECT_RATIOS,
    DURATION_MAX,
    DURATION_MIN,
    MODEL_FAST,
    MODEL_SPECS,
    TASK_PATH,
    UPLOAD_STREAM_PATH,
    model_id,
)
from seedance_ui.pricing import estimate
from seedance_ui.security.key_owner import KEY_HEADER, address_owner, key_owner
from seedance_ui.simulator import Simulator
from seedance_ui.ui.mcp_server import MCP_PATH
from seedance_ui.ui.server import create_app, launch_kwargs

GENERATION_PARAMS = ["prompt", "model", "duration", "quality", "aspect_ratio", "generate_audio", "web_search",
                     "first_frame", "last_frame", "reference_images", "reference_video_urls",
                     "reference_audio_urls", "content_filter", "idempotency_key"]
FRAMES = model_id("frames", "Fast")
REFERENCES = model_id("references", "Fast")
SMALL = {"model": MODEL_FAST, "duration": 4, "quality": "480p", "generate_audio": False}
KEY_A = "sk-agent-a-0123456789abcdef"
KEY_B = "sk-agent-b-fedcba9876543210"
KEY_C = "sk-agent-c-0011223344556677"
README_URL = "http://127.0.0.1:7860" + MCP_PATH
WAIT = 60.0  # longest wait for a job to end (a deadline for polling, not an assertion on speed)
TASK_PREFIX = TASK_PATH.split("{")[0]  # the polls of any task


@dataclass
class Studio:
    url: str
    mcp_url: str
    proxy: RecordingProxy
    data_dir: Path
    log_path: Path


@contextlib.contextmanager
def running_studio(tmp_path: Path, **env: str) -> Iterator[Studio]:
    """app.py (live mode, server key) against a simulator that accepts any key, through the proxy."""
    with Simulator(speed=20) as sim:
        proxy = RecordingProxy(sim.base_url).start()
        sim.trust(proxy.url)  # the API's own address, as the provider's file URLs are on its own
        port = free_port()
        data_dir, log_path = tmp_path / "data", tmp_path / "app.log"
        app = start_app({**app_env(proxy.url, SERVER_KEY, data_dir, port), **env}, log_path)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, app, log_path)
            yield Studio(url, f"{url}/gradio_api/mcp/", proxy, data_dir, log_path)
        finally:
            app.terminate()
            app.wait(timeout=20)
            proxy.stop()


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    with running_studio(tmp_path_factory.mktemp("mcp")) as app:
        yield app


@pytest.fixture(scope="module")
def keyed_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    env = {"SEEDANCE_REQUIRE_USER_KEY": "1", "SEEDANCE_VISITOR_SUBMITS_PER_MINUTE": "1",
           "SEEDANCE_TRUST_PROXY": "1"}  # a test may call from an address of its own (X-Forwarded-For)
    with running_studio(tmp_path_factory.mktemp("mcp-keyed"), **env) as app:
        yield app


@contextlib.asynccontextmanager
async def session(
    url: str, key: str | None = None, address: str | None = None
) -> AsyncIterator[ClientSession]:
    headers = {**({KEY_HEADER: key} if key else {}), **({"x-forwarded-for": address} if address else {})}
    timeout = httpx.Timeout(30, read=300)  # as the README shows: generate_video waits on one read
    async with (
        httpx.AsyncClient(headers=headers, timeout=timeout) as http,
        streamable_http_client(url, http_client=http) as (read, write, _),
        ClientSession(read, write) as mcp,
    ):
        await mcp.initialize()
        yield mcp


async def call(mcp: ClientSession, tool: str, args: dict[str, Any], **kw: Any) -> tuple[bool, str]:
    """(is_error, text) of one tool call."""
    result = await mcp.call_tool(tool, args, **kw)
    return bool(result.isError), "".join(getattr(c, "text", "") for c in result.content)


async def wait_done(mcp: ClientSession, job_id: str) -> dict[str, Any]:
    """get_video until the job is done (or the deadline passes: the last answer is returned)."""
    deadline = time.monotonic() + WAIT
    while True:
        error, text = await call(mcp, "get_video", {"job_id": job_id})
        assert not error, text
        job = json.loads(text)
        if job["done"] or time.monotonic() > deadline:
            return job
        await asyncio.sleep(0.2)


def prompt(label: str) -> str:
    return f"MCP {label} {uuid.uuid4().hex[:8]}: a paper boat drifts down a rainy street, slow dolly in"


# --------------------------------------------------------------------------------------------------
# the tool list


async def test_lists_exactly_the_six_tools_each_described_with_a_full_schema(studio: Studio) -> None:
    async with session(studio.mcp_url) as mcp:
        tools = {t.name: t for t in (await mcp.list_tools()).tools}
        error, text = await call(mcp, "api_generate", {"prompt": "x"})  # /generate is no tool
    assert set(tools) == set(TOOL_NAMES) and len(tools) == 6
    assert error and "Unknown tool" in text
    for tool in tools.values():
        assert len(tool.description or "") > 80 and "Returns:" in tool.description, tool.name
        for name, prop in tool.inputSchema["properties"].items():
            assert prop.get("description"), (tool.name, name)
            assert "type" in prop or "enum" in prop, (tool.name, name)
    for name in ("start_video", "generate_video"):
        schema = tools[name].inputSchema
        props = schema["properties"]
        assert list(props) == GENERATION_PARAMS and schema["required"] == ["prompt"]
        assert props["prompt"]["type"] == "string"
        assert props["model"]["enum"] == list(MODEL_SPECS)  # the nine models of the grid
        assert props["duration"]["enum"] == list(range(DURATION_MIN, DURATION_MAX + 1))
        assert props["quality"]["enum"] == list(ALL_QUALITIES)
        assert props["reference_images"]["type"] == "array" and props["content_filter"]["type"] == "boolean"
        assert props["aspect_ratio"]["enum"] == list(ASPECT_RATIOS)
        assert props["generate_audio"]["type"] == props["web_search"]["type"] == "boolean"
        assert "credits per second" in tools[name].description
    for name in ("get_video", "cancel_video"):
        assert tools[name].inputSchema["properties"]["job_id"]["type"] == "string"
        assert tools[name].inputSchema["required"] == ["job_id"]
    assert tools["list_videos"].inputSchema["properties"]["limit"]["type"] == "integer"
    assert list(tools["estimate_cost"].inputSchema["properties"]) == list(COST_FIELDS)


async def test_estimate_cost_is_the_published_price(studio: Studio) -> None:
    async with session(studio.mcp_url) as mcp:
        args = {"model": MODEL_FAST, "duration": 8, "quality": "720p"}
        error, text = await call(mcp, "estimate_cost", args)
    assert not error, text
    assert json.loads(text)["credits"] == estimate(MODEL_FAST, "720p", 8).credits


# --------------------------------------------------------------------------------------------------
# making videos


async def test_start_then_get_until_done_downloads_the_mp4_from_the_history(studio: Studio) -> None:
    text_prompt = prompt("start")
    async with session(studio.mcp_url) as mcp:
        error, text = await call(mcp, "start_video", {"prompt": text_prompt, **SMALL})
        assert not error, text
        started = json.loads(text)
        assert started["estimated_credits"] == estimate(MODEL_FAST, "480p", 4).credits
        assert started["expected_wait_seconds"] > 0 and not started["done"]
        job = await wait_done(mcp, started["job_id"])
    assert job["status"] == "completed", job
    [create] = studio.proxy.creates_with(text_prompt)
    assert create.authorization == f"Bearer {SERVER_KEY}"  # no header: the server's key
    [record] = [j for j in all_jobs(studio.data_dir) if j.id == job["job_id"]]
    assert record.owner == address_owner("127.0.0.1")  # no key: the caller's address owns it
    on_disk = (studio.data_dir / record.video_path).read_bytes()
    video = httpx.get(job["video_url"], timeout=30)
    assert video.status_code == 200 and video.content == on_disk
    poster = httpx.get(job["poster_url"], timeout=30)
    assert poster.status_code == 200 and poster.content[:2] == b"\xff\xd8"  # a JPEG
    assert job["prompt"] == text_prompt and job["settings"]["duration"] == 4


async def test_generate_video_reports_progress_before_its_result(studio: Studio) -> None:
    events: list[str] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        events.append(f"progress {done}/{total}: {message}")

    text_prompt = prompt("generate")
    async with session(studio.mcp_url) as mcp:
        error, text = await call(
            mcp, "generate_video", {"prompt": text_prompt, **SMALL}, progress_callback=progress
        )
        events.append("result")
    assert not error, text
    job = json.loads(text)
    assert job["status"] == "completed" and job["video_url"].startswith(studio.url)
    assert len(events) >= 2 and events[0].startswith("progress") and events[-1] == "result", events
    assert len(studio.proxy.creates_with(text_prompt)) == 1


async def test_cancel_video_cancels_a_running_job(studio: Studio) -> None:
    text_prompt = prompt("cancel")
    long = {**SMALL, "duration": 15, "quality": "720p"}  # long enough to cancel while it runs
    async with session(studio.mcp_url) as mcp:
        error, text = await call(mcp, "start_video", {"prompt": text_prompt, **long})
        assert not error, text
        job_id = json.loads(text)["job_id"]
        error, text = await call(mcp, "cancel_video", {"job_id": job_id})
        assert not error, text
        assert json.loads(text)["cancel_result"].startswith(("Cancelled", "Cancel requested"))
        job = await wait_done(mcp, job_id)
    assert job["status"] == "cancelled" and "video_url" not in job, job
    assert len(studio.proxy.creates_with(text_prompt)) == 1


@pytest.mark.parametrize(
    ("args", "field", "rule"),
    [
        ({"duration": 20}, "duration", "from 4 to 15"),
        ({"model": "seedance-9-imaginary"}, "model", "must be one of"),
        ({"prompt": ""}, "prompt", "must not be empty"),
        ({"model": FRAMES, "first_frame": "/etc/hostname"}, "first_frame", "https:// URL"),
        ({"model": REFERENCES, "reference_images": ["studio.sqlite3"]},
         "reference_images[1]", "https:// URL"),
        ({"model": REFERENCES, "reference_images": ["https://127.0.0.1/a.png"]},
         "reference_images[1]", "loopback"),
    ],
)
async def test_bad_arguments_name_the_field_and_rule_and_create_nothing(
    studio: Studio, args: dict[str, Any], field: str, rule: str
) -> None:
    jobs_before, creates_before = len(all_jobs(studio.data_dir)), len(studio.proxy.creates())
    async with session(studio.mcp_url) as mcp:
        for tool in ("start_video", "generate_video"):
            error, text = await call(mcp, tool, {"prompt": prompt("bad"), **SMALL, **args})
            assert error, text
            assert f"{field}: " in text and rule in text and "Nothing was created" in text, text
    assert len(all_jobs(studio.data_dir)) == jobs_before
    assert len(studio.proxy.creates()) == creates_before


async def test_a_frames_video_from_an_image_url_sends_that_url(studio: Studio, tmp_path: Path) -> None:
    picture = quadrant_image(tmp_path / "frame.png")
    # A picture already on the provider's file API: its URL on the API's own address (a trusted origin).
    answer = httpx.post(f"{studio.proxy.url}{UPLOAD_STREAM_PATH}", timeout=30,
                        headers={"Authorization": f"Bearer {SERVER_KEY}"},
                        files={"file": ("frame.png", picture.read_bytes(), "image/png")}).json()
    path = "/files/" + answer["data"]["file_url"].split("/files/", 1)[1]
    image_url = f"{studio.proxy.url}{path}"
    uploads = studio.proxy.count("POST", UPLOAD_STREAM_PATH)
    text_prompt = prompt("frames")
    args = {**SMALL, "model": FRAMES, "aspect_ratio": "adaptive", "first_frame": image_url}
    async with session(studio.mcp_url) as mcp:
        error, text = await call(mcp, "start_video", {"prompt": text_prompt, **args})
        assert not error, text
        job = await wait_done(mcp, json.loads(text)["job_id"])
    assert job["status"] == "completed", job
    assert job["inputs"] == [{"role": "first_frame", "url": image_url, "name": None}]
    [create] = studio.proxy.creates_with(text_prompt)
    assert create.body["image_urls"] == [image_url]
    assert studio.proxy.count("POST", UPLOAD_STREAM_PATH) == uploads  # a URL input is never uploaded


async def test_a_client_that_leaves_generate_video_midway_finds_the_job_finished(studio: Studio) -> None:
    text_prompt = prompt("leave")
    first = asyncio.Event()

    async def progress(done: float, total: float | None, message: str | None) -> None:
        first.set()

    # The studio's polls are held at the proxy until the client has left: the job cannot end before.
    with studio.proxy.holding(TASK_PREFIX):
        with contextlib.suppress(Exception):  # the abandoned session may complain while closing
            async with session(studio.mcp_url) as mcp:
                waiting = asyncio.create_task(
                    call(mcp, "generate_video", {"prompt": text_prompt, **SMALL}, progress_callback=progress)
                )
                await asyncio.wait_for(first.wait(), WAIT)
                waiting.cancel()
        [left] = [j for j in all_jobs(studio.data_dir) if j.params["prompt"] == text_prompt]
        assert not left.status.terminal, "the client should leave while the job still runs"
    async with session(studio.mcp_url) as mcp:
        job = await wait_done(mcp, left.id)
        error, text = await call(mcp, "list_videos", {"limit": 100})
    assert job["status"] == "completed", job
    # Without a key, the job is found by its id only: an address is no identity, so nothing is listed.
    assert error and KEY_HEADER in text and "get_video" in text, text
    assert len(studio.proxy.creates_with(text_prompt)) == 1


# --------------------------------------------------------------------------------------------------
# keys and owners


async def test_without_a_key_a_key_only_server_refuses_naming_the_header(keyed_studio: Studio) -> None:
    async with session(keyed_studio.mcp_url) as mcp:
        for tool, args in (("start_video", {"prompt": prompt("nokey")}), ("list_videos", {})):
            error, text = await call(mcp, tool, args)
            assert error and KEY_HEADER in text, text
    assert keyed_studio.proxy.creates() == []
    assert all_jobs(keyed_studio.data_dir) == []


async def test_a_key_is_the_bearer_token_and_another_key_cannot_see_or_cancel_its_job(
    keyed_studio: Studio,
) -> None:
    text_prompt = prompt("owner")
    async with session(keyed_studio.mcp_url, KEY_A) as a:
        error, text = await call(a, "start_video", {"prompt": text_prompt, **SMALL})
        assert not error, text
        job_id = json.loads(text)["job_id"]
    [create] = keyed_studio.proxy.creates_with(text_prompt)
    assert create.authorization == f"Bearer {KEY_A}"
    [record] = [j for j in all_jobs(keyed_studio.data_dir) if j.id == job_id]
    assert record.owner == key_owner(KEY_A)
    answers = [text]
    async with session(keyed_studio.mcp_url, KEY_B) as b:
        for tool in ("get_video", "cancel_video"):
            error, text = await call(b, tool, {"job_id": job_id})
            assert error and "job_id" in text, text
            answers.append(text)
        error, text = await call(b, "list_videos", {})
        assert not error and json.loads(text)["videos"] == []
    async with session(keyed_studio.mcp_url, KEY_A) as a:
        job = await wait_done(a, job_id)
        error, text = await call(a, "list_videos", {})
        answers.append(text)
    assert job["status"] == "completed", job
    assert [v["job_id"] for v in json.loads(text)["videos"]] == [job_id]
    for answer in [*answers, keyed_studio.log_path.read_text()]:
        assert KEY_A not in answer and KEY_B not in answer


async def test_the_per_visitor_rate_limit_applies_to_each_key(keyed_studio: Studio) -> None:
    first, second = prompt("rate 1"), prompt("rate 2")
    # From an address of its own: the limit binds the caller's address as well as its key.
    async with session(keyed_studio.mcp_url, KEY_C, "198.51.100.7") as c:
        error, text = await call(c, "start_video", {"prompt": first, **SMALL})
        assert not error, text
        error, text = await call(c, "start_video", {"prompt": second, **SMALL})
    assert error and "Too many submissions" in text, text
    assert len(keyed_studio.proxy.creates_with(first)) == 1 and keyed_studio.proxy.creates_with(second) == []


# --------------------------------------------------------------------------------------------------
# on by default, off with SEEDANCE_MCP=0; the README's configurations and example


def test_seedance_mcp_0_removes_the_server_the_tools_and_the_footer_line(tmp_path: Path) -> None:
    settings = Settings(api_key=SERVER_KEY, base_url="http://127.0.0.1:9", data_dir=tmp_path, mcp=False)
    demo, runtime = create_app(settings)
    try:
        port = free_port()
        demo.launch(**launch_kwargs(runtime, server_port=port, prevent_thread_lock=True, quiet=True))
        assert httpx.get(f"http://127.0.0.1:{port}{MCP_PATH}", timeout=10).status_code == 404
        assert not {fn.name for fn in demo.fns.values()} & set(TOOL_NAMES)
        assert MCP_PATH not in httpx.get(f"http://127.0.0.1:{port}/", timeout=10).text
    finally:
        demo.close()
        runtime.close()


def test_the_mcp_url_answers_and_the_footer_shows_it(studio: Studio) -> None:
    landing = httpx.get(studio.mcp_url, timeout=10)
    assert landing.status_code == 200
    config = httpx.get(f"{studio.url}/config", timeout=10).json()
    values = [str(c.get("props", {}).get("value")) for c in config["components"]]
    assert [v for v in values if f'<a id="sd-mcp-url" href="{MCP_PATH}">{MCP_PATH}</a>' in v]


def test_the_readme_configurations_use_the_url_and_the_key_header() -> None:
    text = section("MCP server for agents")
    assert code_blocks(text, "text")[0].strip() == README_URL
    cursor, claude = (json.loads(block) for block in code_blocks(text, "json"))
    [direct] = cursor["mcpServers"].values()
    assert direct["url"] == README_URL and list(direct["headers"]) == [KEY_HEADER]
    [bridge] = claude["mcpServers"].values()
    args = bridge["args"]
    assert bridge["command"] == "npx" and "mcp-remote" in args and README_URL in args
    name, _, value = args[args.index("--header") + 1].partition(":")
    assert name == KEY_HEADER and value == "${" + next(iter(bridge["env"])) + "}"


def test_the_readme_example_lists_the_tools_and_makes_a_video(studio: Studio, tmp_path: Path) -> None:
    [example] = code_blocks(section("MCP server for agents"), "python")
    assert f'URL = "{README_URL}"' in example
    script = tmp_path / "agent.py"
    script.write_text(example.replace(README_URL, studio.mcp_url))
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert all(f"'{name}'" in run.stdout for name in TOOL_NAMES), run.stdout
    assert f"completed {studio.url}/gradio_api/file=" in run.stdout, run.stdout
    assert "%" in run.stdout.splitlines()[1], "a progress line comes before the result"
