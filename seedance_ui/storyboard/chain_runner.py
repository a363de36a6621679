"""Following the boards' pending chains: a background thread sends each chained shot once the take
before it is done (from its last frame, or continuing its video), and stops the rest of a chain after
a take without a video.

The thread waits on events, not on a clock: a change of a job a chain waits for (the job manager's
change hub) or a save of a board with a pending chain wakes it, and only then is that board read
again (plus one look per CHAIN_RECHECK_SECONDS, a safety net).

The pending shots are on the board (saved with it), so `resume()` after a restart picks them up; a
job already made for a chained shot before the restart is adopted, never created twice. The board
also records which key the chain was started with (its source, never the key) and the owner's
address. A visitor's key is kept in memory only: after a restart such a chain waits, saying so on
its next shot, until `resume_with_key` gives the key back; it never continues on the server's key.

Replicas on one database all resume the pending chains of the shared boards: one look at a board runs
under a claim in the database (`CHAIN_CLAIM_SCOPE`), so two replicas never send the same chained shot
(the one that looks second reads the board the first one saved).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from seedance_ui.client import GenerationRequest
from seedance_ui.client.media_rules import is_url
from seedance_ui.client.request import MEDIA_FIELDS
from seedance_ui.client.uploads import file_sha256
from seedance_ui.jobs.inputs import INPUTS_KEY, entries_of, request_inputs
from seedance_ui.jobs.meta import KEY_DEMO, KEY_SERVER, KEY_VISITOR
from seedance_ui.media import save_last_frame
from seedance_ui.storyboard.cast import frame_path
from seedance_ui.storyboard.chain import next_step, provider_link, stop_chain
from seedance_ui.storyboard.history import OwnerJobs
from seedance_ui.storyboard.jsonio import dumps_board
from seedance_ui.storyboard.model import Board, Shot, Take
from seedance_ui.storyboard.page import find_shot
from seedance_ui.storyboard.persist import BoardStore
from seedance_ui.storyboard.plan import record_take

log = logging.getLogger(__name__)

CHAIN_RECHECK_SECONDS = 10.0  # a waiting chain's board is read again at least this often, event or not
KEY_WAIT_NOTICE = (
    "Waiting for your API key: this chain was started with your key, which the server keeps only in "
    "memory, and the server restarted. Enter your key again to continue it (nothing is sent meanwhile, "
    "and never with the server's key)."
)
SERVER_KEY_WAIT_NOTICE = (
    "Waiting: this chain was started with the server's key (or the demo key), and the server now runs "
    "with another one. Generate it again to continue it."
)
ADOPT_LOOKBACK_JOBS = 200  # how many of the owner's newest jobs are searched for one to adopt
CHAIN_CLAIM_SCOPE = "chain"  # limit events of this scope: the replica looking at a board's chain now
CHAIN_CLAIM_SECONDS = 300.0  # a claim its replica never dropped (killed mid-look) lapses after this

WAIT_NOTICES = (KEY_WAIT_NOTICE, SERVER_KEY_WAIT_NOTICE)

Sender = tuple[str | None, str | None]  # (the visitor's key or None for the server's, the address)
# (owner, board, shot) -> the id of the prompt version the shot's take is made from (None: none recorded)
VersionOf = Callable[[str, Board, Shot], str | None]


def prompt_version(version_of: VersionOf | None, owner: str, board: Board, shot: Shot) -> str | None:
    """The prompt version a take of `shot` records; None without a recorder, or when it fails (a take is
    never held back for its bookkeeping)."""
    if version_of is None:
        return None
    try:
        return version_of(owner, board, shot)
    except Exception:
        log.exception("prompt version of shot %s not recorded", shot.id)
        return None


def version_argument(version: str | None) -> dict[str, Any]:
    """The job manager's `prompt_version` argument, only when there is one."""
    return {"prompt_version": version} if version else {}


def demo_label(board: Board, shot: Shot) -> str:
    """What a demo clip of `shot` burns in: "SHOT 2 · The climb" (the board's number; the title when it has
    one). Handed to the job manager apart from the request (`submit`'s `demo_label`): the client tells it
    to the built-in simulator only, never to a provider."""
    title = " ".join((shot.title or "").split())
    number = f"SHOT {board.number_of(shot.id)}"
    return f"{number} · {title}" if title else number


class ChainRunner:
    """The pending chains of every board: `follow` one after a Generate, `resume` them after a restart."""

    def __init__(
        self,
        boards: BoardStore,
        lock_of: Callable[[str], contextlib.AbstractContextManager[Any]],
        jobs_of: Callable[[str], OwnerJobs],
        manager: Any,
    ) -> None:
        self.boards, self.lock_of, self.jobs_of, self.manager = boards, lock_of, jobs_of, manager
        self._chains: dict[str, str] = {}  # board id -> owner, for boards with a pending chain
        self._keys: dict[str, Sender] = {}  # board id -> (api key, address): memory only
        self._watched: dict[str, dict[str, Any]] = {}  # board id -> {job id it waits for: status seen}
        self._stale: set[str] = set()  # boards to read again at the next wake
        self._changed: set[str] = set()  # jobs changed since the last wake
        self.version_of: VersionOf | None = None  # BoardSession.record_versions
        self._guard = threading.Lock()
        self._wake = threading.Event()
        self._watcher: threading.Thread | None = None
        self._closing = threading.Event()
        boards.listen(self._board_changed)
        hub = getattr(manager, "changes", None)
        self._unlisten = hub.listen(self._job_changed) if hub is not None else None

    def resume(self) -> None:
        """Follow every board whose chain a restart interrupted."""
        for board in self.boards.owners_with_pending():
            self._chains[board.id] = board.owner
            self._poke(board.id)
        self._watch()

    def stamp(self, board: Board, api_key: str | None, address: str | None) -> None:
        """Record on the board (saved with its pending shots) the key source and address the chain
        continues with; the key itself stays in memory (`follow`)."""
        keys = getattr(self.manager, "keys", None)
        source = keys.classify(api_key)[0] if keys is not None else (KEY_VISITOR if api_key else KEY_SERVER)
        board.chain_key, board.chain_address = source, address

    def follow(self, board_id: str, owner: str, api_key: str | None, address: str | None) -> list[Take]:
        """Follow a board's pending chain (sent with this key and address); the takes sent at once."""
        self._keys[board_id] = (api_key, address)
        self._chains[board_id] = owner
        sent = self.advance(owner, board_id)
        self._poke(board_id)
        self._watch()
        return sent

    def resume_with_key(self, owner: str, api_key: str, address: str | None = None) -> int:
        """Continue the owner's chains that wait for their visitor's key (after a restart); returns how
        many. The key is kept in memory only."""
        waiting = [b for b in self.boards.owners_with_pending() if b.owner == owner]
        count = 0
        for board in waiting:
            if board.chain_key == KEY_VISITOR and board.id not in self._keys:
                self._keys[board.id] = (api_key, address or board.chain_address)
                self._chains[board.id] = owner
                self._poke(board.id)
                count += 1
        self._watch()
        return count

    def close(self) -> None:
        """Stop following (the chains stay on disk)."""
        self._closing.set()
        self._wake.set()
        if self._unlisten is not None:
            self._unlisten()
        watcher = self._watcher
        if watcher is not None:
            watcher.join(timeout=10)

    def advance(self, owner: str, board_id: str) -> list[Take]:
        """One look at a board's pending chain: send each chained shot whose previous take is done
        (from its last frame), stop the ones after a take that ended without a video. Returns the
        takes sent."""
        with self.lock_of(board_id), self._claim(board_id) as claimed:
            if not claimed:  # another replica is looking at it: its save wakes nobody here, the recheck does
                return []
            board = self.boards.get(owner, board_id)
            if board is None or not board.pending:
                self._forget(board_id)
                return []
            before, sent, watched = dumps_board(board), [], {}
            status_of = self.jobs_of(owner).status_of
            sender = self._sender(board)
            for number, shot_id in enumerate(board.pending):  # the next shot says why it waits, if so
                shot = board.shot(shot_id)
                if number == 0 and isinstance(sender, str):
                    shot.notice = sender
                elif shot.notice in WAIT_NOTICES:
                    shot.notice = ""
            for shot_id in list(board.pending):
                shot = find_shot(board, shot_id)
                if shot is None or shot_id not in board.pending:
                    continue
                step = next_step(board, shot, board.pending_since, status_of)
                if step.action == "stop":
                    stop_chain(board, shot_id, step.reason, first=True)
                elif step.action == "send" and step.take is not None and not isinstance(sender, str):
                    take = self._send(board, shot_id, step.take, owner, sender)
                    sent += [take] if take is not None else []
                elif step.take is not None:  # waits for a take in flight: its job's changes wake us
                    watched[step.take.job_id] = status_of(step.take.job_id)
            with self._guard:
                self._watched[board_id] = watched
            if not board.pending:
                self._forget(board_id)
            if dumps_board(board) != before:
                self.boards.save(board, touch=False)
            return sent

    @contextlib.contextmanager
    def _claim(self, board_id: str) -> Iterator[bool]:
        """Whether this replica may look at the board's chain now (True for the one holding the claim,
        dropped when the look is over)."""
        db, ref = self.boards.db, secrets.token_hex(16)
        use = db.hit_limit(CHAIN_CLAIM_SCOPE, [board_id], ref, time.time(), CHAIN_CLAIM_SECONDS, max_count=1)
        if use.refused is not None:
            yield False
            return
        try:
            yield True
        finally:
            db.drop_limit_event(CHAIN_CLAIM_SCOPE, ref)

    def _send(self, board: Board, shot_id: str, source: Take, owner: str, sender: Sender) -> Take | None:
        """Send a chained shot from `source` (its previous shot's take, which becomes that shot's chosen
        take) with `sender`'s key and address: from its last frame, or its video as @video1; None
        while the video is not on disk yet. A pick of the user's on the shot that does not continue
        `source` is let go: once done, the new take becomes the shot's choice (`refresh_chosen`), so
        the run leaves one continuous chain."""
        shot = board.shot(shot_id)
        previous = board.previous(shot)
        if previous is None:
            return None
        try:
            request = self._request(board, shot, source, owner)
            if request is None:
                return None
            version = prompt_version(self.version_of, owner, board, shot)
            job_id = self._adopted(board, owner, request) or self._submit(
                owner, request, sender, version, demo_label(board, shot)
            )
        except Exception as exc:  # shown on the shot; the chain after it stops
            log.info("chained shot %s not sent: %s", shot_id, exc)
            stop_chain(board, shot_id, f"it could not be sent ({exc})", first=True)
            return None
        if previous.chosen_take != source.id:
            previous.chosen_take, previous.chosen_by_user = source.id, False
        if shot.chosen is not None and shot.chosen.starts_from != source.job_id:
            shot.chosen_by_user = False  # the new take takes over once done (`refresh_chosen`)
        board.pending.remove(shot_id)
        return record_take(board, shot_id, job_id, params=request.to_params(), starts_from=source.job_id)

    def _sender(self, board: Board) -> Sender | str:
        """The key and address the chain continues with: the ones given in this process, else (after a
        restart) the server's key with the recorded address, when the chain was started on it; else
        why it waits (a chain of unknown key source waits too)."""
        if board.id in self._keys:
            return self._keys[board.id]
        keys = getattr(self.manager, "keys", None)
        server = keys.server_source if keys is not None else KEY_SERVER
        if board.chain_key == server:
            return None, board.chain_address
        return SERVER_KEY_WAIT_NOTICE if board.chain_key in (KEY_SERVER, KEY_DEMO) else KEY_WAIT_NOTICE

    def _request(self, board: Board, shot: Shot, source: Take, owner: str) -> GenerationRequest | None:
        """The chained shot's request from `source`: its provider link as @video1, or its last frame
        (saved once per take); None while the video is not on disk yet. ValueError when it cannot be."""
        jobs = self.jobs_of(owner)
        if shot.continues_video:
            url, problem = provider_link(jobs.record(source.job_id), time.time())
            if url is None:
                raise ValueError(problem)
            return board.effective_request(shot, video_url=url)
        video = jobs.video_path_of(source.job_id)
        frame = frame_path(board.media_dir, source.job_id)
        if video is None or frame is None:
            return None
        if not frame.is_file():
            save_last_frame(video, frame)
        return board.effective_request(shot, str(frame))

    def _submit(
        self, owner: str, request: GenerationRequest, sender: Sender, version: str | None = None,
        label: str | None = None,
    ) -> str:
        api_key, address = sender
        more = {**version_argument(version), **({"demo_label": label} if label else {})}
        return self.manager.submit(request, owner, api_key, address=address, **more).id

    def _adopted(self, board: Board, owner: str, request: GenerationRequest) -> str | None:
        """A job already made for exactly this request during this chain and on no shot yet (the
        app stopped between the submit and the board's save): it is taken, never sent twice."""
        wanted = request_fingerprint(request)
        for record in self.manager.list(owner, limit=ADOPT_LOOKBACK_JOBS):
            fresh = getattr(record, "created_at", 0.0) >= board.pending_since
            if fresh and board.find_take(record.id) is None and record_fingerprint(record.params) == wanted:
                return str(record.id)
        return None

    def _forget(self, board_id: str) -> None:
        self._chains.pop(board_id, None)
        self._keys.pop(board_id, None)
        with self._guard:
            self._watched.pop(board_id, None)

    # ---------------------------------------------------------------------------------------------
    # waiting on events
    def _poke(self, board_id: str) -> None:
        """Read this board again at the next wake, and wake now."""
        with self._guard:
            self._stale.add(board_id)
        self._wake.set()

    def _board_changed(self, board_id: str) -> None:
        if board_id in self._chains:
            self._poke(board_id)

    def _job_changed(self, job_id: str) -> None:
        """From the job manager's thread, on every change of any job: only note it (never block)."""
        with self._guard:
            self._changed.add(job_id)
            watched = any(job_id in jobs for jobs in self._watched.values())
        if watched:
            self._wake.set()

    def _due(self) -> list[str]:
        """The boards to read now: the ones poked, and the ones whose awaited job changed status (a
        progress update of a job does not count)."""
        with self._guard:
            stale, self._stale = self._stale, set()
            changed, self._changed = self._changed, set()
            watched = {b: dict(jobs) for b, jobs in self._watched.items()}
        for board_id, jobs in watched.items():
            owner = self._chains.get(board_id)
            if owner is None or board_id in stale or not changed.intersection(jobs):
                continue
            status_of = self.jobs_of(owner).status_of
            if any(status_of(job_id) != seen for job_id, seen in jobs.items() if job_id in changed):
                stale.add(board_id)
        return [b for b in list(self._chains) if b in stale]

    def _watch(self) -> None:
        """Follow the pending chains in a background thread while there are any."""
        with self._guard:
            if self._watcher is not None or not self._chains or self._closing.is_set():
                return
            self._watcher = threading.Thread(target=self._loop, name="storyboard-chains", daemon=True)
            self._watcher.start()

    def _loop(self) -> None:
        while not self._closing.is_set():
            self._wake.clear()
            for board_id in self._due():
                owner = self._chains.get(board_id)
                try:
                    if owner is not None:
                        self.advance(owner, board_id)
                except Exception:  # one board's trouble must not stop the others
                    if self._closing.is_set():  # the store closed under the last look: nothing to say
                        return
                    log.exception("storyboard chain of board %s", board_id)
            with self._guard:
                if not self._chains:
                    self._watcher = None
                    return
                missed = self._stale or any(self._changed.intersection(j) for j in self._watched.values())
            if not missed and not self._wake.wait(CHAIN_RECHECK_SECONDS):
                with self._guard:
                    self._stale.update(list(self._chains))


def request_fingerprint(request: GenerationRequest) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """What identifies a request among the jobs: its fields without media, and each input as (role,
    sha256 of the file, or its URL): a job's record keeps copies of the files, not their paths."""
    plain = {k: v for k, v in request.to_params().items() if k not in MEDIA_FIELDS}
    inputs = request_inputs(request)
    return plain, [(role, value if is_url(value) else file_sha256(Path(value))) for role, value in inputs]


def record_fingerprint(params: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """`request_fingerprint` of the request a job's record was made from."""
    plain = {k: v for k, v in params.items() if k not in MEDIA_FIELDS and k != INPUTS_KEY}
    return plain, [(e["role"], e.get("sha256") or e.get("url")) for e in entries_of(params)]
