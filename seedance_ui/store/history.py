"""Job history: the jobs of the studio's database, plus their videos and posters on disk.

Layout of `data_dir`::

    studio.sqlite3         the database (see store/local.py): jobs, job bookkeeping, budget ledger
    videos/<job_id>.mp4    downloaded videos
    posters/<job_id>.jpg   their poster frames
    inputs/blobs/<ab>/<sha256>.<ext>   the jobs' input images, once per content (`input_refs` in the
                           database says which jobs use each; the last job to go takes its blob along)
    inputs/<job_id>/       the input copies of jobs made before blobs (read as they are, deleted with them)

File names are built only from our own job ids (uuid4 hex, validated), never from provider data.
Paths kept in a record are relative to `data_dir` and are resolved through `HistoryStore.resolve`,
which refuses anything that would land outside it. Rows go through the `Database` interface only.

With a bucket behind the data directory (`media`, store/objects.py) the files are put there under the
same relative path (`publish`, `keep_inputs`), `resolve` fetches a file this replica lacks before
handing out its path, and deletes remove the objects too.
"""

from __future__ import annotations

import builtins
import dataclasses
import logging
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from seedance_ui.store.interface import Database
from seedance_ui.store.local import open_database
from seedance_ui.store.objects import LocalMedia, MediaStore, register, unregister
from seedance_ui.store.query import BoardTake, HistoryPage, HistoryQuery
from seedance_ui.store.quota import DiskQuota
from seedance_ui.store.records import (
    PATH_FIELDS,
    UPDATABLE_FIELDS,
    JobRecord,
    check_job_id,
    is_valid_job_id,
)

log = logging.getLogger(__name__)

VIDEOS_DIRNAME = "videos"
POSTERS_DIRNAME = "posters"
INPUTS_DIRNAME = "inputs"
BLOBS_DIRNAME = "blobs"
VIDEO_SUFFIX = ".mp4"
POSTER_SUFFIX = ".jpg"


class HistoryStore:
    """Thread-safe job history of one data directory (the database serialises access)."""

    def __init__(self, data_dir: Path | str, visitor_disk_bytes: int = 0, database_url: str = "",
                 media: MediaStore | None = None) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.media: MediaStore = media or LocalMedia()  # the bucket behind the data directory, if any
        self.database_url = database_url  # "" : SQLite in the data directory (settings.database_url)
        self.videos_dir = self.data_dir / VIDEOS_DIRNAME
        self.posters_dir = self.data_dir / POSTERS_DIRNAME
        self.inputs_root = self.data_dir / INPUTS_DIRNAME
        for folder in (self.data_dir, self.videos_dir, self.posters_dir, self.inputs_root):
            folder.mkdir(parents=True, exist_ok=True)
        self.db: Database = open_database(self.data_dir, database_url)
        self.schema_version = self.db.schema_version
        # One visitor's files (inputs, boards, exports): shared with the storyboard's BoardSession.
        self.quota = DiskQuota(self.data_dir, visitor_disk_bytes, self.db)
        self._blobs_lock = threading.Lock()  # a blob is never deleted while a job takes it up
        register(self.data_dir, self.media)  # for the storyboard's files (objects.file_written, ...)

    def close(self) -> None:
        unregister(self.data_dir, self.media)
        self.media.close()
        self.db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HistoryStore({str(self.data_dir)!r})"

    # -- identities (security/identity.py) ----------------------------------------------------------

    def app_secret(self, name: str) -> bytes:
        return self.db.app_secret(name)

    def visitor_owner(self, visitor: str) -> str | None:
        return self.db.visitor_owner(visitor)

    def adopt_owner(self, visitor: str, owner: str) -> bool:
        return self.db.adopt_owner(visitor, owner)

    # -- records -----------------------------------------------------------------------------------

    def add(self, record: JobRecord) -> None:
        """Insert a new record; ValueError for a malformed id, sqlite3.IntegrityError (psycopg.IntegrityError
        on PostgreSQL) for a duplicate."""
        check_job_id(record.id)
        paths = {name: self._relative_or_none(getattr(record, name)) for name in PATH_FIELDS}
        self.db.insert_job(dataclasses.replace(record, **paths))

    def update(self, job_id: str, **fields: Any) -> JobRecord:
        """Change some fields of a record (updated_at is set to now); returns the new record.

        Unknown field names and `id` raise TypeError; an unknown job raises KeyError. `video_path` and
        `poster_path` may be given absolute (inside the data dir) or relative; they are stored relative.
        """
        check_job_id(job_id)
        bad = sorted(set(fields) - UPDATABLE_FIELDS)
        if bad:
            raise TypeError(f"JobRecord has no updatable field(s) {bad}")
        fields.setdefault("updated_at", time.time())
        for name in PATH_FIELDS:
            if name in fields:
                fields[name] = self._relative_or_none(fields[name])
        record = self.db.update_job(job_id, fields)
        if record is None:
            raise KeyError(job_id)
        return record

    def get(self, job_id: str, owner: str | None = None) -> JobRecord | None:
        """The record, or None when unknown, malformed, or (owner given) someone else's."""
        if not is_valid_job_id(job_id):
            return None
        record = self.db.get_job(job_id)
        if record is None or (owner is not None and record.owner != owner):
            return None
        return record

    def find_by_task_id(self, task_id: str) -> JobRecord | None:
        """The record that follows a provider task (for webhook hints), or None."""
        return self.db.find_job_by_task(task_id)

    def list(self, owner: str, limit: int = 100) -> builtins.list[JobRecord]:
        """The owner's records, newest first."""
        return self.db.list_jobs(owner, limit)

    def query(self, owners: builtins.list[str], query: HistoryQuery, size: int) -> HistoryPage:
        """One page of the owners' history that passes `query`'s filters (store/query.py), newest first."""
        owners = [o for o in dict.fromkeys(owners) if o]
        if not owners:
            return HistoryPage([], 0, 0, size)
        rows, total = self.db.query_jobs(owners, query, size)
        return HistoryPage(rows, total, max(0, query.page), size)

    def set_favourite(self, job_id: str, owners: builtins.list[str], favourite: bool) -> bool:
        """Star or unstar a job of one of `owners`; False when none of them has it."""
        return is_valid_job_id(job_id) and bool(owners) and self.db.set_favourite(job_id, owners, favourite)

    def is_favourite(self, job_id: str) -> bool:
        """The job is starred (False for an unknown or malformed id)."""
        return is_valid_job_id(job_id) and self.db.is_favourite(job_id)

    def board_take_boards(self, owner: str) -> set[str]:
        """The boards of the owner with takes on record (storyboard/takes_index.py keeps them)."""
        return self.db.board_take_boards(owner)

    def put_board_takes(self, owner: str, board_id: str, takes: builtins.list[BoardTake]) -> None:
        """Record a board's takes as they are now (an empty list: the board is gone)."""
        self.db.put_board_takes(owner, board_id, takes)

    def unfinished(self) -> builtins.list[JobRecord]:
        """Every record not in a terminal status, oldest first (for recovery after a restart)."""
        return self.db.unfinished_jobs()

    def finished_count(self) -> int:
        """How many jobs are completed, all owners (a cheap sign that `finished_durations` changed)."""
        return self.db.finished_count()

    def finished_durations(self, limit: int) -> builtins.list[tuple[Any, Any, float]]:
        """(model, duration, seconds from submit to completion) of the newest completed jobs, all owners."""
        return self.db.finished_durations(limit)

    def delete(self, job_id: str, owner: str) -> bool:
        """Delete the owner's record and its files; False when there is no such record of theirs."""
        if not is_valid_job_id(job_id):
            return False
        paths = self.db.delete_job(job_id, owner)
        if paths is None:
            return False
        self._remove_files(job_id, list(paths))
        self.quota.forget(owner)
        return True

    def _remove_files(self, job_id: str, recorded: builtins.list[str | None]) -> None:
        self.remove_inputs(job_id)
        paths = {self.video_path(job_id), self.poster_path(job_id)}
        for rel in recorded:
            try:
                resolved = self.resolve(rel, fetch=False)
            except ValueError:
                log.warning("not deleting %r of job %s: outside the data directory", rel, job_id)
                continue
            if resolved is not None:
                paths.add(resolved)
        for path in paths:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not delete %s: %s", path, exc)
            self.media.delete(self.relative(path))

    # -- paths ---------------------------------------------------------------------------------------

    def video_path(self, job_id: str) -> Path:
        """Absolute path of the job's video file (ValueError for a malformed id)."""
        return self.videos_dir / f"{check_job_id(job_id)}{VIDEO_SUFFIX}"

    def poster_path(self, job_id: str) -> Path:
        """Absolute path of the job's poster image (ValueError for a malformed id)."""
        return self.posters_dir / f"{check_job_id(job_id)}{POSTER_SUFFIX}"

    def inputs_dir(self, job_id: str) -> Path:
        """Absolute path of the folder holding copies of the job's input files (ValueError for a
        malformed id); not created here."""
        return self.inputs_root / check_job_id(job_id)

    def blob_path(self, sha256: str, suffix: str) -> Path:
        """Where the input picture of this content is kept (`suffix`: ".png", ...; ours, from its format)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("an input blob is named by a lowercase sha256")
        return self.inputs_root / BLOBS_DIRNAME / sha256[:2] / f"{sha256}{suffix}"

    def new_blob_bytes(self, owner: str, blobs: builtins.list[tuple[Path, str, str]]) -> int:
        """The bytes these (source, sha256, suffix) would add to the owner's share: the distinct ones
        none of their jobs uses yet."""
        fresh = {self.relative(self.blob_path(sha, suffix)): source for source, sha, suffix in blobs}
        return sum(source.stat().st_size for rel, source in fresh.items()
                   if not self.db.owner_has_input(owner, rel))

    def keep_inputs(self, job_id: str, owner: str, blobs: builtins.list[tuple[Path, str, str]]
                    ) -> builtins.list[str]:
        """Store each (source, sha256, suffix) once per content and record that the job uses it; the
        blobs' relative paths, in order. OSError when one cannot be written."""
        check_job_id(job_id)
        kept: builtins.list[tuple[str, str, int]] = []
        with self._blobs_lock:
            for source, sha, suffix in blobs:
                target = self.blob_path(sha, suffix)
                if not target.is_file():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    partial = target.with_name(f"{target.name}.{job_id}.part")
                    shutil.copyfile(source, partial)
                    os.replace(partial, target)  # a crash leaves either no blob or the whole blob
                    self.media.keep(self.relative(target), target)
                kept.append((self.relative(target), sha, target.stat().st_size))
            self.db.add_input_refs(job_id, owner, kept)
        return [rel for rel, _sha, _size in kept]

    def remove_inputs(self, job_id: str) -> None:
        """Let go of the job's input pictures: each blob no other job uses is deleted, and so is the
        job's own folder of copies of earlier versions (nothing happens when there are none)."""
        with self._blobs_lock:
            for rel in self.db.release_input_refs(check_job_id(job_id)):
                try:
                    blob = self.resolve(rel, fetch=False)
                    if blob is not None:
                        blob.unlink(missing_ok=True)
                        self.media.delete(self.relative(blob))
                except (ValueError, OSError) as exc:
                    log.warning("could not delete input blob %s: %s", rel, exc)
        folder = self.inputs_dir(job_id)
        try:
            shutil.rmtree(folder)
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not delete %s: %s", folder, exc)

    def relative(self, path: Path | str) -> str:
        """`path` (absolute, or relative to the data dir) as a data-dir-relative POSIX string."""
        given = Path(path)
        absolute = given.resolve() if given.is_absolute() else self.resolve(str(path), fetch=False)
        assert absolute is not None
        if not absolute.is_relative_to(self.data_dir) or absolute == self.data_dir:
            raise ValueError(f"{path} is not inside the data directory")
        return absolute.relative_to(self.data_dir).as_posix()

    def _relative_or_none(self, path: Path | str | None) -> str | None:
        return None if path is None or path == "" else self.relative(path)

    def resolve(self, relative: str | Path | None, *, fetch: bool = True) -> Path | None:
        """Absolute path for a stored relative path; None for None; ValueError if it leaves the data dir.
        A file this replica lacks is fetched from the bucket first (unless `fetch` is False): the one
        read-through of stored paths."""
        if relative is None or relative == "":
            return None
        if Path(relative).is_absolute():
            raise ValueError(f"stored path {relative!r} must be relative to the data directory")
        absolute = (self.data_dir / relative).resolve()
        if not absolute.is_relative_to(self.data_dir) or absolute == self.data_dir:
            raise ValueError(f"stored path {relative!r} leaves the data directory")
        if fetch and self.media.remote and not absolute.is_file():
            self.media.fetch(absolute.relative_to(self.data_dir).as_posix(), absolute)
        return absolute

    def publish(self, *paths: Path | None) -> bool:
        """Put files just written under the data directory to the bucket behind it (nothing without
        one); False when one is left to the background retry (its local copy stays)."""
        kept = [self.media.keep(self.relative(path), Path(path)) for path in paths if path is not None]
        return all(kept)

    def has_file(self, relative: str | None) -> bool:
        """Whether the stored path's file is here or in the bucket behind the data directory, without
        fetching it (a page that only links to the file, presigned, needs no local copy)."""
        path = self.resolve(relative, fetch=False) if relative else None
        if path is None:
            return False
        if path.is_file():
            return True
        return self.media.remote and self.media.has(path.relative_to(self.data_dir).as_posix())

    def has_video(self, record: JobRecord) -> bool:
        """`has_file` of the record's video."""
        return self.has_file(record.video_path)

    def has_poster(self, record: JobRecord) -> bool:
        """`has_file` of the record's poster."""
        return self.has_file(record.poster_path)

    def video_file(self, record: JobRecord) -> Path | None:
        """The record's video as an absolute path if it is set and the file exists."""
        path = self.resolve(record.video_path)
        return path if path is not None and path.is_file() else None

    def poster_file(self, record: JobRecord) -> Path | None:
        """The record's poster as an absolute path if it is set and the file exists."""
        path = self.resolve(record.poster_path)
        return path if path is not None and path.is_file() else None
