"""Media delivery `route` (#22, item 3): the bucket is private to the servers, the studio's owner-checked
route `/media/<path>` serves a file to its owner only (read through from the bucket when the replica
lacks it) and answers 404 to anyone else and to paths outside the media folders.

One `python app.py` (demo mode) behind a pretend proxy (SEEDANCE_TRUST_PROXY=1): callers differ by the
X-Forwarded-For address, which is what a keyless agent's identity is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from app_process import all_jobs, app_env, call_tool, start_app, stop_app, wait_healthy
from conftest import free_port, wait_until
from s3_server import S3Server

from seedance_ui.store import JobStatus

BUCKET = "media-route"
OWNER_ADDRESS, OTHER_ADDRESS = "203.0.113.7", "203.0.113.8"
TOOL_ARGS = ["seedance-2.0-fast-text-to-video", 4, "480p", "16:9", False, False, "", "", [], [], [], False,
             ""]


@dataclass
class Studio:
    url: str
    data: Path
    job_id: str = ""


@pytest.fixture(scope="module")
def studio(s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    s3_server.make_bucket(BUCKET)
    root = tmp_path_factory.mktemp("media-route")
    port = free_port()
    env = app_env("", "", root / "data", port) | s3_server.env(BUCKET) | {
        "EVOLINK_API_KEY": "", "SEEDANCE_SIMULATOR_SPEED": "100", "SEEDANCE_MEDIA_DELIVERY": "route",
        "SEEDANCE_TRUST_PROXY": "1"}
    log = root / "app.log"
    proc = start_app(env, log)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, log)
        yield Studio(f"http://127.0.0.1:{port}", root / "data")
    finally:
        stop_app(proc)


@pytest.fixture(scope="module")
def link(studio: Studio, s3_server: S3Server) -> str:
    """The video link get_video hands the owner of a finished job, after the replica lost its copy."""
    prompt = "Route check: a lantern in the fog"
    answer = call_tool(studio.url, "start_video", [prompt, *TOOL_ARGS], OWNER_ADDRESS)
    job_id = answer.get("job_id") or answer.get("id")

    def done() -> bool:
        return any(j.id == job_id and j.status == JobStatus.COMPLETED for j in all_jobs(studio.data))

    wait_until(done, timeout=120)
    assert f"videos/{job_id}.mp4" in s3_server.objects(BUCKET)
    (studio.data / "videos" / f"{job_id}.mp4").unlink()  # as on a replica that never had it
    studio.job_id = job_id
    view = call_tool(studio.url, "get_video", [job_id], OWNER_ADDRESS)
    return view["video_url"]


def test_the_owner_gets_the_video_through_the_studio_read_through_from_the_bucket(studio: Studio, link: str):
    assert link == f"{studio.url}/media/videos/{studio.job_id}.mp4"
    answer = httpx.get(link, headers={"X-Forwarded-For": OWNER_ADDRESS}, timeout=30)
    assert answer.status_code == 200 and answer.content[4:8] == b"ftyp"
    assert answer.headers["content-type"] == "video/mp4"
    assert (studio.data / "videos" / f"{studio.job_id}.mp4").is_file()  # fetched once into the data dir


def test_another_visitor_gets_nothing(studio: Studio, link: str):
    for headers in ({"X-Forwarded-For": OTHER_ADDRESS}, {"X-Forwarded-For": OTHER_ADDRESS, "Cookie": "x=1"}):
        answer = httpx.get(link, headers=headers, timeout=30)
        assert answer.status_code == 404 and b"ftyp" not in answer.content


@pytest.mark.parametrize("path", ["media/studio.sqlite3", "media/videos/../studio.sqlite3",
                                  "media/%2e%2e/studio.sqlite3", "media/boards/x/cast/a.png"])
def test_paths_outside_the_owners_media_are_refused(studio: Studio, link: str, path: str):
    answer = httpx.get(f"{studio.url}/{path}", headers={"X-Forwarded-For": OWNER_ADDRESS}, timeout=30)
    assert answer.status_code == 404
