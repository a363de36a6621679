"""Durable inputs through the job manager, against the simulator over loopback (behind the recording
proxy, so each create body is checked as the provider received it).

Every input is written with its job before anything is sent; uploads are recorded on the job and in the
store's upload cache; a job resumed before its create uploads again only what expired; a refused upload
fails the job and creates nothing; deleting a job deletes its input copies.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from job_helpers import SimJobs, add_unsent_job
from media_files import plain_image, quadrant_image

from seedance_ui.client import GenerationRequest, SeedanceClient, ValidationError
from seedance_ui.client.uploads import UploadedFile
from seedance_ui.jobs.inputs import StoreUploadCache, durable_params, entries_of, save_inputs
from seedance_ui.jobs.meta import KEY_SERVER
from seedance_ui.options import UPLOAD_STREAM_PATH, model_id
from seedance_ui.store import HistoryStore, JobRecord, JobStatus

FRAMES = model_id("frames", "Fast")
REFERENCES = model_id("references", "Fast")
OWNER = "alice"


@pytest.fixture
def jobs(tmp_path: Path) -> Iterator[SimJobs]:
    made = SimJobs(tmp_path / "data", proxy=True)
    made.sim.set_behaviour(estimated_time=20)
    yield made
    made.close()


@pytest.fixture
def pictures(tmp_path: Path) -> Path:
    folder = tmp_path / "pictures"
    folder.mkdir()
    quadrant_image(folder / "quad.png")
    quadrant_image(folder / "second.png", colours=((20, 20, 20), (250, 250, 250), (250, 140, 0), (9, 0, 160)))
    plain_image(folder / "small.png", (200, 200))
    return folder


def manager(jobs: SimJobs):
    return jobs.manager(files_url=jobs.settings.base_url)


def frames(picture: Path, prompt: str = "The picture comes alive, slow push in.") -> GenerationRequest:
    return GenerationRequest(prompt=prompt, model=FRAMES, duration=4, quality="480p",
                             aspect_ratio="adaptive", generate_audio=False, first_frame=str(picture))


def uploads(jobs: SimJobs) -> int:
    return jobs.sim.count("POST", UPLOAD_STREAM_PATH)


def creates(jobs: SimJobs) -> list:
    assert jobs.proxy is not None
    return jobs.proxy.creates()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_input_is_on_disk_with_its_job_before_anything_is_sent(jobs, pictures):
    m = manager(jobs)
    request = GenerationRequest(prompt="@image1 meets @image2 on a bridge, wide shot.", model=REFERENCES,
                                duration=4, quality="480p", generate_audio=False,
                                reference_images=(str(pictures / "quad.png"), str(pictures / "second.png")))
    jobs.sim.inject("upload", status=503, times=50)  # hold every upload back: nothing gets through
    record = m.submit(request, OWNER)
    entries = entries_of(record.params)
    assert [(e["role"], e["name"]) for e in entries] == [("reference_image", "quad.png"),
                                                         ("reference_image", "second.png")]
    for entry, original in zip(entries, ("quad.png", "second.png"), strict=True):
        copy = m.store.resolve(entry["path"])
        assert copy == m.store.blob_path(entry["sha256"], ".png")  # kept once per content
        assert copy.read_bytes() == (pictures / original).read_bytes()
        assert entry["sha256"] == sha256(pictures / original)
    # The record alone rebuilds the request: the copies, in order, no temporary path of the caller.
    assert record.params["reference_images"] == [e["path"] for e in entries]
    done = m.wait(record.id, timeout=30)
    assert done.status == JobStatus.FAILED and "upload" in (done.error_message or "").lower()
    assert creates(jobs) == []


def test_a_refused_input_writes_nothing_and_sends_nothing(jobs, pictures):
    m = manager(jobs)
    with pytest.raises(ValidationError) as caught:
        m.submit(frames(pictures / "small.png"), OWNER)
    assert caught.value.field == "first_frame" and "300" in caught.value.rule
    assert m.list(OWNER) == [] and list(m.store.inputs_root.iterdir()) == []
    assert uploads(jobs) == 0 and creates(jobs) == []


def test_a_frames_job_uploads_once_records_the_upload_and_the_create_carries_it(jobs, pictures):
    m = manager(jobs)
    first = m.wait(m.submit(frames(pictures / "quad.png"), OWNER).id, timeout=60)
    second = m.wait(m.submit(frames(pictures / "quad.png", "Again, slower."), OWNER).id, timeout=60)
    assert first.status == second.status == JobStatus.COMPLETED
    assert uploads(jobs) == 1  # the second job reuses the first one's upload (same content, same key)
    [entry] = entries_of(first.params)
    assert entry["file_url"] and entry["expires_at"] > time.time()
    assert [c.body["image_urls"] for c in creates(jobs)] == [[entry["file_url"]]] * 2
    assert entries_of(second.params)[0]["file_url"] == entry["file_url"]


def test_the_upload_cache_outlives_a_restart(jobs, pictures):
    m = manager(jobs)
    assert m.wait(m.submit(frames(pictures / "quad.png"), OWNER).id, timeout=60).status == JobStatus.COMPLETED
    m.stop()
    again = manager(jobs)  # a new process: its clients start with no upload in memory
    done = again.wait(again.submit(frames(pictures / "quad.png", "After a restart."), OWNER).id, timeout=60)
    assert done.status == JobStatus.COMPLETED
    assert uploads(jobs) == 1 and len(creates(jobs)) == 2


def stopped_before_create(jobs: SimJobs, picture: Path, *, file_url: str | None, expires_at: float | None
                          ) -> JobRecord:
    """A frames job as a stop leaves it between its upload and its create: UPLOADING, its input copy on
    disk, and (when given) the upload recorded on it."""
    store = HistoryStore(jobs.settings.data_dir)
    try:
        request = frames(picture)
        record = add_unsent_job(store, OWNER, request, KEY_SERVER)
        entries = save_inputs(store, record.id, request)
        if file_url:
            entries[0].update(file_url=file_url, expires_at=expires_at)
        return store.update(record.id, params=durable_params(request, entries), status=JobStatus.UPLOADING)
    finally:
        store.close()


def test_a_job_resumed_before_its_create_uses_its_recorded_upload(jobs, pictures):
    base = jobs.settings.base_url

    async def upload_once() -> tuple[str, float]:
        async with SeedanceClient(jobs.settings.api_key, base, files_url=base) as client:
            done = await client.upload_file(pictures / "quad.png")
            return done.file_url, done.expires_at

    url, expires = asyncio.run(upload_once())
    record = stopped_before_create(jobs, pictures / "quad.png", file_url=url, expires_at=expires)
    m = manager(jobs)
    done = m.wait(record.id, timeout=60)
    assert done.status == JobStatus.COMPLETED
    assert uploads(jobs) == 1  # the one made before the stop
    assert [c.body["image_urls"] for c in creates(jobs)] == [[url]]


def test_an_expired_upload_is_uploaded_again_before_the_create(jobs, pictures):
    stale = f"{jobs.settings.base_url}/files/file_gone/old.png"
    record = stopped_before_create(jobs, pictures / "quad.png", file_url=stale, expires_at=time.time() - 60)
    m = manager(jobs)
    done = m.wait(record.id, timeout=60)
    assert done.status == JobStatus.COMPLETED, done.error_message
    assert uploads(jobs) == 1
    [entry] = entries_of(done.params)
    assert entry["file_url"] != stale and entry["expires_at"] > time.time()
    assert [c.body["image_urls"] for c in creates(jobs)] == [[entry["file_url"]]]


def test_a_cached_upload_about_to_expire_is_not_reused(jobs, pictures):
    jobs.sim.files.lifetime = 600  # shorter than the margin kept before expiry: never reused
    m = manager(jobs)
    for prompt in ("One.", "Two."):
        assert m.wait(m.submit(frames(pictures / "quad.png", prompt), OWNER).id, timeout=60).status \
            == JobStatus.COMPLETED
    assert uploads(jobs) == 2
    urls = [c.body["image_urls"][0] for c in creates(jobs)]
    assert len(set(urls)) == 2


def test_a_refused_upload_fails_the_job_with_the_providers_message_and_creates_nothing(jobs, pictures):
    body = '{"success": false, "code": 403, "msg": "File quota exhausted: 2000 files", "data": null}'
    jobs.sim.inject("upload", status=403, body=body)
    m = manager(jobs)
    done = m.wait(m.submit(frames(pictures / "quad.png"), OWNER).id, timeout=60)
    assert done.status == JobStatus.FAILED
    assert "File quota exhausted: 2000 files" in done.error_message
    assert done.task_id is None and creates(jobs) == [] and jobs.sim.create_count == 0


def test_delete_removes_the_input_copies(jobs, pictures):
    m = manager(jobs)
    done = m.wait(m.submit(frames(pictures / "quad.png"), OWNER).id, timeout=60)
    copy = m.store.resolve(entries_of(done.params)[0]["path"])
    assert copy.is_file()
    assert m.delete(done.id, OWNER)
    assert not copy.exists()
    assert (pictures / "quad.png").is_file()  # the caller's own file is never touched


def test_the_stored_upload_cache_keeps_usable_uploads_and_forgets_expired_ones(tmp_path):
    now = time.time()
    fresh = UploadedFile("https://files.example/a.png", now + 72 * 3600, sha256="a" * 64, file_id="file_a")
    stale = UploadedFile("https://files.example/b.png", now - 1, sha256="b" * 64)
    with HistoryStore(tmp_path / "data") as store:
        cache = StoreUploadCache(store.db)
        cache.put("me", fresh)
        cache.put("me", stale)
        assert cache.get("a" * 64, "me", now) == fresh
        assert cache.get("a" * 64, "someone else", now) is None  # another key identity
        assert cache.get("b" * 64, "me", now) is None  # expired: never handed out
        assert cache.get("a" * 64, "me", now + 72 * 3600) is None  # past the expiry margin
        StoreUploadCache(store.db)  # the next start drops what expired
        assert store.db.get_upload("b" * 64, "me") is None and store.db.get_upload("a" * 64, "me")
