"""What the store keeps, independent of where it keeps it: job statuses, job records, ids, job bookkeeping.

No SQL and no files here (see `sqlite.py` and `history.py`).
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

_JOB_ID_RE = re.compile(r"[0-9a-f]{32}")


class JobStatus(StrEnum):
    """Where a job stands, from our side (the provider's task status is one input to it)."""

    QUEUED = "queued"  # waiting locally for a slot (caps)
    UPLOADING = "uploading"  # admitted, its input files going to the file API; no create sent yet
    SUBMITTING = "submitting"  # record written, create in flight
    PENDING = "pending"
    PROCESSING = "processing"
    DOWNLOADING = "downloading"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN_OUTCOME = "unknown_outcome"  # create may or may not have happened; never resubmitted
    EXPIRED = "expired"  # completed, but the URL expired before we downloaded

    @property
    def label(self) -> str:
        """The status in words for people."""
        return _LABELS[self]

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_JOB_STATUSES


_LABELS: dict[JobStatus, str] = {
    JobStatus.QUEUED: "Queued locally",
    JobStatus.UPLOADING: "Uploading inputs",
    JobStatus.SUBMITTING: "Submitting",
    JobStatus.PENDING: "Pending",
    JobStatus.PROCESSING: "Processing",
    JobStatus.DOWNLOADING: "Downloading",
    JobStatus.COMPLETED: "Done",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Cancelled",
    JobStatus.UNKNOWN_OUTCOME: "Outcome unknown — check before resubmitting",
    JobStatus.EXPIRED: "Expired",
}

TERMINAL_JOB_STATUSES: frozenset[JobStatus] = frozenset(
    {
        JobStatus.COMPLETED,
        JobStatus.FAILED,
        JobStatus.CANCELLED,
        JobStatus.UNKNOWN_OUTCOME,
        JobStatus.EXPIRED,
    }
)


def new_job_id() -> str:
    """A fresh job id: 32 lowercase hex characters, 128 random bits. An unguessable id is what lets a
    keyless agent (whose address is no identity) reach its job, so no bits go to a UUID's version."""
    return secrets.token_hex(16)


def new_token() -> str:
    """A fresh idempotency token (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(32)


def is_valid_job_id(job_id: object) -> bool:
    """True for ids shaped like `new_job_id()` output (and so safe inside a file name)."""
    return isinstance(job_id, str) and _JOB_ID_RE.fullmatch(job_id) is not None


def check_job_id(job_id: object) -> str:
    """`job_id` itself when valid; ValueError otherwise."""
    if not is_valid_job_id(job_id):
        raise ValueError(f"invalid job id {job_id!r}: expected 32 lowercase hex characters")
    return job_id  # type: ignore[return-value]


@dataclass
class JobRecord:
    """One generation job as the studio keeps it."""

    id: str  # ours: 32 random hex (new_job_id)
    owner: str
    params: dict  # GenerationRequest.to_params()
    status: JobStatus
    idempotency_token: str
    task_id: str | None = None
    progress: int = 0
    created_at: float = field(default_factory=time.time)
    submitted_at: float | None = None
    completed_at: float | None = None
    updated_at: float = field(default_factory=time.time)
    credits_estimated: float | None = None
    credits_reserved: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    error_hint: str | None = None
    video_url: str | None = None  # provider URL (expires); never shown after download
    video_path: str | None = None  # relative to the data dir
    poster_path: str | None = None  # relative to the data dir
    video_duration: float | None = None
    video_size: int | None = None
    width: int | None = None
    height: int | None = None
    has_audio: bool | None = None
    estimated_time: float | None = None
    queue_position: int | None = None  # not persisted-critical
    prompt_version: str | None = None  # the prompt version (seedance_ui/llm/versions.py) the prompt came from

    def __post_init__(self) -> None:
        if not isinstance(self.status, JobStatus):
            self.status = JobStatus(self.status)

    @classmethod
    def new(
        cls, owner: str, params: dict, *, status: JobStatus = JobStatus.QUEUED, **fields: Any
    ) -> JobRecord:
        """A record with a fresh id and idempotency token, created now."""
        return cls(
            id=new_job_id(),
            owner=owner,
            params=params,
            status=status,
            idempotency_token=new_token(),
            **fields,
        )

    @property
    def terminal(self) -> bool:
        return self.status.terminal

    def to_public_dict(self) -> dict[str, Any]:
        """JSON-safe view for the UI and API: no idempotency token, no provider video URL."""
        data = dataclasses.asdict(self)
        for secret in _PRIVATE_FIELDS:
            data.pop(secret, None)
        data["status"] = self.status.value
        data["status_label"] = self.status.label
        data["terminal"] = self.terminal
        return data


_PRIVATE_FIELDS = ("idempotency_token", "video_url")
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(JobRecord))
UPDATABLE_FIELDS = frozenset(FIELD_NAMES) - {"id"}
PATH_FIELDS = ("video_path", "poster_path")  # kept relative to the data directory


@dataclass(frozen=True)
class JobMeta:
    """The job manager's private facts about one job: where its key came from, its webhook token.

    The API key itself is never stored: only its source ("server", "demo", "visitor").
    """

    job_id: str
    key_source: str
    webhook_token: str | None


class SpendRow(NamedTuple):
    """One job's line in the budget ledger (server-key spending); a tuple, so it unpacks."""

    owner: str
    estimated: float
    reserved: float | None  # the provider's credits_reserved, once known
    released: bool  # True once the job turned out not to be billed


# --- deployment-wide limits (the limit_events table: events per scope and subject in a sliding window)

LIMIT_KEEP_SECONDS = 7200.0  # events older than this go (longer than any window that counts them)
ADMISSION_GRACE_SECONDS = 600.0  # an admitted job not written yet counts as unfinished this long
IDEMPOTENCY_PENDING = ""  # the job id of a key reserved by a submission still being made
LIMIT_COUNT = "count"  # LimitUse.refused: too many events in the window
LIMIT_AMOUNT = "amount"  # LimitUse.refused: their amounts plus this one pass the cap
# Jobs-in-flight slots (the flight_slots table, one per job at the provider, for the whole deployment):
SLOTS_FULL = "total"  # Database.take_slot refused: the deployment has its cap of jobs in flight
OWNER_SLOTS_FULL = "owner"  # Database.take_slot refused: this owner has its cap of jobs in flight
# A job in one of these holds no slot (its provider task is over): take_slot sweeps such slots away.
SLOTLESS_STATUSES: frozenset[JobStatus] = TERMINAL_JOB_STATUSES | {JobStatus.DOWNLOADING}


def slot_verdict(held: Mapping[str, int], older: Mapping[str, int], owner: str, max_total: int,
                 max_per_owner: int) -> str | None:
    """Whether one more job of `owner` may go to the provider: None, or the cap it would pass (0: no cap).
    `held`: slots per owner; `older`: per owner, jobs created before this one still waiting for a slot (on
    any replica), which come first (as many as their owner's cap still lets through), so a replica whose
    own jobs free slots does not keep them from older jobs queued on another. The owner's cap is checked
    first: SLOTS_FULL then holds for every younger job too. The same rule on both backends."""
    def first(who: str) -> int:  # how many of the owner's older waiting jobs come before this one
        room = max_per_owner - held.get(who, 0) if max_per_owner else older.get(who, 0)
        return min(older.get(who, 0), max(0, room))

    if max_per_owner and held.get(owner, 0) + first(owner) >= max_per_owner:
        return OWNER_SLOTS_FULL
    if max_total and sum(held.values()) + sum(first(who) for who in older) >= max_total:
        return SLOTS_FULL
    return None


@dataclass(frozen=True)
class LimitUse:
    """The answer of `Database.hit_limit`: `refused` None (the event was recorded) or why not; `count`
    and `amount`: the window's events and their total before this one (the fullest subject's); `wait`:
    seconds until a refused count frees a place."""

    refused: str | None
    count: int = 0
    amount: float = 0.0
    wait: float = 0.0


def limit_verdict(uses: list[tuple[int, float, float | None]], now: float, window: float, *,
                  max_count: int, max_amount: float, amount: float, base: float = 0.0) -> LimitUse:
    """Whether one more event fits, from each subject's (count, total amount, oldest time) in the window:
    the count cap first (0: none; `wait` until the oldest event leaves the window), then the amount cap
    (0: none) on `base` (what the caller counted itself, e.g. bytes on disk) plus the events' amounts plus
    this one. The same rule on both backends."""
    count = max((u[0] for u in uses), default=0)
    total = max((u[1] for u in uses), default=0.0)
    if max_count:
        waits = [window - (now - u[2]) for u in uses if u[0] >= max_count and u[2] is not None]
        if waits:
            return LimitUse(LIMIT_COUNT, count, total, max(waits))
    if max_amount and base + total + amount > max_amount:
        return LimitUse(LIMIT_AMOUNT, count, total)
    return LimitUse(None, count, total)
