"""The review page's media with presigned delivery (#22, item 3): a reviewer's player gets its video from
the bucket, not through the replica. The review routes run on a real HTTP server (uvicorn on loopback) over
a studio whose media live in a real S3 API (moto); the media route answers a link-checked request with a
redirect to a presigned URL of the bucket, and the bytes it leads to are the take's video.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace

import httpx
import pytest
import uvicorn
from conftest import free_port, wait_until
from s3_server import S3Server
from starlette.applications import Starlette
from test_review_core import OWNER, ROOM, _board

from seedance_ui.config import Settings, load_settings
from seedance_ui.jobs import JobManager
from seedance_ui.review import ReviewService
from seedance_ui.simulator import Simulator
from seedance_ui.store import HistoryStore, JobStatus
from seedance_ui.store.objects import open_media
from seedance_ui.storyboard.page import Shown
from seedance_ui.storyboard.session import BoardSession, Sent
from seedance_ui.ui.review.api import TOKEN_HEADER
from seedance_ui.ui.review.routes import review_routes

BUCKET = "review-media"


@dataclass
class Served:
    url: str
    token: str
    store: HistoryStore


@pytest.fixture(scope="module")
def served(s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    s3_server.make_bucket(BUCKET)
    values = s3_server.env(BUCKET, "studio")
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update({k: v for k, v in values.items() if k.startswith("AWS_")})  # boto3 reads these
    data = tmp_path_factory.mktemp("review-media") / "data"
    media = open_media(load_settings(values, dotenv_path=None), data)
    with Simulator(speed=250) as sim:
        settings = Settings(api_key="sk-review-test", base_url=sim.base_url, data_dir=data,
                            poll_interval=0.05)
        store = HistoryStore(data, media=media)
        manager = JobManager(store, settings)
        manager.start()
        session = BoardSession(data, manager, store)
        server = None
        try:
            board = _board(session, "Bucket", "a paper boat on a rain gutter")
            shown = Shown.of(OWNER, board.id, None)
            sent = session.generate(shown, session.plan(shown, "all").token("test"))
            assert isinstance(sent, Sent)
            assert all(manager.wait(t.job_id, timeout=60).status == JobStatus.COMPLETED for t in sent.takes)
            reviews = ReviewService(store, limits=ROOM)
            token, _link = reviews.share(OWNER, board.id)
            runtime = SimpleNamespace(settings=settings, reviews=reviews, store=store)
            port = free_port()
            server = uvicorn.Server(uvicorn.Config(Starlette(routes=review_routes(runtime)), host="127.0.0.1",
                                                   port=port, log_level="warning"))
            threading.Thread(target=server.run, daemon=True).start()
            wait_until(lambda: server.started, timeout=20)
            yield Served(f"http://127.0.0.1:{port}", token, store)
        finally:
            if server is not None:
                server.should_exit = True
            session.close()
            manager.stop(grace=0.5)
            store.close()
            for name, value in saved.items():
                os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)


def test_the_review_players_video_comes_from_the_bucket(served: Served, s3_server: S3Server) -> None:
    with httpx.Client(base_url=served.url, timeout=30) as http:
        opened = http.post("/review/api/open", headers={TOKEN_HEADER: served.token}, json={})
        assert opened.status_code == 200, opened.text
        view = opened.json()["view"]
        video = view["shots"][0]["versions"][0]["video"]
        answer = http.get(video)  # as the player asks: the media ticket is in the path
    assert answer.status_code == 307  # the replica sends no video bytes: the bucket does
    target = answer.headers["location"]
    assert target.startswith(f"{s3_server.endpoint}/{BUCKET}/studio/videos/") and "X-Amz-Signature" in target
    job_id = view["shots"][0]["versions"][0]["take_job_id"]
    record = served.store.get(job_id, OWNER)
    assert record is not None and record.video_path is not None
    assert httpx.get(target, timeout=30).content == (served.store.data_dir / record.video_path).read_bytes()
    forged = video.replace(video.split("/")[3], "A" * 22)  # another media ticket: not even a redirect
    with httpx.Client(base_url=served.url, timeout=30) as http:
        assert http.get(forged).status_code == 404


def test_the_review_page_may_load_media_from_the_bucket(s3_server: S3Server) -> None:
    from seedance_ui.security.gate import Gate

    gate = Gate(lambda *a: None, media_origins=(s3_server.endpoint,))
    policy = dict(gate.review_headers)[b"content-security-policy"].decode()
    assert f"media-src 'self' {s3_server.endpoint};" in policy
    assert f"img-src 'self' data: {s3_server.endpoint};" in policy


def test_a_replica_without_the_files_shows_and_redirects_to_them_without_downloading(
    served: Served, s3_server: S3Server
) -> None:
    """A replica that lacks a take's files (they are in the bucket) shows the take and redirects to it, and
    fetches neither: "is it there" is a HEAD request to the bucket, not a read-through download."""
    with httpx.Client(base_url=served.url, timeout=30) as http:
        first = http.post("/review/api/open", headers={TOKEN_HEADER: served.token}, json={}).json()["view"]
        job_id = first["shots"][0]["versions"][0]["take_job_id"]
        record = served.store.get(job_id, OWNER)
        assert record is not None and record.video_path and record.poster_path
        local = [served.store.data_dir / record.video_path, served.store.data_dir / record.poster_path]
        kept = [path.read_bytes() for path in local]
        for path in local:
            path.unlink()
        try:
            view = http.post("/review/api/open", headers={TOKEN_HEADER: served.token}, json={}).json()["view"]
            version = view["shots"][0]["versions"][0]
            assert version["video"] and version["poster"]  # still shown: the bucket has them
            for link, content in zip((version["video"], version["poster"]), kept, strict=True):
                answer = http.get(link)
                assert answer.status_code == 307
                assert httpx.get(answer.headers["location"], timeout=30).content == content
            assert not any(path.exists() for path in local)  # nothing was downloaded to this replica
        finally:
            for path, content in zip(local, kept, strict=True):
                path.write_bytes(content)
