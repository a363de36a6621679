"""Moving an existing studio's media into a bucket (#22, item 8): `python -m seedance_ui.store copy --to
postgresql://... --media s3://...` puts every media file under its data-dir path, and run twice copies
nothing the second time. Against a real PostgreSQL and a real S3 API (moto)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from pg_server import truncate_all
from s3_server import S3Server

from seedance_ui.store import HistoryStore, JobRecord, JobStatus, new_job_id

BUCKET = "media-copy"
MEDIA = {  # data-dir relative path -> bytes, as a SQLite studio keeps them
    "videos/{job}.mp4": b"\x00\x00\x00\x18ftypmp42 video",
    "posters/{job}.jpg": b"\xff\xd8 poster",
    "inputs/blobs/ab/" + "ab" * 32 + ".png": b"\x89PNG input",
    "exports/0123456789abcdef/board-review.zip": b"PK zip",
    "boards/0123456789abcdef/cast/" + "cd" * 32 + ".png": b"\x89PNG cast",
    "boards/0123456789abcdef/frames/{job}-last.png": b"\x89PNG frame",
}
NOT_MEDIA = ["exports/0123456789abcdef/.board-review.zip.key", "boards/.json-backup/x/board.json",
             "videos/.{job}.mp4.part"]


def _copy(data: Path, db_url: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "seedance_ui.store", "copy", "--to", db_url, "--data-dir", str(data),
               "--media", env["SEEDANCE_MEDIA_URL"]]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def _studio(data: Path) -> str:
    """A SQLite studio with one finished job and a file of every kind; the job's id."""
    store = HistoryStore(data)
    job = new_job_id()
    store.add(JobRecord(id=job, owner="alice", params={"prompt": "p"}, status=JobStatus.COMPLETED,
                        idempotency_token=new_job_id()))
    store.close()
    for rel, content in MEDIA.items():
        path = data / rel.format(job=job)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    for rel in NOT_MEDIA:
        path = data / rel.format(job=job)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not media")
    return job


def test_copy_puts_every_media_file_once_and_twice_copies_nothing(
    postgres_url: str, s3_server: S3Server, tmp_path: Path
):
    truncate_all(postgres_url)
    s3_server.make_bucket(BUCKET)
    env = s3_server.env(BUCKET, "moved")
    job = _studio(tmp_path / "studio")
    first = _copy(tmp_path / "studio", postgres_url, env)
    assert first.returncode == 0, first.stderr
    assert f"{len(MEDIA)} files copied" in first.stdout, first.stdout
    assert s3_server.objects(BUCKET) == sorted(f"moved/{rel.format(job=job)}" for rel in MEDIA)
    second = _copy(tmp_path / "studio", postgres_url, env)
    assert second.returncode == 0, second.stderr
    assert "0 files copied" in second.stdout and f"{len(MEDIA)} there already" in second.stdout
    assert "testing-secret-key" not in first.stdout + first.stderr + second.stdout + second.stderr


def test_copy_to_a_bucket_that_is_not_there_says_so_naming_the_flag(
    postgres_url: str, s3_server: S3Server, tmp_path: Path
):
    truncate_all(postgres_url)
    _studio(tmp_path / "studio")
    env = s3_server.env("no-such-bucket-for-copy")
    done = _copy(tmp_path / "studio", postgres_url, env)
    assert done.returncode == 1 and "--media" in done.stderr and "Traceback" not in done.stderr
    bad = _copy(tmp_path / "studio", postgres_url, env | {"SEEDANCE_MEDIA_URL": "https://x.example/y"})
    assert bad.returncode == 1 and "--media must be" in bad.stderr
