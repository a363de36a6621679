"""Composition root: settings -> store, job manager and (in demo mode) the in-process simulator.

No Gradio here. `build_runtime(settings)` wires everything and starts the manager (which recovers the
jobs a previous run left unfinished); the UI only ever talks to `runtime.manager`, to `runtime.reviews`
(board reviews, `seedance_ui/review/`) and, for the "Check key" action, to `Runtime.check_key`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from seedance_ui.client import SeedanceClient, SeedanceError
from seedance_ui.config import Settings, load_settings
from seedance_ui.jobs import DEMO_API_KEY, JobManager
from seedance_ui.jobs.estimate import Estimates
from seedance_ui.llm.service import CraftService
from seedance_ui.llm.versions import PromptVersions
from seedance_ui.review import ReviewService
from seedance_ui.security.identity import Identities, VisitorSigner
from seedance_ui.security.redact import protect_logs
from seedance_ui.store import HistoryStore
from seedance_ui.store.objects import open_media

log = logging.getLogger("seedance_ui.runtime")

ClientFactory = Callable[[str], SeedanceClient]
DEMO_POLL_FLOOR_SECONDS = 0.2  # the demo's base poll interval never goes below this (loopback, but CPU)


@dataclass(frozen=True)
class KeyCheck:
    """What checking a key against the credits endpoint found. Never contains the key."""

    ok: bool
    message: str
    hint: str | None = None
    credits: float | None = None


@dataclass
class Runtime:
    """Everything the UI needs, built once per process."""

    settings: Settings
    store: HistoryStore
    manager: JobManager
    simulator: Any | None = None  # seedance_ui.simulator.Simulator in demo mode
    client_factory: ClientFactory | None = field(default=None, repr=False)
    identities: Identities | None = field(default=None, repr=False)
    reviews: ReviewService | None = field(default=None, repr=False)  # board reviews (seedance_ui/review)
    craft: CraftService | None = field(default=None, repr=False)  # crafting with a chat model (llm/service)
    prompt_versions: PromptVersions | None = field(default=None, repr=False)  # prompt versions (llm/versions)
    # Run first by `close`: the page's undoable deletes finish there (seedance_ui/undo.py).
    on_close: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @cached_property
    def estimates(self) -> Estimates:
        """How long jobs take, learned from the finished ones in the store (jobs/estimate.py)."""
        return Estimates(self.store)

    @property
    def demo_mode(self) -> bool:
        """No server key: the built-in simulator answers unless the visitor brings a key."""
        return self.settings.demo_mode

    @property
    def data_dir(self):
        return self.store.data_dir

    def make_client(self, api_key: str | None = None) -> SeedanceClient:
        """A new client for `api_key` (None: the server key, or the simulator in demo mode)."""
        key = (api_key or "").strip() or self.settings.api_key or DEMO_API_KEY
        factory = self.client_factory or default_client_factory(self.settings, None)
        return factory(key)

    async def check_key(self, api_key: str | None = None) -> KeyCheck:
        """Ask the credits endpoint whether a key works (no generation, no charge)."""
        visitor = bool((api_key or "").strip())
        client = self.make_client(api_key)
        try:
            data = await client.credits()
        except SeedanceError as exc:
            return KeyCheck(False, exc.message, exc.hint)
        except Exception:  # never let an unexpected error (or its traceback) reach the page
            log.exception("credits check failed")
            return KeyCheck(
                False, "The key could not be checked because of an internal error.", "Try again in a moment."
            )
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()
        credits = _credits_of(data)
        amount = f"{credits:,.2f} credits available" if credits is not None else "the key was accepted"
        if self.demo_mode and not visitor:
            return KeyCheck(
                True,
                f"Demo simulator reachable: {amount} (placeholder balance).",
                "Paste your own Evolink key to check it instead.",
                credits,
            )
        if not visitor:  # the owner's balance is not every visitor's business
            return KeyCheck(True, "The server key works.", None, None)
        return KeyCheck(True, f"Your key works: {amount}.", None, credits)

    def close(self) -> None:
        """Finish what `on_close` names, stop the manager (jobs stay on disk and resume on the next start),
        then the simulator."""
        for finish in self.on_close:
            with contextlib.suppress(Exception):
                finish()
        with contextlib.suppress(Exception):
            self.manager.stop()
        if self.craft is not None:
            with contextlib.suppress(Exception):
                self.craft.close()
        if self.simulator is not None:
            with contextlib.suppress(Exception):
                self.simulator.stop()
        with contextlib.suppress(Exception):
            self.store.close()


def _credits_of(data: Any) -> float | None:
    if not isinstance(data, dict):
        return None
    for key in ("credits", "balance", "remaining_credits", "available_credits"):
        value = data.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    inner = data.get("data")
    return _credits_of(inner) if isinstance(inner, dict) else None


def demo_poll_interval(settings: Settings) -> float:
    """The simulator runs the provider's clock `simulator_speed` times faster, so its tasks are polled on
    that clock too (a 12 s demo job is then seen pending, processing and done, as a real one is): the
    poll interval divided by the speed, never slower than the setting nor below DEMO_POLL_FLOOR_SECONDS."""
    scaled = settings.poll_interval / settings.simulator_speed
    return min(settings.poll_interval, max(DEMO_POLL_FLOOR_SECONDS, scaled))


def default_client_factory(settings: Settings, simulator_url: str | None) -> ClientFactory:
    """Clients for a key: the demo placeholder key goes to the simulator, any other to base_url."""

    def factory(api_key: str) -> SeedanceClient:
        demo = bool(simulator_url and api_key == DEMO_API_KEY)
        base_url = simulator_url if demo else settings.base_url
        return SeedanceClient(
            api_key,
            base_url,
            files_url=(simulator_url if demo else settings.files_url) or settings.files_url,
            poll_interval=demo_poll_interval(settings) if demo else settings.poll_interval,
            request_timeout=settings.request_timeout,
            download_timeout=settings.download_timeout,
            max_download_bytes=settings.max_download_bytes,
            demo_labels=demo,  # only the built-in simulator is told a clip's board label
        )

    return factory


VISITOR_SECRET_NAME = "visitor-cookie"


def build_identities(store: HistoryStore, settings: Settings) -> Identities:
    """Visitor cookies signed with a secret kept in the store; third-party cookies on a Space."""
    signer = VisitorSigner(store.app_secret(VISITOR_SECRET_NAME))
    return Identities(signer, store.visitor_owner, store.adopt_owner, third_party=settings.on_space)


def build_runtime(settings: Settings | None = None, *, start: bool = True) -> Runtime:
    """Wire store, manager and (with no server key) the simulator; start the manager unless told not to."""
    settings = settings or load_settings()
    protect_logs(settings.api_key)  # the server key never reaches a log line, whoever logs it
    store = HistoryStore(settings.data_dir, visitor_disk_bytes=settings.visitor_disk_mb * 1024 * 1024,
                         database_url=settings.database_url,  # "": SQLite in the data directory
                         media=open_media(settings, settings.data_dir))  # "": the data directory only
    store.media.start()
    simulator = None
    if settings.demo_mode:
        from seedance_ui.simulator import Simulator  # demo mode only: the real API needs none of it

        simulator = Simulator(speed=settings.simulator_speed).start()
        log.info("demo mode: simulator at %s (speed x%g)", simulator.base_url, settings.simulator_speed)
    factory = default_client_factory(settings, simulator.base_url if simulator else None)
    manager = JobManager(store, settings, client_factory=factory)
    runtime = Runtime(
        settings=settings,
        store=store,
        manager=manager,
        simulator=simulator,
        client_factory=factory,
        identities=build_identities(store, settings),
        reviews=ReviewService(store),
        craft=CraftService(settings, store.db, simulator.base_url if simulator else None),
        prompt_versions=PromptVersions(store.db),
    )
    if start:
        try:
            manager.start()
        except BaseException:
            runtime.close()
            raise
    return runtime
