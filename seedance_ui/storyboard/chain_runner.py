"""Following the boards' pending chains: a background thread sends each chained shot once the take
before it is done (from its last frame, or continuing its video), and stops the rest of a chain after
a take without a video.

The pending shots are on the board (saved with it), so `resume()` after a restart picks them up; a
job already made for a chained shot before the restart is adopted, never created twice. The visitor's
key of a chain is kept in memory only: after a restart the chain continues with the server's key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from seedance_ui.client import GenerationRequest
from seedance_ui.storyboard.cast import frame_path
from seedance_ui.storyboard.chain import next_step, provider_link, save_last_frame, stop_chain
from seedance_ui.storyboard.history import OwnerJobs
from seedance_ui.storyboard.jsonio import dumps_board
from seedance_ui.storyboard.model import Board, Shot, Take
from seedance_ui.storyboard.page import find_shot
from seedance_ui.storyboard.persist import BoardStore
from seedance_ui.storyboard.plan import record_take

log = logging.getLogger(__name__)

CHAIN_POLL_SECONDS = 0.1  # how often a pending chain looks at the take it waits for


class ChainRunner:
    """The pending chains of every board: `follow` one after a Generate, `resume` them after a restart."""

    def __init__(
        self,
        boards: BoardStore,
        lock_of: Callable[[str], threading.Lock],
        jobs_of: Callable[[str], OwnerJobs],
        manager: Any,
    ) -> None:
        self.boards, self.lock_of, self.jobs_of, self.manager = boards, lock_of, jobs_of, manager
        self._chains: dict[str, str] = {}  # board id -> owner, for boards with a pending chain
        self._keys: dict[str, tuple[str | None, str | None]] = {}  # board id -> (api key, address)
        self._guard = threading.Lock()
        self._watcher: threading.Thread | None = None
        self._closing = threading.Event()

    def resume(self) -> None:
        """Follow every board whose chain a restart interrupted."""
        for board in self.boards.owners_with_pending():
            self._chains[board.id] = board.owner
        self._watch()

    def follow(self, board_id: str, owner: str, api_key: str | None, address: str | None) -> list[Take]:
        """Follow a board's pending chain (sent with this key and address); the takes sent at once."""
        self._keys[board_id] = (api_key, address)
        self._chains[board_id] = owner
        sent = self.advance(owner, board_id)
        self._watch()
        return sent

    def close(self) -> None:
        """Stop following (the chains stay on disk)."""
        self._closing.set()
        watcher = self._watcher
        if watcher is not None:
            watcher.join(timeout=10)

    def advance(self, owner: str, board_id: str) -> list[Take]:
        """One look at a board's pending chain: send each chained shot whose previous take is done
        (from its last frame), stop the ones after a take that ended without a video. Returns the
        takes sent."""
        with self.lock_of(board_id):
            board = self.boards.get(owner, board_id)
            if board is None or not board.pending:
                self._forget(board_id)
                return []
            before, sent = dumps_board(board), []
            status_of = self.jobs_of(owner).status_of
            for shot_id in list(board.pending):
                shot = find_shot(board, shot_id)
                if shot is None or shot_id not in board.pending:
                    continue
                step = next_step(board, shot, board.pending_since, status_of)
                if step.action == "stop":
                    stop_chain(board, shot_id, step.reason, first=True)
                elif step.action == "send" and step.take is not None:
                    take = self._send(board, shot_id, step.take, owner)
                    sent += [take] if take is not None else []
            if not board.pending:
                self._forget(board_id)
            if dumps_board(board) != before:
                self.boards.save(board, touch=False)
            return sent

    def _send(self, board: Board, shot_id: str, source: Take, owner: str) -> Take | None:
        """Send a chained shot from `source` (its previous shot's take, which becomes that shot's chosen
        take): from its last frame, or its video as @video1; None while the video is not on disk yet."""
        shot = board.shot(shot_id)
        previous = board.previous(shot)
        if previous is None:
            return None
        try:
            request = self._request(board, shot, source, owner)
            if request is None:
                return None
            job_id = self._adopted(board, owner, request) or self._submit(board.id, owner, request)
        except Exception as exc:  # shown on the shot; the chain after it stops
            log.info("chained shot %s not sent: %s", shot_id, exc)
            stop_chain(board, shot_id, f"it could not be sent ({exc})", first=True)
            return None
        if previous.chosen_take != source.id:
            previous.chosen_take, previous.chosen_by_user = source.id, False
        board.pending.remove(shot_id)
        return record_take(board, shot_id, job_id, params=request.to_params(), starts_from=source.job_id)

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

    def _submit(self, board_id: str, owner: str, request: GenerationRequest) -> str:
        api_key, address = self._keys.get(board_id, (None, None))
        return self.manager.submit(request, owner, api_key, address=address).id

    def _adopted(self, board: Board, owner: str, request: GenerationRequest) -> str | None:
        """A job already made for exactly this request during this chain and on no shot yet (the
        app stopped between the submit and the board's save): it is taken, never sent twice."""
        params = request.to_params()
        for record in self.manager.list(owner, limit=200):
            fresh = getattr(record, "created_at", 0.0) >= board.pending_since
            if fresh and record.params == params and board.find_take(record.id) is None:
                return str(record.id)
        return None

    def _forget(self, board_id: str) -> None:
        self._chains.pop(board_id, None)
        self._keys.pop(board_id, None)

    def _watch(self) -> None:
        """Follow the pending chains in a background thread while there are any."""
        with self._guard:
            if self._watcher is not None or not self._chains or self._closing.is_set():
                return
            self._watcher = threading.Thread(target=self._loop, name="storyboard-chains", daemon=True)
            self._watcher.start()

    def _loop(self) -> None:
        while not self._closing.wait(CHAIN_POLL_SECONDS):
            for board_id, owner in list(self._chains.items()):
                try:
                    self.advance(owner, board_id)
                except Exception:  # one board's trouble must not stop the others
                    log.exception("storyboard chain of board %s", board_id)
            with self._guard:
                if not self._chains:
                    self._watcher = None
                    return
