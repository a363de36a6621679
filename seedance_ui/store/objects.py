"""Media in S3-compatible object storage (#22): one `MediaStore` interface, two implementations.

The data directory stays each replica's working copy; `SEEDANCE_MEDIA_URL` says whether a bucket backs it.

- `LocalMedia` (unset): the data directory is the truth; every method is a no-op.
- `S3Media` (`s3://bucket/prefix`, boto3; endpoint and credentials from the standard AWS_* variables):
  every media file is put under `<prefix>/<its data-dir relative path>` right after it is written
  (`keep`), a read that finds a file missing locally fetches it first (`fetch`, with a size cap), and a
  delete removes the object too (`delete`). `presign` hands the browser a short-lived link.

A put that fails is retried (PUT_ATTEMPTS, backing off); if it still fails the local file stays, a marker
`<data_dir>/media-pending/<hash>` names it and a background thread retries every PENDING_RETRY_SECONDS,
also after a restart, so a paid video is never lost because the bucket was away for a while.
Relative paths come from `HistoryStore.relative` (inside the data directory, POSIX); they are checked
again here. Credentials never appear in messages: errors name only the bucket and the S3 error code.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import threading
import time
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

PUT_ATTEMPTS = 3  # tries of one put before it is left to the background retry
PUT_BACKOFF_SECONDS = 0.5  # wait before the second try; doubled before each later one
PENDING_RETRY_SECONDS = 30.0  # how often the puts that failed are tried again
PENDING_DIRNAME = "media-pending"  # markers of files not yet in the bucket (never served)
MAX_FETCH_BYTES = 4 * 1024 ** 3  # the largest object a read fetches into the data directory
MAX_REUSED_LINKS = 10_000  # presigned links kept for reuse (then forgotten all at once: a bound, not an LRU)
MISSING_RECHECK_SECONDS = 10.0  # a key found missing is not asked for again this soon
MISSING_REMEMBERED = 4096  # how many missing keys are remembered at most (then forgotten at once)
PRESENT_REMEMBER_SECONDS = 300.0  # a key found in the bucket is believed there this long (`has`)
CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 60.0


class MediaError(RuntimeError):
    """The bucket refused or could not be reached; the message names the bucket, never a credential."""


def check_key(rel: str) -> str:
    """`rel` as a key below the prefix: relative, POSIX, without `..` (ValueError otherwise)."""
    path = PurePosixPath(rel)
    if not rel or path.is_absolute() or ".." in path.parts or "\\" in rel:
        raise ValueError(f"media path {rel!r} must be relative to the data directory")
    return path.as_posix()


class MediaStore:
    """The interface; this base is also the data directory alone (`LocalMedia`)."""

    remote = False
    delivery = "local"  # "local", "presigned" or "route"

    def start(self) -> None:
        """Begin background work (the retry of failed puts)."""

    def close(self) -> None:
        """Stop background work."""

    def put(self, rel: str, path: Path) -> None:
        """One upload of `path` as `rel` (MediaError when it fails)."""

    def keep(self, rel: str, path: Path) -> bool:
        """Put the file just written at `path` under `rel`, retried; False when it is left to the
        background retry (its local copy stays)."""
        return True

    def fetch(self, rel: str, path: Path) -> bool:
        """Bring the object `rel` to `path` when it exists in the bucket and is not too large."""
        return False

    def has(self, rel: str) -> bool:
        """Whether the bucket holds `rel`, asked without downloading it (False with no bucket)."""
        return False

    def delete(self, rel: str) -> None:
        """Remove the object `rel` (a missing one is fine)."""

    def presign(self, rel: str, download_name: str | None = None) -> str | None:
        """A short-lived URL the browser may fetch `rel` from directly (saved as `download_name` when
        given); None when there is none."""
        return None

    def sizes(self) -> dict[str, int]:
        """Every object's relative path and size (for `copy_media`)."""
        return {}

    def origins(self) -> tuple[str, ...]:
        """The origins (scheme://host[:port]) the browser fetches presigned links from: the page's
        Content-Security-Policy lets media load from these (security/gate.py)."""
        return ()


class LocalMedia(MediaStore):
    """The data directory is the truth: nothing to put, fetch or delete elsewhere."""


class S3Media(MediaStore):
    """A bucket (and prefix) on an S3-compatible store behind the data directory `data_dir`."""

    remote = True

    def __init__(self, url: str, data_dir: Path, *, delivery: str = "presigned", link_seconds: int = 900,
                 client: Any = None) -> None:
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.delivery, self.link_seconds = delivery, link_seconds
        self.client = client or _client()
        self.pending_dir = self.data_dir / PENDING_DIRNAME
        self._links: dict[tuple[str, str | None], tuple[str, float]] = {}  # presign's reuse: (url, made)
        self._links_lock = threading.Lock()
        self._missing: dict[str, float] = {}
        self._present: dict[str, float] = {}  # `has`: key -> when the bucket last said it holds it
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._retry_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Media(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def key(self, rel: str) -> str:
        rel = check_key(rel)
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def check(self) -> None:
        """MediaError unless the bucket answers (done once at start)."""
        self._call("reach the bucket", self.client.head_bucket, Bucket=self.bucket)

    # -- writes ------------------------------------------------------------------------------------
    def put(self, rel: str, path: Path) -> None:
        kind = mimetypes.guess_type(rel)[0] or "application/octet-stream"  # what a browser is told
        self._call(f"put {rel}", self.client.upload_file, str(path), self.bucket, self.key(rel),
                   ExtraArgs={"ContentType": kind})
        self._missing.pop(rel, None)

    def keep(self, rel: str, path: Path) -> bool:
        delay = PUT_BACKOFF_SECONDS
        for attempt in range(1, PUT_ATTEMPTS + 1):
            try:
                self.put(rel, path)
                self._marker(rel).unlink(missing_ok=True)
                return True
            except (MediaError, OSError) as exc:
                log.warning("media: put of %s failed (try %d of %d): %s", rel, attempt, PUT_ATTEMPTS, exc)
            if attempt < PUT_ATTEMPTS:
                time.sleep(delay)
                delay *= 2
        self._mark_pending(rel)
        return False

    def delete(self, rel: str) -> None:
        self._marker(rel).unlink(missing_ok=True)
        self._present.pop(rel, None)
        try:
            self._call(f"delete {rel}", self.client.delete_object, Bucket=self.bucket, Key=self.key(rel))
        except MediaError as exc:
            log.warning("media: %s", exc)

    # -- reads -------------------------------------------------------------------------------------
    def size(self, rel: str) -> int | None:
        """The object's size, None when the bucket does not have it."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(rel))
        except Exception as exc:
            if _error_code(exc) in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise MediaError(f"cannot read {rel} in bucket {self.bucket!r}: {_error_code(exc)}") from None
        return int(head["ContentLength"])

    def has(self, rel: str) -> bool:
        """One HEAD request, its answer remembered (present: PRESENT_REMEMBER_SECONDS, as media files are
        written once; missing: MISSING_RECHECK_SECONDS), so a page that redraws asks once. A bucket that
        does not answer counts as not holding it."""
        now = time.monotonic()
        seen = self._present.get(rel)
        if seen is not None and now - seen < PRESENT_REMEMBER_SECONDS:
            return True
        missing = self._missing.get(rel)
        if missing is not None and now - missing < MISSING_RECHECK_SECONDS:
            return False
        try:
            found = self.size(rel) is not None
        except MediaError as exc:
            log.warning("media: %s", exc)
            return False
        remembered = self._present if found else self._missing
        if len(remembered) >= MISSING_REMEMBERED:
            remembered.clear()
        remembered[rel] = now
        return found

    def fetch(self, rel: str, path: Path) -> bool:
        seen = self._missing.get(rel)
        if seen is not None and time.monotonic() - seen < MISSING_RECHECK_SECONDS:
            return False
        try:
            size = self.size(rel)
            if size is None:
                if len(self._missing) >= MISSING_REMEMBERED:
                    self._missing.clear()
                self._missing[rel] = time.monotonic()
                return False
            if size > MAX_FETCH_BYTES:
                log.warning("media: %s is %d bytes, over the fetch cap of %d", rel, size, MAX_FETCH_BYTES)
                return False
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.fetch")
            try:
                self._call(f"fetch {rel}", self.client.download_file, self.bucket, self.key(rel),
                           str(partial))
                if partial.stat().st_size != size:
                    raise MediaError(f"fetch of {rel} from bucket {self.bucket!r} came short")
                os.replace(partial, path)
            finally:
                partial.unlink(missing_ok=True)
        except (MediaError, OSError) as exc:
            log.warning("media: %s", exc)
            return False
        return True

    def presign(self, rel: str, download_name: str | None = None) -> str | None:
        """A link is reused for the first half of its lifetime: a page that redraws (a board's tiles every
        few seconds) gets the same URL, so its players do not reload, and a link handed out has at least
        half its lifetime left."""
        if self.delivery != "presigned":
            return None
        now, wanted = time.monotonic(), (rel, download_name)
        with self._links_lock:
            made = self._links.get(wanted)
            if made is not None and now - made[1] < self.link_seconds / 2:
                return made[0]
        params = {"Bucket": self.bucket, "Key": self.key(rel)}
        if download_name:
            params["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
        url = str(self.client.generate_presigned_url("get_object", Params=params,
                                                     ExpiresIn=self.link_seconds))
        with self._links_lock:
            if len(self._links) >= MAX_REUSED_LINKS:
                self._links.clear()
            self._links[wanted] = (url, now)
        return url

    def origins(self) -> tuple[str, ...]:
        url = self.presign(check_key("origin-probe"))  # signed locally: no request is made
        if url is None:
            return ()
        parts = urlsplit(url)
        return (f"{parts.scheme}://{parts.netloc}",)

    def sizes(self) -> dict[str, int]:
        found: dict[str, int] = {}
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start)
        for page in pages:
            for item in page.get("Contents", []):
                found[item["Key"][len(start):]] = int(item["Size"])
        return found

    # -- the retry of failed puts ------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._retry_loop, name="media-retry", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()

    def pending(self) -> list[str]:
        """The relative paths whose put failed and waits for a retry."""
        if not self.pending_dir.is_dir():
            return []
        return sorted(p.read_text(encoding="utf-8") for p in self.pending_dir.iterdir() if p.is_file())

    def retry_pending(self) -> int:
        """Try every waiting put once; how many went through (files gone meanwhile are forgotten)."""
        done = 0
        with self._retry_lock:
            for rel in self.pending():
                path = self.data_dir / rel
                if not path.is_file():
                    self._marker(rel).unlink(missing_ok=True)
                    continue
                try:
                    self.put(rel, path)
                except (MediaError, OSError) as exc:
                    log.warning("media: retry of %s failed: %s", rel, exc)
                    continue
                self._marker(rel).unlink(missing_ok=True)
                done += 1
        return done

    def _retry_loop(self) -> None:
        while True:
            self.retry_pending()
            if self._stop.wait(PENDING_RETRY_SECONDS):
                return

    def _marker(self, rel: str) -> Path:
        return self.pending_dir / hashlib.sha256(rel.encode("utf-8")).hexdigest()[:32]

    def _mark_pending(self, rel: str) -> None:
        log.error("media: %s stays only in this replica's data directory until a retry puts it", rel)
        self.pending_dir.mkdir(parents=True, exist_ok=True)
        self._marker(rel).write_text(check_key(rel), encoding="utf-8")

    def _call(self, what: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            raise MediaError(f"cannot {what} in bucket {self.bucket!r}: {_error_code(exc)}") from None


def _error_code(exc: Exception) -> str:
    """The S3 error code of a botocore error, else the exception's class name (never its text)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or type(exc).__name__)
    return type(exc).__name__


def _client() -> Any:
    """A boto3 S3 client; boto3 reads AWS_ENDPOINT_URL and the credentials from the environment itself.
    Path-style addressing when an endpoint is set (MinIO, moto and most S3-compatible stores want it)."""
    import boto3
    from botocore.config import Config

    custom = bool(os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL_S3"))
    config = Config(connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS,
                    retries={"mode": "standard", "max_attempts": 3}, signature_version="s3v4",
                    s3={"addressing_style": "path" if custom else "auto"})
    return boto3.client("s3", config=config)


# -- files written outside HistoryStore (the storyboard's cast pictures and exports) ----------------------
# Their writers and readers get a path under a data directory, not the store: each data directory with a
# bucket behind it is registered here (by its HistoryStore), and cast.store_bytes and export_reuse.remember
# (writes), validation.cast_path (cast reads) and board_delete (deletes) pass their paths through these.
_BUCKETS: dict[Path, MediaStore] = {}


def register(data_dir: Path, media: MediaStore) -> None:
    """Files under `data_dir` are backed by `media` (nothing is registered without a bucket)."""
    if media.remote:
        _BUCKETS[Path(data_dir).expanduser().resolve()] = media


def unregister(data_dir: Path, media: MediaStore) -> None:
    """Forget `media` for `data_dir` (another store's registration of that directory stays)."""
    root = Path(data_dir).expanduser().resolve()
    if _BUCKETS.get(root) is media:
        del _BUCKETS[root]


def _backing(path: Path | str) -> tuple[MediaStore, str] | None:
    """(the bucket, the key's relative path) of a file under a registered data directory, else None."""
    if not _BUCKETS:
        return None
    absolute = Path(path).resolve()
    for root, media in _BUCKETS.items():
        if absolute.is_relative_to(root) and absolute != root:
            return media, absolute.relative_to(root).as_posix()
    return None


def file_written(path: Path | str) -> None:
    """Put a file just written under a registered data directory to its bucket."""
    found = _backing(path)
    if found is not None:
        found[0].keep(found[1], Path(path))


def file_needed(path: Path | str) -> None:
    """Fetch a file a reader is about to open when this replica lacks it (read-through)."""
    found = _backing(path) if not Path(path).is_file() else None
    if found is not None:
        found[0].fetch(found[1], Path(path).resolve())


def file_removed(path: Path | str) -> None:
    """Delete the object of a file removed from a registered data directory."""
    found = _backing(path)
    if found is not None:
        found[0].delete(found[1])


def open_media(settings: Any, data_dir: Path) -> MediaStore:
    """The media store `settings` ask for; ConfigError naming SEEDANCE_MEDIA_URL when its bucket does not
    answer at start (a wrong name, endpoint or credentials)."""
    from seedance_ui.config import ConfigError

    if not settings.media_url:
        return LocalMedia()
    media = S3Media(settings.media_url, data_dir, delivery=settings.media_delivery,
                    link_seconds=settings.media_link_seconds)
    try:
        media.check()
    except MediaError as exc:
        raise ConfigError(f"SEEDANCE_MEDIA_URL={settings.media_url} is not usable: {exc} (check the bucket "
                          "and the AWS_ENDPOINT_URL / AWS_* credentials)") from None
    return media
