"""Two studio processes on one PostgreSQL and one bucket (#22, item 3), each with its own data directory.

Replica A (`python app.py`, demo mode) finishes an agent's job: its video and poster are in the bucket
before the job is done. Replica B, whose data directory is empty, shows the job and hands out a link to
the video that serves the MP4's bytes; a presigned link stops working after its lifetime. Media delivery
here is `presigned` with a short lifetime (SEEDANCE_MEDIA_LINK_SECONDS).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg
import pytest
from app_process import app_env, call_tool, start_app, stop_app, wait_healthy
from conftest import free_port, wait_until
from pg_server import truncate_all
from s3_server import S3Server

from seedance_ui.store import JobStatus

BUCKET = "media-replicas"
PREFIX = "studio"
LINK_SECONDS = 4  # presigned links live this long here
# start_video's arguments after the prompt: model, duration, quality, ratio, audio, web search, no media
TOOL_ARGS = ["seedance-2.0-fast-text-to-video", 4, "480p", "16:9", False, False, "", "", [], [], [], False,
             ""]


@dataclass
class Pair:
    a_url: str
    b_url: str
    b_data: Path
    db_url: str
    logs: tuple[Path, Path]


def _status(db_url: str, job_id: str) -> str | None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute("SELECT status FROM jobs WHERE id = %s", (job_id,)).fetchone()
    return None if row is None else row[0]


def _env(s3: S3Server, db_url: str, data: Path, port: int) -> dict[str, str]:
    return app_env("", "", data, port) | s3.env(BUCKET, PREFIX) | {
        "EVOLINK_API_KEY": "", "SEEDANCE_SIMULATOR_SPEED": "100", "SEEDANCE_DATABASE_URL": db_url,
        "SEEDANCE_MEDIA_DELIVERY": "presigned", "SEEDANCE_MEDIA_LINK_SECONDS": str(LINK_SECONDS)}


@pytest.fixture(scope="module")
def pair(s3_server: S3Server, postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    truncate_all(postgres_url)
    s3_server.make_bucket(BUCKET)
    root = tmp_path_factory.mktemp("media-replicas")
    ports = free_port(), free_port()
    logs = root / "a.log", root / "b.log"
    procs = [start_app(_env(s3_server, postgres_url, root / name, port), log)
             for name, port, log in zip(("a", "b"), ports, logs, strict=True)]
    try:
        for proc, port, log in zip(procs, ports, logs, strict=True):
            wait_healthy(f"http://127.0.0.1:{port}", proc, log)
        yield Pair(f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}", root / "b", postgres_url,
                   logs)
    finally:
        for proc in procs:
            stop_app(proc)


@pytest.fixture(scope="module")
def finished(pair: Pair, s3_server: S3Server) -> str:
    """A job an agent made on replica A, completed."""
    answer = call_tool(pair.a_url, "start_video", ["Media check: a paper boat on a rain gutter", *TOOL_ARGS])
    job_id = answer.get("job_id") or answer.get("id")
    assert job_id, answer
    wait_until(lambda: JobStatus(_status(pair.db_url, job_id)).terminal, timeout=120)
    assert _status(pair.db_url, job_id) == JobStatus.COMPLETED.value
    return job_id


def test_the_finished_jobs_video_and_poster_are_in_the_bucket(pair: Pair, s3_server: S3Server, finished: str):
    keys = s3_server.objects(BUCKET)
    assert f"{PREFIX}/videos/{finished}.mp4" in keys and f"{PREFIX}/posters/{finished}.jpg" in keys


def test_a_replica_with_an_empty_data_directory_hands_out_presigned_links_of_the_bucket(
    pair: Pair, s3_server: S3Server, finished: str
):
    """B shows the job and links its files in the bucket: the bytes come from there, not through B."""
    view = call_tool(pair.b_url, "get_video", [finished])
    assert view["status"] == JobStatus.COMPLETED.value and view["video_url"], view
    assert view["video_url"].startswith(f"{s3_server.endpoint}/{BUCKET}/{PREFIX}/videos/{finished}.mp4?")
    video = httpx.get(view["video_url"], timeout=30)
    assert video.status_code == 200, (view["video_url"], video.status_code)
    assert video.content[4:8] == b"ftyp"  # an MP4
    poster = httpx.get(view["poster_url"], timeout=30)
    assert poster.status_code == 200 and poster.content[:2] == b"\xff\xd8"  # a JPEG
    assert not (pair.b_data / "videos" / f"{finished}.mp4").exists()  # B never held the video


def test_a_presigned_link_is_signed_for_the_short_lifetime_set(pair: Pair, finished: str):
    """The link carries SEEDANCE_MEDIA_LINK_SECONDS as its signed lifetime from now. (The store enforces
    it: MinIO and S3 answer 403 after it; moto 5.2.6, used here, does not check X-Amz-Expires at all.)"""
    url = call_tool(pair.b_url, "get_video", [finished])["video_url"]
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == [str(LINK_SECONDS)]
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs(signed_at.timestamp() - time.time()) < 60
    assert "X-Amz-Signature" in query and "testing-secret-key" not in url


@pytest.mark.parametrize("value", ["https://bucket.example.com/media", "s3://no-such-bucket-here/media"])
def test_a_bad_media_url_stops_the_app_at_start_naming_the_variable(
    s3_server: S3Server, tmp_path: Path, value: str
):
    """A malformed value, and a bucket the store does not have: the app exits with the variable named."""
    log = tmp_path / "bad.log"
    env = _env(s3_server, "", tmp_path / "data", free_port()) | {"SEEDANCE_MEDIA_URL": value}
    proc = start_app(env, log)
    try:
        assert proc.wait(timeout=90) != 0
    finally:
        stop_app(proc)
    text = log.read_text()
    assert "SEEDANCE_MEDIA_URL" in text and "testing-secret-key" not in text, text[-2000:]


def _playable(page: Any, selector: str, endpoint: str) -> str:
    """The src of the <video> under `selector` once it comes from the bucket and has loaded its data."""
    try:
        page.wait_for_function(
            """([sel, endpoint]) => { const v = document.querySelector(sel + ' video');
                 return v && v.src.startsWith(endpoint) && v.readyState >= 2 && v.duration > 0; }""",
            arg=[selector, endpoint], timeout=60_000)
    except Exception:
        state = page.evaluate("""sel => { const v = document.querySelector(sel + ' video');
            return v ? {src: v.src, ready: v.readyState, error: v.error && v.error.code} : null; }""",
                              selector)
        raise AssertionError(f"{selector}: {state}") from None
    return page.eval_on_selector(f"{selector} video", "v => v.src")


def test_the_browser_plays_the_video_from_the_bucket_on_either_replica(
    pair: Pair, s3_server: S3Server, browser: Any
):
    """A visitor makes a video on A's page and plays it; B (empty data directory) shows it in the
    visitor's history and its player fetches it from the bucket too (a real Chromium)."""
    from page_helpers import TIMEOUT_MS, open_newest, wait_loaded

    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(pair.a_url)
    wait_loaded(page)
    page.fill("#sd-prompt textarea", "Media check: a kite over a windy beach")
    page.click("#sd-generate")
    src = _playable(page, "#sd-video", s3_server.endpoint)
    assert f"/{BUCKET}/{PREFIX}/videos/" in src and "X-Amz-Signature" in src
    page.goto(pair.b_url)  # the visitor cookie is the same on any replica (one app secret, one database)
    wait_loaded(page)
    open_newest(page)
    detail = _playable(page, "#sd-detail-video", s3_server.endpoint)
    assert detail.split("?")[0] == src.split("?")[0]
    assert not list((pair.b_data / "videos").glob("*.mp4"))  # B never held a video's bytes
    context.close()
