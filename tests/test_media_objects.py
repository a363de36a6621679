"""Media in S3-compatible object storage (#22, item 3), against a real S3 API (moto in server mode).

`S3Media` round trips; `HistoryStore` with a bucket behind its data directory puts what is written,
fetches what a replica lacks (read-through), deletes objects with their job, and keeps a file whose put
failed for the background retry; the settings refuse bad values naming the variable.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from s3_server import S3Server

from seedance_ui.config import ConfigError, Settings, load_settings
from seedance_ui.store import HistoryStore, JobRecord, JobStatus, new_job_id
from seedance_ui.store.objects import LocalMedia, S3Media, open_media

BUCKET = "media-objects"
OWNER = "owner-media"
VIDEO = b"\x00\x00\x00\x18ftypmp42" + os.urandom(4096)  # bytes enough to tell copies apart


@pytest.fixture(scope="module")
def env(s3_server: S3Server) -> dict[str, str]:
    s3_server.make_bucket(BUCKET)
    values = s3_server.env(BUCKET, "studio")
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update({k: v for k, v in values.items() if k.startswith("AWS_")})  # boto3 reads these
    yield values
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _media(env: dict[str, str], data_dir: Path, **overrides: str) -> S3Media:
    settings = load_settings({**env, **overrides}, dotenv_path=None)
    media = open_media(settings, data_dir)
    assert isinstance(media, S3Media)
    return media


def _completed_job(store: HistoryStore) -> JobRecord:
    """A finished job whose video and poster the store wrote and published, as the pipeline does."""
    record = JobRecord(id=new_job_id(), owner=OWNER, params={"prompt": "a lighthouse"},
                       status=JobStatus.COMPLETED, idempotency_token=new_job_id())
    store.add(record)
    video, poster = store.video_path(record.id), store.poster_path(record.id)
    video.write_bytes(VIDEO)
    poster.write_bytes(b"\xff\xd8poster")
    assert store.publish(video, poster)
    return store.update(record.id, video_path=video, poster_path=poster)


def test_s3_media_round_trip(env: dict[str, str], s3_server: S3Server, tmp_path: Path):
    media = _media(env, tmp_path)
    source = tmp_path / "clip.mp4"
    source.write_bytes(VIDEO)
    assert media.keep("videos/clip.mp4", source)
    assert "studio/videos/clip.mp4" in s3_server.objects(BUCKET)
    assert media.sizes()["videos/clip.mp4"] == len(VIDEO)
    target = tmp_path / "elsewhere" / "clip.mp4"
    assert media.fetch("videos/clip.mp4", target) and target.read_bytes() == VIDEO
    assert media.presign("videos/clip.mp4").startswith(s3_server.endpoint + "/media-objects/studio/videos/")
    media.delete("videos/clip.mp4")
    assert "studio/videos/clip.mp4" not in s3_server.objects(BUCKET)
    assert not media.fetch("videos/clip.mp4", tmp_path / "gone.mp4")
    with pytest.raises(ValueError):
        media.key("../outside")


def test_a_presigned_link_is_reused_for_half_its_lifetime(env: dict[str, str], tmp_path: Path, monkeypatch):
    """A page that redraws (a board's tiles) gets the same URL, so its players do not reload."""
    from seedance_ui.store import objects

    now = [1000.0]
    clock = SimpleNamespace(monotonic=lambda: now[0], time=time.time, sleep=time.sleep)
    monkeypatch.setattr(objects, "time", clock)  # this module's clock only
    media = _media(env, tmp_path, SEEDANCE_MEDIA_LINK_SECONDS="600")
    first = media.presign("videos/clip.mp4")
    now[0] += 299
    assert media.presign("videos/clip.mp4") == first
    assert media.presign("videos/clip.mp4", download_name="clip.mp4") != first  # a download is another link
    now[0] += 2  # past half its lifetime: a fresh one, with the whole lifetime ahead
    signed = media.client.generate_presigned_url  # the link changes with its signing time
    monkeypatch.setattr(media.client, "generate_presigned_url", lambda *a, **k: signed(*a, **k) + "&fresh")
    assert media.presign("videos/clip.mp4") != first


def test_a_replica_without_the_file_reads_it_through_and_a_delete_removes_the_objects(
    env: dict[str, str], s3_server: S3Server, tmp_path: Path
):
    a = HistoryStore(tmp_path / "a", media=_media(env, tmp_path / "a"))
    record = _completed_job(a)
    keys = s3_server.objects(BUCKET)
    assert f"studio/videos/{record.id}.mp4" in keys and f"studio/posters/{record.id}.jpg" in keys
    # Replica B: another data directory, empty; the same records (here: the same row) and bucket.
    b = HistoryStore(tmp_path / "b", media=_media(env, tmp_path / "b"))
    b.db.insert_job(record)
    assert not (tmp_path / "b" / "videos" / f"{record.id}.mp4").exists()
    video = b.video_file(record)
    assert video is not None and video.read_bytes() == VIDEO
    assert b.poster_file(record) is not None
    assert b.delete(record.id, OWNER)
    keys = s3_server.objects(BUCKET)
    assert f"studio/videos/{record.id}.mp4" not in keys and f"studio/posters/{record.id}.jpg" not in keys
    a.close()
    b.close()


def test_input_blobs_go_to_the_bucket_and_leave_with_their_last_job(
    env: dict[str, str], s3_server: S3Server, tmp_path: Path
):
    store = HistoryStore(tmp_path / "data", media=_media(env, tmp_path / "data"))
    record = JobRecord(id=new_job_id(), owner=OWNER, params={"prompt": "p"}, status=JobStatus.PENDING,
                       idempotency_token=new_job_id())
    store.add(record)
    picture = tmp_path / "frame.png"
    picture.write_bytes(b"\x89PNG" + os.urandom(64))
    sha = "ab" * 32
    [rel] = store.keep_inputs(record.id, OWNER, [(picture, sha, ".png")])
    assert f"studio/{rel}" in s3_server.objects(BUCKET)
    (tmp_path / "data" / rel).unlink()  # another replica's data directory would lack it
    assert store.resolve(rel).read_bytes() == picture.read_bytes()
    store.remove_inputs(record.id)
    assert f"studio/{rel}" not in s3_server.objects(BUCKET)
    store.close()


def test_a_failed_put_keeps_the_local_file_and_is_retried(
    env: dict[str, str], s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The bucket goes away while a paid video is put: the file stays, a marker remembers it, and the
    retry puts it once the bucket is back (the real S3 API: the bucket is missing, then made)."""
    import seedance_ui.store.objects as objects

    monkeypatch.setattr(objects, "PUT_BACKOFF_SECONDS", 0.01)
    media = _media(env, tmp_path)
    media.bucket = "media-not-yet-made"
    video = tmp_path / "videos" / "paid.mp4"
    video.parent.mkdir()
    video.write_bytes(VIDEO)
    assert not media.keep("videos/paid.mp4", video)
    assert video.read_bytes() == VIDEO and media.pending() == ["videos/paid.mp4"]
    assert media.retry_pending() == 0
    s3_server.make_bucket("media-not-yet-made")
    assert media.retry_pending() == 1 and media.pending() == []
    assert "studio/videos/paid.mp4" in s3_server.objects("media-not-yet-made")


def test_without_a_media_url_the_data_directory_is_all_there_is(tmp_path: Path):
    settings = load_settings({}, dotenv_path=None)
    assert settings.media_url == "" and settings.media_delivery == "presigned"
    assert isinstance(open_media(settings, tmp_path), LocalMedia)
    assert isinstance(HistoryStore(tmp_path).media, LocalMedia)


@pytest.mark.parametrize("name, value", [
    ("SEEDANCE_MEDIA_URL", "https://bucket.example.com/media"),
    ("SEEDANCE_MEDIA_URL", "s3://"),
    ("SEEDANCE_MEDIA_URL", "s3://Bad_Bucket/media"),
    ("SEEDANCE_MEDIA_DELIVERY", "stream"),
    ("SEEDANCE_MEDIA_LINK_SECONDS", "0"),
    ("SEEDANCE_MEDIA_LINK_SECONDS", "604801"),
])
def test_bad_media_settings_name_the_variable(name: str, value: str):
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value}, dotenv_path=None)


def test_a_bucket_that_does_not_answer_stops_the_start_naming_the_variable(
    env: dict[str, str], tmp_path: Path
):
    settings = Settings(media_url="s3://no-such-bucket-here/x")
    with pytest.raises(ConfigError, match="SEEDANCE_MEDIA_URL") as caught:
        open_media(settings, tmp_path)
    assert env["AWS_SECRET_ACCESS_KEY"] not in str(caught.value)


def test_cast_pictures_and_exports_follow_their_data_directory_into_the_bucket(
    env: dict[str, str], s3_server: S3Server, tmp_path: Path
):
    """The storyboard writes under a data directory, not through the store: its cast pictures (written,
    read, deleted) and exports (remembered) reach the bucket through objects.file_*."""
    from seedance_ui.storyboard import board_delete
    from seedance_ui.storyboard.cast import store_bytes
    from seedance_ui.storyboard.export_reuse import remember
    from seedance_ui.storyboard.validation import cast_path

    store = HistoryStore(tmp_path / "data", media=_media(env, tmp_path / "data"))
    media_dir = store.data_dir / "boards" / "0123456789abcdef"
    digest = "cd" * 32
    store_bytes(media_dir, digest, ".png", b"\x89PNG cast picture")
    key = f"studio/boards/0123456789abcdef/cast/{digest}.png"
    assert key in s3_server.objects(BUCKET)

    class Entry:
        file_name = f"{digest}.png"

    picture = Path(cast_path(media_dir, Entry()))
    picture.unlink()  # another replica lacks it
    assert Path(cast_path(media_dir, Entry())).read_bytes() == b"\x89PNG cast picture"
    export = store.data_dir / "exports" / "0123456789abcdef" / "board-contact-sheet.png"
    export.parent.mkdir(parents=True)
    export.write_bytes(b"\x89PNG sheet")
    remember(export, "k" * 64)
    assert "studio/exports/0123456789abcdef/board-contact-sheet.png" in s3_server.objects(BUCKET)
    board_delete._unlink([picture])
    assert key not in s3_server.objects(BUCKET)
    store.close()


def test_a_boards_tiles_link_the_bucket_and_the_replica_fetches_nothing(
    env: dict[str, str], s3_server: S3Server, tmp_path: Path
):
    """Showing a board on a replica that never had its takes: each tile's video and poster are presigned
    links of the bucket; the replica downloads no take to draw them (ui/storyboard/views.py)."""
    from seedance_ui.storyboard import Board
    from seedance_ui.storyboard.plan import record_take
    from seedance_ui.ui.media_links import MediaLinks
    from seedance_ui.ui.storyboard import views as sv

    a = HistoryStore(tmp_path / "a", media=_media(env, tmp_path / "a"))
    record = _completed_job(a)
    b = HistoryStore(tmp_path / "b", media=_media(env, tmp_path / "b"), database_url="")
    b.add(record)  # the shared database, as replica B reads it
    board = Board(owner=OWNER, title="Tiles")
    shot = board.add_shot(title="Shot 1", prompt="a lighthouse", duration=4)
    record_take(board, shot.id, record.id)
    links = MediaLinks(b)
    views = sv.shot_views(board, lambda job_id: b.get(job_id, OWNER), lambda r: links.link(r.poster_path),
                          lambda r: links.link(r.video_path))
    take = views[0].takes[0]
    bucket = f"{s3_server.endpoint}/{BUCKET}/studio/"
    assert take.video_url is not None and take.video_url.startswith(bucket + "videos/")
    assert take.poster_url is not None and take.poster_url.startswith(bucket + "posters/")
    assert not any(path.is_file() for path in (tmp_path / "b").rglob("*.mp4"))  # nothing fetched
