"""Spending guards, checked in `JobManager.submit` before a job is written (so before any create).

- Key policy: with SEEDANCE_REQUIRE_USER_KEY every generation needs the visitor's own key; with sign-in
  on, the server's key is for signed-in visitors only (anyone may still bring their own key).
- Daily credit budgets for the server's key, all visitors together and per visitor (UTC days). A job is
  charged its estimate when admitted, reconciled to the provider's `credits_reserved` once known, and
  released when it turns out not to be billed (refused at create, failed at the provider, cancelled).
  Check and reservation happen in one database transaction, so concurrent submissions (on any replica)
  can never overshoot.
- A per-visitor submission rate limit (any key), a sliding minute, and a cap on a visitor's unfinished
  jobs (waiting in the line or being made), so no one visitor can put everyone else behind a long line.
  Both are kept in the database (rate events, and the jobs table's statuses), checked and recorded in one
  transaction, so they hold for the whole deployment, not per process.
- "Per visitor" binds a signed-in user by account; anyone else (a page, a `/generate` caller, an agent with
  or without its own key) by owner AND by client address, so fresh cookies or keys do not reset a limit
  and one address's page, API and MCP calls share one budget, one rate limit and one cap.

The ledger is the `spend` table of the studio's one database (seedance_ui/store), one row per job on the
server's key. It is not derived from the history because visitors may delete history items: spending must
survive deletions as well as restarts. A visitor's own key is never budgeted (it is their money).
"""

from __future__ import annotations

import calendar
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from seedance_ui.client.errors import SeedanceError, ValidationError
from seedance_ui.config import Settings
from seedance_ui.jobs.meta import KEY_SERVER, KEY_VISITOR
from seedance_ui.security.owners import is_signed_in_owner, log_id
from seedance_ui.store import Database, JobRecord, JobStatus, SpendRow, open_database

if TYPE_CHECKING:
    from seedance_ui.client.request import GenerationRequest

log = logging.getLogger("seedance_ui.jobs")

RATE_WINDOW_SECONDS = 60.0
SUBMIT_SCOPE = "submit"  # the rate-limit events of submissions (the store's limit_events)
# A FAILED job with one of these codes may still have been billed (the provider finished or we cannot
# tell): it stays counted.
CHARGED_FAILURE_CODES = frozenset({"task_not_found", "no_video_url", "download_failed"})

# ------------------------------------------------------------------------------------------------------
# refusals: SeedanceError subclasses, so every caller already shows .message and .hint


class SubmissionRefusedError(SeedanceError):
    """The studio refused a submission before anything was sent (nothing is charged)."""

    default_hint = "Nothing was sent and nothing was charged."


class KeyRequiredError(SubmissionRefusedError):
    default_hint = "Paste your Evolink API key in the key panel at the top of the page, then generate again."


class SignInRequiredError(SubmissionRefusedError):
    default_hint = "Use “Sign in with Hugging Face” at the top of the page, or paste your own Evolink key."


class BudgetExceededError(SubmissionRefusedError):
    default_hint = "Budgets reset at 00:00 UTC. You can keep generating with your own Evolink key."


class TooManyUnfinishedError(SubmissionRefusedError):
    default_hint = "Wait for one of them to finish (or cancel one), then try again."


class SubmitRateLimitedError(SubmissionRefusedError):
    def __init__(self, message: str, *, retry_after: float, **kw: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, hint=f"Wait {max(1, round(retry_after))} s, then try again.", **kw)  # type: ignore[arg-type]


KEY_REQUIRED_MESSAGE = "This studio needs your own Evolink API key: it does not generate on the server's key."
SIGN_IN_REQUIRED_MESSAGE = "Sign in with Hugging Face to generate on this Space's key."


# ------------------------------------------------------------------------------------------------------
# days and billing


def utc_day(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def next_utc_midnight(ts: float) -> float:
    day = time.gmtime(ts)
    return calendar.timegm((day.tm_year, day.tm_mon, day.tm_mday, 0, 0, 0)) + 86400.0


def is_billed(record: JobRecord) -> bool:
    """Whether a finished job (may have) cost credits. Refused creates, tasks the provider reported as
    failed and cancelled tasks are not billed; anything uncertain counts."""
    if record.status == JobStatus.CANCELLED:
        return False
    if record.status == JobStatus.FAILED:
        if not record.task_id:
            return False  # never created at the provider
        # made (or perhaps made), then lost on our side: counted; else the provider failed it: not billed
        return record.completed_at is not None or record.error_code in CHARGED_FAILURE_CODES
    return True


def _fmt(credits: float) -> str:
    return f"{credits:,.2f}".rstrip("0").rstrip(".")


# ------------------------------------------------------------------------------------------------------
# the ledger


class BudgetLedger:
    """Server-key spending per job, kept in the data directory's database; thread-safe."""

    def __init__(self, data_dir: Path, database_url: str = "") -> None:
        self._lock = threading.RLock()
        self._db = open_database(data_dir, database_url)

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    @property
    def db(self) -> Database:
        """The database the ledger (and the guard's other limits) are kept in."""
        return self._db

    def spent(self, day: str, owner: str | None = None, *, address: str | None = None) -> float:
        """Credits counted on `day` (all owners, one owner, or one client address): reserved when
        known, else the estimate."""
        with self._lock:
            return self._db.spent(day, owner, address)

    def add(
        self, job_id: str, owner: str, day: str, estimated: float, now: float, address: str | None = None
    ) -> None:
        with self._lock:
            self._db.add_spend(job_id, owner, day, estimated, now, address)

    def reserve(
        self, job_id: str, owner: str, day: str, estimated: float, now: float, address: str | None = None,
        *, day_cap: float = 0.0, visitor_cap: float = 0.0,
    ) -> tuple[str, float] | None:
        """Count the estimate unless it passes a cap, in one database transaction (so replicas on one
        database never pass a budget together); see the store's `reserve_spend`."""
        with self._lock:
            return self._db.reserve_spend(job_id, owner, day, estimated, now, address,
                                          day_cap=day_cap, visitor_cap=visitor_cap)

    def reconcile(self, job_id: str, reserved: float) -> None:
        with self._lock:
            self._db.reconcile_spend(job_id, reserved)

    def release(self, job_id: str) -> bool:
        with self._lock:
            return self._db.release_spend(job_id)

    def forget(self, job_id: str) -> None:
        with self._lock:
            self._db.forget_spend(job_id)

    def row(self, job_id: str) -> SpendRow | None:
        """(owner, estimated, reserved, released) of a job, for tests and checks."""
        with self._lock:
            return self._db.spend_row(job_id)

    def close(self) -> None:
        with self._lock:
            self._db.close()


# ------------------------------------------------------------------------------------------------------
# the guard the manager uses


class SubmissionGuard:
    """Everything checked before a job is written; `admit` is atomic across threads."""

    def __init__(self, settings: Settings, data_dir: Path, *, clock: Callable[[], float] = time.time,
                 database_url: str = "") -> None:
        self.settings = settings
        self.ledger = BudgetLedger(data_dir, database_url)
        self._clock = clock  # wall time: the rate window is shared by every replica

    # -- before anything ------------------------------------------------------------------------------
    def check_request(self, request: GenerationRequest) -> None:
        """Edge limits on the request itself (ValidationError, like the request's own rules)."""
        limit = self.settings.max_prompt_chars
        prompt = request.prompt
        if isinstance(prompt, str) and len(prompt) > limit:
            raise ValidationError("prompt", f"must be at most {limit:,} characters (got {len(prompt):,})")

    def admit(
        self, job_id: str, owner: str, source: str, credits: float | None, address: str | None = None
    ) -> None:
        """Refuse (SubmissionRefusedError) or reserve: policy, unfinished jobs, rate limit, budgets — in
        that order.

        The per-visitor limits bind a signed-in user by their account; anyone else by their owner id
        AND by their client `address` (a hashed address from `security.owners.client_address`), so
        minting fresh ids or keys does not reset them. A keyless agent's owner is its address: one
        subject then."""
        s = self.settings
        if s.require_user_key and source != KEY_VISITOR:
            raise KeyRequiredError(KEY_REQUIRED_MESSAGE)
        if s.sign_in and source == KEY_SERVER and not is_signed_in_owner(owner):
            raise SignInRequiredError(SIGN_IN_REQUIRED_MESSAGE)
        budgeted = source == KEY_SERVER
        address = None if is_signed_in_owner(owner) else address
        subjects = (owner,) if address is None or address == owner else (owner, address)
        with self.ledger.lock:
            now = self._clock()
            self._admit(job_id, subjects, now)
            if budgeted:
                try:
                    self._reserve_budget(job_id, owner, address, credits, now)
                except BaseException:
                    self.ledger.db.drop_limit_event(SUBMIT_SCOPE, job_id)  # refused: nothing counted
                    self.ledger.db.release_admission(job_id)
                    raise
        if budgeted and (s.daily_budget_credits or s.visitor_daily_budget_credits):
            log.info("job %s: %s credits reserved for %s", job_id, _fmt(credits or 0.0), log_id(owner))

    def _admit(self, job_id: str, subjects: tuple[str, ...], now: float) -> None:
        """Count the job as unfinished and as one submission of each subject, unless a subject is at the
        cap on unfinished jobs or at the rate limit (refused, nothing counted): one database transaction,
        so replicas on one database never pass either together."""
        s = self.settings
        refused = self.ledger.db.admit_job(
            job_id, list(subjects), now, max_unfinished=max(0, s.visitor_max_unfinished_jobs),
            rate_scope=SUBMIT_SCOPE, window=RATE_WINDOW_SECONDS,
            max_per_window=max(0, s.visitor_submits_per_minute))
        if refused is None:
            return
        which, value = refused
        if which == "unfinished":
            raise TooManyUnfinishedError(
                f"Too many unfinished videos: {int(value)} of yours are waiting or being made, and each "
                f"visitor may have at most {s.visitor_max_unfinished_jobs} at once."
            )
        raise SubmitRateLimitedError(
            f"Too many submissions: at most {s.visitor_submits_per_minute} per minute for each visitor.",
            retry_after=value,
        )

    def _reserve_budget(
        self, job_id: str, owner: str, address: str | None, credits: float | None, now: float
    ) -> None:
        """Count the job's estimate on the server key's ledger, checked against both daily budgets in
        the same database transaction (BudgetExceededError, nothing counted, when one does not cover it)."""
        s = self.settings
        capped = bool(s.daily_budget_credits or s.visitor_daily_budget_credits)
        if capped and credits is None:
            raise BudgetExceededError(
                "The cost of this video cannot be estimated, so the budget cannot admit it."
            )
        refused = self.ledger.reserve(job_id, owner, utc_day(now), credits or 0.0, now, address,
                                      day_cap=s.daily_budget_credits,
                                      visitor_cap=s.visitor_daily_budget_credits)
        if refused is None:
            return
        assert credits is not None
        which, spent = refused
        resets = time.strftime("%H:%M UTC", time.gmtime(next_utc_midnight(now)))
        if which == "day":
            raise BudgetExceededError(
                f"Today's budget for this Space's key does not cover this video: {_fmt(spent)} of "
                f"{_fmt(s.daily_budget_credits)} credits are used, and it needs {_fmt(credits)}. "
                f"The budget resets at {resets}."
            )
        raise BudgetExceededError(  # "visitor": the owner's (or their address's) budget
            f"Your daily budget on this Space's key does not cover this video: {_fmt(spent)} of "
            f"{_fmt(s.visitor_daily_budget_credits)} credits are used, and it needs "
            f"{_fmt(credits)}. Your budget resets at {resets}."
        )

    # -- afterwards -----------------------------------------------------------------------------------
    def forget(self, job_id: str) -> None:
        """The submission failed before its record was written: nothing to count."""
        self.ledger.db.release_admission(job_id)
        self.ledger.forget(job_id)

    def reconcile(self, job_id: str, credits_reserved: object) -> None:
        number = isinstance(credits_reserved, int | float) and not isinstance(credits_reserved, bool)
        if number and credits_reserved >= 0:  # type: ignore[operator]
            self.ledger.reconcile(job_id, float(credits_reserved))  # type: ignore[arg-type]

    def settle(self, record: JobRecord) -> None:
        """A job ended: it no longer counts as unfinished, and what it reserved is released unless it
        was (or may have been) billed."""
        if record.terminal:
            self.ledger.db.release_admission(record.id)  # the jobs table says so already: a clean-up
        if record.terminal and not is_billed(record) and self.ledger.release(record.id):
            log.info("job %s: not billed, its reservation is released", record.id)

    def usage(self, owner: str) -> dict[str, float]:
        """Today's spending on the server's key (for display): all visitors and this one."""
        day = utc_day(self._clock())
        return {"all": self.ledger.spent(day), "visitor": self.ledger.spent(day, owner)}

    def close(self) -> None:
        self.ledger.close()
