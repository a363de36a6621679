"""A storyboard session without any UI: open, edit, merge, plan, generate and export boards.

`BoardSession` holds what a page works on (the boards on disk, the job history, the job manager) and
offers one verb per thing a reviewer does. A page event becomes one call; the result is plain data (a
board, the selected shot, a plan, the takes sent) that the page renders. A refusal a reviewer should see
is raised as `Refused` with its message.

Every verb first commits what the page shows (`Shown`) under a per-board lock, merged with what other
pages saved meanwhile: a value the page still shows exactly as it drew it is taken as unchanged and left
as it is on disk (`PageMemory`, a field-level three-way merge).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from seedance_ui.client import GenerationRequest
from seedance_ui.client.uploads import UploadedFile
from seedance_ui.store.quota import QuotaExceeded
from seedance_ui.storyboard.animatic import AnimaticResult, check_shot_count, export_animatic
from seedance_ui.storyboard.blank import is_untouched
from seedance_ui.storyboard.bundle import export_zip
from seedance_ui.storyboard.cast import name_problem, store_cast_image
from seedance_ui.storyboard.chain import provider_link, stop_chain, waiting_on
from seedance_ui.storyboard.chain_runner import (
    ChainRunner,
    VersionOf,
    demo_label,
    prompt_version,
    version_argument,
)
from seedance_ui.storyboard.clips import export_stem
from seedance_ui.storyboard.contact import export_contact_sheet
from seedance_ui.storyboard.cost import BoardEstimate, shot_estimate
from seedance_ui.storyboard.csvio import board_to_csv, import_csv
from seedance_ui.storyboard.export_line import ExportLine, LineRefused, Ticket
from seedance_ui.storyboard.export_reuse import export_key, remember, reused
from seedance_ui.storyboard.files import write_text_atomically
from seedance_ui.storyboard.history import OwnerJobs
from seedance_ui.storyboard.jsonio import MAX_IMPORT_BYTES, dumps_board, import_board_json
from seedance_ui.storyboard.model import (
    MAX_SHOTS,
    MAX_TITLE_CHARS,
    Board,
    BoardFormatError,
    CastEntry,
    Shot,
    StoryboardError,
    Take,
)
from seedance_ui.storyboard.page import SHOT_FIELDS, Shown, apply_shown, find_shot, page_values, sample_board
from seedance_ui.storyboard.page_memory import PageMemory
from seedance_ui.storyboard.persist import BoardBusy, BoardStore, BoardSummary, owner_key
from seedance_ui.storyboard.plan import (
    JobStatusOf,
    choose_take,
    refresh_chosen,
    shots_to_generate,
    submit_shots,
)
from seedance_ui.storyboard.sample import continuity_sample
from seedance_ui.storyboard.validation import NO_PICTURE_FIELD, ShotProblem, shot_problems

EXPORTS_DIRNAME = "exports"
# The review exports by the end of their file name, and what the visitor calls them.
EXPORT_NAMES = {"contact-sheet.png": "contact sheet", "animatic.mp4": "animatic", "review.zip": "review zip"}
PlanScope = Literal["all", "missing", "shot"]
TextFormat = Literal["json", "csv"]


class Refused(Exception):
    """A verb that could not be done, with the message for the reviewer and its kind (a notice's tone)."""

    def __init__(self, message: str, kind: str = "warning") -> None:
        super().__init__(message)
        self.message, self.kind = message, kind


OPEN_A_BOARD = "Open a board first."


class Jobs(Protocol):
    """What the session needs of the job manager (seedance_ui.jobs.JobManager has it)."""

    def get(self, job_id: str, owner: str) -> Any: ...

    def submit(self, request: GenerationRequest, owner: str, api_key: str | None = None) -> Any: ...

    def list(self, owner: str, limit: int = 100) -> list[Any]: ...


class Files(Protocol):
    """What the session needs of the history store (seedance_ui.store.HistoryStore has it)."""

    def video_file(self, record: Any) -> Path | None: ...

    def poster_file(self, record: Any) -> Path | None: ...


class _History:
    """What OwnerJobs needs, over the job manager (live queue positions) and the history store."""

    def __init__(self, jobs: Jobs, files: Files) -> None:
        self.jobs, self.files = jobs, files

    def get(self, job_id: str, owner: str) -> Any | None:
        try:
            return self.jobs.get(job_id, owner)
        except ValueError:
            return None

    def video_file(self, record: Any) -> Path | None:
        return self.files.video_file(record)


@dataclass(frozen=True)
class Plan:
    """The shots one "Generate" would send, their cost and what stops them (problems: nothing is sent)."""

    board: Board
    shot_ids: list[str]
    estimate: BoardEstimate
    problems: list[ShotProblem]
    changed: bool = False  # the board changed since the reviewer saw this plan

    def token(self, what: str) -> dict[str, Any] | None:
        """What the page keeps until "Confirm" (None while problems stop it)."""
        if self.problems or not self.shot_ids:
            return None
        credits = round(self.estimate.credits, 4)
        return {"board": self.board.id, "shots": self.shot_ids, "credits": credits, "what": what}


@dataclass(frozen=True)
class Sent:
    """What a confirmed plan sent: the new takes, and per shot id the error of each shot not sent."""

    board: Board
    takes: list[Take]
    errors: dict[str, Exception] = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)  # chained shots sent once the take before is done


@dataclass(frozen=True)
class Picked:
    """A take chosen for a shot: the board, and the shot's and the take's numbers (1-based)."""

    board: Board
    shot_number: int
    take_number: int


class BoardSession:
    """One per app: every page's storyboard verbs, over the boards in `data_dir`, `jobs` and `files`."""

    def __init__(
        self, data_dir: Path | str, jobs: Jobs, files: Files, max_prompt_chars: int | None = None
    ) -> None:
        self.data_dir = Path(data_dir)
        # The studio's prompt cap (settings.max_prompt_chars): a shot whose prompt as sent is longer is a
        # problem of the shot (`problems`), refused before anything is sent.
        self.max_prompt_chars = max_prompt_chars
        # One visitor's disk quota (store.quota) covers their boards and exports as well as their inputs.
        self.quota = getattr(files, "quota", None)
        shared = bool(getattr(files, "database_url", ""))  # PostgreSQL: other replicas edit these boards
        self.boards = BoardStore(self.data_dir, self.quota, getattr(files, "db", None), shared=shared)
        self.exports = ExportLine()
        self.manager = jobs
        self.files = files
        self.history = _History(jobs, files)
        self.pages = PageMemory(SHOT_FIELDS)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self.chains = ChainRunner(self.boards, self._lock, self.jobs, jobs)
        # board -> files (name -> text) its review zip adds: set by ReviewService.attach (reviews)
        self.review_files: Callable[[Board], dict[str, str]] | None = None
        self.version_of: VersionOf | None = None  # set by `record_versions`
        if jobs is not None:  # resume the chains a restart interrupted (their shots wait on disk)
            self.chains.resume()

    def problems(self, board: Board, shot: Shot) -> list[ShotProblem]:
        """`shot_problems` with the studio's prompt cap."""
        return shot_problems(board, shot, self.max_prompt_chars)

    def record_versions(self, version_of: VersionOf) -> None:
        """Every take records the prompt version its shot's prompt is: `version_of(owner, board, shot)`
        (the page records them: ui/assist/versions.py), chained takes too."""
        self.version_of = self.chains.version_of = version_of

    def close(self) -> None:
        """Stop following pending chains (they stay on disk; a new session resumes them)."""
        self.chains.close()

    # ---------------------------------------------------------------------------------------------
    # boards on disk, merged with what the page changed
    @contextlib.contextmanager
    def _lock(self, key: str) -> Iterator[None]:
        """Hold a board (or `owner:<id>`, an owner's board list) while a change reads, edits and saves it:
        this process's lock, then the claim other replicas respect (`BoardStore.held`), so no replica's
        save overwrites a change it did not read."""
        with self._locks_guard:
            local = self._locks.setdefault(key, threading.Lock())
        with local, contextlib.ExitStack() as held:
            try:
                held.enter_context(self.boards.held(key))
            except BoardBusy as busy:  # said at the control, as any refusal
                raise Refused(f"Not saved: {busy}.") from None
            yield

    def jobs(self, owner: str) -> OwnerJobs:
        """The owner's jobs as planning and exports read them (a fresh cache: make one per use)."""
        return OwnerJobs(self.history, owner)

    def exports_dir(self, owner: str) -> Path:
        return self.data_dir / EXPORTS_DIRNAME / owner_key(owner)

    def open_default(self, owner: str) -> Board:
        """The owner's most recently changed board; a sample board on the very first visit."""
        with self._lock(f"owner:{owner}"):
            for summary in self.boards.summaries(owner):
                board = self.boards.get(owner, summary.id)
                if board is not None:
                    return board
            with _quota():
                return self.boards.save(sample_board(owner))

    @contextlib.contextmanager
    def editing(self, shown: Shown) -> Iterator[Board | None]:
        """The open board with what was changed on the page applied, locked; saved afterwards if it
        changed (None when no board is open or it is gone)."""
        if shown.owner is None or shown.board_id is None:
            yield None
            return
        with self._lock(shown.board_id):
            board = self.boards.get(shown.owner, shown.board_id)
            if board is None:
                yield None
                return
            before = dumps_board(board)
            # Only what the person changed on this page: a value it still shows as drawn may be stale
            # (another tab saved since), and is left as it is on disk.
            values = shown.values()
            kept = self.pages.unchanged(shown.session, shown.board_id, shown.shot_id, values)
            apply_shown(board, replace(shown, **dict.fromkeys(kept)) if kept else shown)
            yield board
            if dumps_board(board) != before:
                with _quota():
                    self.boards.save(board, touch=False)
            self.pages.remember(shown.session, shown.board_id, shown.shot_id, values)

    def commit(self, shown: Shown) -> Board | None:
        """Save what the page changed; the board as saved (None when none is open)."""
        with self.editing(shown) as board:
            return board

    def _edit(self, shown: Shown) -> contextlib.AbstractContextManager[Board]:
        """`editing`, refusing when no board is open."""
        return _required(self.editing(shown))

    def refreshed(self, shown: Shown) -> Board | None:
        """`commit`, then each shot without a pick gets its first completed take."""
        with self.editing(shown) as board:
            if board is not None and shown.owner:
                refresh_chosen(board, self.jobs(shown.owner).status_of)
            return board

    def drawn(self, session: str | None, board: Board, shot_id: str | None) -> dict[str, Any]:
        """The page `session` now shows `board` with `shot_id` selected: its field values, remembered
        for the merge of its next save."""
        values = page_values(board, find_shot(board, shot_id))
        self.pages.remember(session, board.id, shot_id, values)
        return values

    def open(self, owner: str, board_id: Any, shot_id: Any) -> tuple[Board, str | None]:
        """The board a page shows (refreshed), else the owner's latest: (board, shot to select)."""
        board = self.boards.get(owner, board_id) if Shown.of(owner, board_id, None).board_id else None
        shot = Shown.of(owner, None, shot_id).shot_id
        if board is None:
            board, shot = self.open_default(owner), None
        fresh = self.refreshed(Shown.of(owner, board.id, None))
        return (fresh or board), shot

    def boards_of(self, owner: str, current: Board) -> list[BoardSummary]:
        """The owner's boards for a picker, newest first (from the board index: no board is parsed
        unless it changed); `current` is among them even if unsaved."""
        mine = BoardSummary.of(current)
        boards = [mine if b.id == current.id else b for b in self.boards.summaries(owner)]
        return boards if any(b.id == current.id for b in boards) else [mine, *boards]

    # ---------------------------------------------------------------------------------------------
    # shots: each returns the board and the shot to select
    def _change(self, shown: Shown, change: Callable[[Board, Any], str | None]) -> tuple[Board, str | None]:
        with self._edit(shown) as board:
            return board, change(board, find_shot(board, shown.shot_id))

    def add_shot(self, shown: Shown) -> tuple[Board, str | None]:
        """A new shot at the end ("Move up" and "Duplicate" place shots elsewhere)."""
        return self._change(shown, lambda board, _current: board.add_shot().id)

    def duplicate_shot(self, shown: Shown) -> tuple[Board, str | None]:
        def change(board: Board, current: Any) -> str | None:
            if current is None:
                return None
            copy = board.duplicate_shot(current.id)
            copy.title = f"{current.title} (copy)".strip()[:MAX_TITLE_CHARS] if current.title else ""
            return copy.id

        return self._change(shown, change)

    def delete_shot(self, shown: Shown) -> tuple[Board, str | None]:
        """Delete the selected shot; the one after it (or the new last one) is selected."""

        def change(board: Board, current: Any) -> str | None:
            if current is None:
                return None
            index = board.index_of(current.id)
            board.delete_shot(current.id)
            return board.shots[min(index, len(board.shots) - 1)].id if board.shots else None

        return self._change(shown, change)

    def move_shot(self, shown: Shown, delta: int) -> tuple[Board, str | None]:
        def change(board: Board, current: Any) -> str | None:
            if current is None:
                return None
            board.move_shot(current.id, delta)
            return current.id

        return self._change(shown, change)

    def select(self, shown: Shown, shot_id: str) -> tuple[Board, str | None]:
        """Commit the page, then select `shot_id`."""
        return self._change(shown, lambda _board, _current: shot_id)

    def pick_take(self, shown: Shown, shot_id: str, take_id: str) -> Picked:
        """The reviewer's choice of take for a shot."""
        with self._edit(shown) as board:
            try:
                choose_take(board, shot_id, take_id)
            except KeyError:
                raise Refused("That take is no longer on this shot.") from None
            takes = board.shot(shot_id).takes
            number = next(i for i, t in enumerate(takes, 1) if t.id == take_id)
            return Picked(board, board.number_of(shot_id), number)

    # ---------------------------------------------------------------------------------------------
    # boards
    def switch(self, shown: Shown, board_id: str) -> Board:
        """Commit the page, then open another of the owner's boards."""
        self.commit(shown)
        board = self.boards.get(shown.owner, board_id) if shown.owner else None
        if board is None:
            raise Refused("That board is gone.")
        return board

    def new_board(self, shown: Shown) -> tuple[Board, str]:
        """Commit the page, then a new board with one empty shot: (board, its shot)."""
        self.commit(shown)
        if shown.owner is None:
            raise Refused("Still opening your storyboard; try again in a moment.")
        board = Board(owner=shown.owner, title=f"Storyboard {len(self.boards.summaries(shown.owner)) + 1}")
        shot = board.add_shot()
        with _quota():
            self.boards.save(board)
        return board, shot.id

    def open_sample(self, shown: Shown) -> Board:
        """Commit the page, then a new board from the continuity sample (a cast of two, a chained cut); an
        untouched board open on the page gives way to it, as to an import."""
        current = self.commit(shown)
        if shown.owner is None:
            raise Refused("Still opening your storyboard; try again in a moment.")
        with _quota():
            self.boards.reserve(shown.owner, len(dumps_board(sample_board(shown.owner))), "the sample board")
            board = self.boards.save(continuity_sample(shown.owner, self.boards.owner_dir(shown.owner)))
        if current is not None and is_untouched(current):
            self.boards.delete(shown.owner, current.id)
        return board

    def import_file(self, shown: Shown, path: Path) -> Board:
        """A JSON board, or CSV shots with the open board's settings, saved as a new board."""
        current = self.commit(shown)
        if shown.owner is None:
            raise Refused(OPEN_A_BOARD)
        try:
            if path.stat().st_size > MAX_IMPORT_BYTES:
                raise BoardFormatError("", f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MiB")
            with _quota():  # the board and its cast pictures take at most the file's size on disk
                self.boards.reserve(shown.owner, path.stat().st_size, f"importing {path.name}")
            data = path.read_bytes()
            board = self._csv_board(shown.owner, path, current, data) if path.suffix.lower() == ".csv" else (
                import_board_json(data, shown.owner, self.boards.owner_dir(shown.owner))
            )
        except (OSError, StoryboardError) as exc:
            raise Refused(f"Could not import {path.name}: {exc}", "error") from None
        self.boards.save(board, counted=True)
        if current is not None and is_untouched(current):  # New board, then an import: it replaces it
            self.boards.delete(shown.owner, current.id)
        return board

    @staticmethod
    def _csv_board(owner: str, path: Path, current: Board | None, data: bytes) -> Board:
        """CSV carries shots only: they join a new board with the open board's settings."""
        board = Board(owner=owner, title=path.stem[:MAX_TITLE_CHARS] or "Imported storyboard")
        if current is not None:
            board.title = f"{current.title} (from CSV)"[:MAX_TITLE_CHARS]
            for name, value in current.settings().items():
                setattr(board, name, value)
        import_csv(board, data)
        return board

    def append_csv(self, shown: Shown, path: Path) -> tuple[Board, str | None]:
        """CSV shots added at the end of the open board (its settings and cast names apply; an untouched
        board's empty shot gives way to them); the first new shot is selected. Nothing changes when the
        file has an error."""
        try:
            if path.stat().st_size > MAX_IMPORT_BYTES:
                raise BoardFormatError("", f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MiB")
            data = path.read_bytes()
        except OSError as exc:
            raise Refused(f"Could not import {path.name}: {exc}", "error") from None
        with self._edit(shown) as board:
            try:  # an untouched board's empty shot is replaced, never left to block Generate all
                added = import_csv(board, data, replace=is_untouched(board))
            except StoryboardError as exc:
                raise Refused(f"Could not import {path.name}: {exc}", "error") from None
            return board, (added[0].id if added else shown.shot_id)

    def append_shots(
        self, shown: Shown, drafts: Sequence[Mapping[str, Any]], new_cast: Sequence[CastEntry] = ()
    ) -> tuple[Board, list[Shot]]:
        """New shots at the end of the open board, each from a draft of Shot fields (title, prompt,
        duration, chain, cast ids; a script planned into shots); an untouched board's empty shot gives way
        to them. `new_cast`: entries without a picture yet to add first (the drafts may tick them). Every
        draft is checked first: nothing changes when one breaks a rule (a missing picture is no such
        rule: Generate refuses the shot until the picture is added)."""
        with self._edit(shown) as board:
            untouched = is_untouched(board)  # before its new cast: the empty shot still gives way
            for entry in new_cast:
                try:
                    board.add_cast_entry(CastEntry(name=entry.name, id=entry.id))
                except StoryboardError as exc:
                    raise Refused(f"Cast: {exc}.", "error") from None
            known = {e.id for e in board.cast}
            try:
                shots = [Shot(**dict(d)) for d in drafts]
            except TypeError as exc:
                raise Refused(f"Those shots could not be added: {exc}", "error") from None
            kept = [] if untouched else board.shots
            if len(kept) + len(shots) > MAX_SHOTS:
                raise Refused(f"A storyboard holds at most {MAX_SHOTS} shots.", "error")
            board.shots = [*kept, *shots]  # the rules read a shot on its board (a raise saves nothing)
            for shot in shots:
                unknown = any(c not in known for c in shot.cast)
                problem = "it names a cast entry this board has not" if unknown else None
                found = (p for p in shot_problems(board, shot) if p.field != NO_PICTURE_FIELD)
                problem = problem or next((p.message for p in found), None)
                if problem:
                    raise Refused(f"Shot {board.number_of(shot.id)} was not added: {problem}.", "error")
            board.touch()
            return board, shots

    # ---------------------------------------------------------------------------------------------
    # the board's cast and looks
    def add_cast(self, shown: Shown, name: str, image: Path) -> Board:
        """A named reference image for the board, kept once per content in the owner's cast folder."""
        if shown.owner is None:
            raise Refused(OPEN_A_BOARD)
        with self._edit(shown) as board:
            waiting = board.waiting_cast(name)  # a name a script brought gets its picture
            problem = None if waiting else name_problem(name, [e.name for e in board.cast])
            if problem:
                raise Refused(f"Cast: {problem}.")
            with _quota():
                self.boards.reserve(shown.owner, _size(Path(image)), "this cast picture")
            try:
                digest, suffix = store_cast_image(self.boards.owner_dir(shown.owner), Path(image))
                if waiting is not None:
                    board.set_cast_picture(waiting.id, digest, suffix)
                else:
                    board.add_cast(name, digest, suffix)
            except (ValueError, OSError) as exc:
                raise Refused(f"Cast: {exc}", "error") from None
            return board

    def remove_cast(self, shown: Shown, entry_id: str) -> Board:
        """Remove a cast entry; the shots that ticked it no longer send it."""
        with self._edit(shown) as board:
            try:
                board.remove_cast(entry_id)
            except KeyError:
                raise Refused("That cast entry is no longer on this board.") from None
            return board

    def export_text(self, shown: Shown, fmt: TextFormat) -> tuple[Board, Path]:
        """The board as JSON (without its owner, cast images embedded) or as CSV, in the exports folder."""
        board = self.commit(shown)
        if board is None or shown.owner is None:
            raise Refused(OPEN_A_BOARD)
        json_text = dumps_board(board, include_owner=False, embed_images=True) if fmt == "json" else ""
        text = json_text or board_to_csv(board)
        path = self.exports_dir(shown.owner) / f"{export_stem(board)}.{fmt}"
        with _quota():
            growth = len(text.encode("utf-8")) - _size(path)
            self.boards.reserve(shown.owner, growth, f"this {fmt.upper()} file")
        write_text_atomically(path, text)
        return board, path

    def export_review_text(
        self, shown: Shown, suffix: str, text_of: Callable[[Board], str]
    ) -> tuple[Board, Path]:
        """A shared board's review as a file in the exports folder: `text_of(board)` (its notes CSV or its
        EDL) written to `<stem>-<suffix>`, within the visitor's quota."""
        board = self.commit(shown)
        if board is None or shown.owner is None:
            raise Refused(OPEN_A_BOARD)
        text = text_of(board)
        path = self.exports_dir(shown.owner) / f"{export_stem(board)}-{suffix}"
        with _quota():
            self.boards.reserve(shown.owner, len(text.encode("utf-8")) - _size(path), f"this {suffix} file")
        write_text_atomically(path, text)
        return board, path

    # ---------------------------------------------------------------------------------------------
    # generation: plan, then generate what was confirmed
    def plan(self, shown: Shown, scope: PlanScope) -> Plan:
        """The shots to send for "all", "missing" (missing or failed) or the selected "shot"."""
        with self._edit(shown) as board:
            status_of = self.jobs(shown.owner or board.owner).status_of
            if scope == "shot":
                selected = find_shot(board, shown.shot_id)
                shots = [selected] if selected is not None else []
            elif scope == "missing":
                shots = shots_to_generate(board, "missing_or_failed", status_of)
            else:
                shots = shots_to_generate(board, "all")
            return self._plan(board, [s.id for s in shots], status_of)

    def _plan(self, board: Board, shot_ids: list[str], status_of: JobStatusOf) -> Plan:
        """The plan's cost and problems: every shot's rules, a chained shot planned without the shot
        before it needs that shot's finished take, an extension needs its take's link still valid."""
        lines = [shot_estimate(board, board.shot(sid)) for sid in shot_ids]
        credits, usd = round(sum(x.credits for x in lines), 4), round(sum(x.usd for x in lines), 4)
        estimate = BoardEstimate(credits=credits, usd=usd, shots=lines)
        problems = [p for sid in shot_ids for p in self.problems(board, board.shot(sid))]
        planned = set(shot_ids)
        for sid in shot_ids:
            reason = waiting_on(board, board.shot(sid), planned, status_of)
            if reason is not None:
                problems.append(ShotProblem(sid, board.number_of(sid), "chain", reason))
            extends = board.shot(sid).extends
            url, why = self._extendable(board.owner, extends) if extends else ("", "")
            if url is None:
                problems.append(ShotProblem(sid, board.number_of(sid), "reference_video_urls", why))
        return Plan(board, shot_ids, estimate, problems)

    def generate(
        self, shown: Shown, token: Any, api_key: str | None = None, address: str | None = None
    ) -> Sent | Plan | None:
        """Send the planned shots (`token`: `Plan.token`), only if the plan still holds: else the new plan
        (`changed`), or None when the token is not for the open board. `address`: the visitor's hashed
        client address, a subject of the per-visitor limits."""
        owner = shown.owner
        if not isinstance(token, Mapping) or owner is None or token.get("board") != shown.board_id:
            return None
        with self.editing(shown) as board:
            if board is None:
                return None
            planned = list(token.get("shots", []))
            status_of = self.jobs(owner).status_of
            plan = self._plan(board, [sid for sid in planned if find_shot(board, sid) is not None], status_of)
            credits = round(plan.estimate.credits, 4)
            if plan.problems or credits != token.get("credits") or len(plan.shot_ids) != len(planned):
                return replace(plan, changed=True)

            versions: dict[int, str | None] = {}  # id(request) -> the prompt version of its shot
            labels: dict[int, str] = {}  # id(request) -> what its demo clip burns in (`demo_label`)

            def request_of(shot: Shot) -> GenerationRequest:
                request = self._request(board, owner, shot)
                versions[id(request)] = prompt_version(self.version_of, owner, board, shot)
                labels[id(request)] = demo_label(board, shot)
                return request

            def submit(request: GenerationRequest) -> str:
                more = {**version_argument(versions.get(id(request))), "demo_label": labels.get(id(request))}
                return self.manager.submit(request, owner, api_key or None, address=address, **more).id

            shots = [board.shot(sid) for sid in plan.shot_ids]
            chained = [s.id for s in shots if s.chain and not s.extends]  # an extension is never chained
            if chained:  # they wait for the take before them; saved with the board, so a restart resumes
                board.pending_since = min(board.pending_since, time.time()) if board.pending else time.time()
                board.pending = [s.id for s in board.shots if s.id in {*board.pending, *chained}]
                self.chains.stamp(board, api_key or None, address)  # its key source and address, saved
                for shot in shots:
                    shot.notice = "" if shot.chain else shot.notice
            now = [s for s in shots if s.id not in chained]
            takes, errors = submit_shots(board, now, submit, request_of)
            for sid, exc in errors.items():
                stop_chain(board, sid, f"shot {board.number_of(sid)} was not sent ({exc})")
            waiting = list(board.pending)
        if waiting:
            takes += self.chains.follow(board.id, owner, api_key or None, address)
        return Sent(board, takes, errors, [sid for sid in waiting if sid in board.pending])

    def _request(self, board: Board, owner: str, shot: Shot) -> GenerationRequest:
        """The request a shot is sent with: an extension carries its take's provider link as @video1."""
        if not shot.extends:
            return board.effective_request(shot)
        url, problem = self._extendable(owner, shot.extends)
        if url is None:
            raise Refused(problem)
        return board.effective_request(shot, video_url=url)

    def _extendable(self, owner: str, job_id: str) -> tuple[str | None, str]:
        """(the provider link of a finished job, "") while it is inside its 24 hours, else (None, why)."""
        return provider_link(self.history.get(job_id, owner), time.time())

    def extend(self, shown: Shown, shot_id: str, take_id: str) -> tuple[Board, str]:
        """A new shot right after `shot_id` that continues this take's video (a references request with
        it as @video1, its seconds billed as input); (board, the new shot). Nothing is sent yet."""
        if shown.owner is None:
            raise Refused(OPEN_A_BOARD)
        with self._edit(shown) as board:
            try:
                source, take = board.shot(shot_id), board.shot(shot_id).take(take_id)
            except KeyError:
                raise Refused("That take is no longer on this board.") from None
            url, problem = self._extendable(shown.owner, take.job_id)
            if url is None:
                raise Refused(f"Cannot extend it: {problem}.")
            record = self.history.get(take.job_id, shown.owner)
            seconds = float(getattr(record, "video_duration", None) or source.duration)
            title = f"{source.title or f'Shot {board.number_of(shot_id)}'} (extended)"[:MAX_TITLE_CHARS]
            shot = Shot(title=title, duration=source.duration, cast=list(source.cast), extends=take.job_id,
                        extend_seconds=round(seconds, 3))
            board.add_shot(shot, index=board.index_of(shot_id) + 1)
            return board, shot.id

    # ---------------------------------------------------------------------------------------------
    # review exports of the chosen takes (decode and encode video: call them off the event loop).
    # Each waits its turn in the export line (one per visitor, EXPORT_WORKERS for everyone), and an
    # unchanged board's export is the file made before (export_reuse), with no turn taken.
    def export_turn(self, owner: str | None, what: str) -> Ticket:
        """A place in the export line for `owner` (Refused when they have one already, or it is full)."""
        if owner is None:
            raise Refused(OPEN_A_BOARD)
        try:
            return self.exports.join(owner, what)
        except LineRefused as exc:
            raise Refused(str(exc)) from None

    def _review(self, shown: Shown) -> tuple[Board, str, OwnerJobs]:
        board = self.refreshed(shown)
        if board is None or shown.owner is None:
            raise Refused(OPEN_A_BOARD)
        try:
            check_shot_count(board)
        except StoryboardError as exc:
            raise Refused(f"Cannot export: {exc}.") from None
        return board, shown.owner, self.jobs(shown.owner)

    def _made(self, shown: Shown, kind: str, options: dict[str, Any], ticket: Ticket | None,
              make: Callable[[Board, Path, OwnerJobs], tuple[Path, dict[str, Any] | None]]
              ) -> tuple[Board, Path, dict[str, Any] | None]:
        """(board, file, answer) of an export: reused when the board is unchanged since the file was
        made, else made in the visitor's turn (`ticket`, or a turn taken here) within their quota."""
        board, owner, jobs = self._review(shown)
        folder = self.exports_dir(owner)
        target = folder / f"{export_stem(board)}-{kind}"
        infos = jobs.infos(board)
        key = export_key(board, kind, options, jobs.video_path_of, dict(infos))
        found = reused(target, key)
        if found is not None:
            return board, target, found.get("answer")
        with self._turn(owner, EXPORT_NAMES[kind], ticket), _quota():
            if self.quota is not None:
                estimate = _export_estimate(board, jobs, kind, target)
                self.quota.reserve(owner, estimate, f"this {EXPORT_NAMES[kind]}")
            path, answer = make(board, folder, jobs)
            remember(path, key, answer)
        return board, path, answer

    @contextlib.contextmanager
    def _turn(self, owner: str, what: str, ticket: Ticket | None) -> Iterator[None]:
        own = ticket is None
        ticket = self.export_turn(owner, what) if ticket is None else ticket
        try:
            ticket.wait()
            yield
        finally:
            if own:
                ticket.leave()

    def contact_sheet(self, shown: Shown, ticket: Ticket | None = None) -> tuple[Board, Path]:
        def make(board: Board, folder: Path, jobs: OwnerJobs) -> tuple[Path, None]:
            return export_contact_sheet(board, folder, jobs.video_path_of, jobs.infos(board)), None

        board, path, _answer = self._made(shown, "contact-sheet.png", {}, ticket, make)
        return board, path

    def animatic(self, shown: Shown, title_cards: bool, ticket: Ticket | None = None
                 ) -> tuple[Board, AnimaticResult]:
        def make(board: Board, folder: Path, jobs: OwnerJobs) -> tuple[Path, dict[str, Any]]:
            infos = jobs.infos(board)
            result = export_animatic(board, folder, jobs.video_path_of, infos, title_cards=title_cards)
            return result.path, result.to_dict()

        board, path, answer = self._made(shown, "animatic.mp4", {"cards": title_cards}, ticket, make)
        assert answer is not None
        return board, AnimaticResult.from_dict({**answer, "path": str(path)})

    def review_zip(self, shown: Shown, ticket: Ticket | None = None) -> tuple[Board, Path]:
        """The review zip; a board shared for review also gets its notes CSV and EDL (`review_files`)."""
        opened = self.refreshed(shown) if self.review_files is not None else None
        extra = self.review_files(opened) if self.review_files is not None and opened is not None else {}
        digest = hashlib.sha256(json.dumps(extra, sort_keys=True).encode("utf-8")).hexdigest()
        options = {"review": digest} if extra else {}  # changed notes make a new zip

        def make(board: Board, folder: Path, jobs: OwnerJobs) -> tuple[Path, None]:
            path = export_zip(board, folder, jobs.video_path_of, jobs.infos(board), upload_of=self._upload_of,
                              extra_files=extra)
            return path, None

        board, path, _answer = self._made(shown, "review.zip", options, ticket, make)
        return board, path

    def _upload_of(self, job_id: str, sha256: str) -> UploadedFile | None:
        """The upload the job's client remembers for this content (the server key's client once the
        job's own key is let go), None when no client remembers it."""
        keys = getattr(self.manager, "keys", None)
        if keys is None:
            return None
        client = keys.client_for(job_id) or (keys.server_client() if keys.server_key else None)
        return client.remembered_upload(sha256) if client is not None else None

    def exported(self, board: Board, owner: str) -> list[Path]:
        """The board's export files that exist, newest kinds first (zip, animatic, sheet, JSON, CSV)."""
        folder, stem = self.exports_dir(owner), export_stem(board)
        names = [f"{stem}-review.zip", f"{stem}-animatic.mp4", f"{stem}-contact-sheet.png", f"{stem}.json",
                 f"{stem}.csv", f"{stem}-{REVIEW_NOTES_SUFFIX}", f"{stem}-{REVIEW_EDL_SUFFIX}"]
        return [folder / n for n in names if (folder / n).is_file()]


REVIEW_NOTES_SUFFIX = "review-notes.csv"  # the review's files beside the board's other exports
REVIEW_EDL_SUFFIX = "review-timeline.edl"
SHEET_ROW_BYTES = 512 * 1024  # a contact sheet's row (four frames at most 640 wide, as PNG), about


def _export_estimate(board: Board, jobs: OwnerJobs, kind: str, target: Path) -> int:
    """The bytes an export may add to the visitor's files, less the file it replaces: a contact sheet's
    rows; an animatic re-encodes each distinct take at a like rate; a zip holds every shot's video and
    a sheet. The quota measures the real files again later (USAGE_TTL_SECONDS)."""
    videos = [jobs.video_path_of(s.chosen.job_id) for s in board.shots if s.chosen is not None]
    sheet = SHEET_ROW_BYTES * len(board.shots)
    total = {"contact-sheet.png": sheet, "animatic.mp4": sum(_size(v) for v in set(videos) if v is not None),
             "review.zip": sheet + sum(_size(v) for v in videos if v is not None)}[kind]
    return total - _size(target)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@contextlib.contextmanager
def _quota() -> Iterator[None]:
    """A write refused by the visitor's disk quota becomes a refusal they read."""
    try:
        yield
    except QuotaExceeded as exc:
        raise Refused(exc.message, "error") from None


@contextlib.contextmanager
def _required(editing: contextlib.AbstractContextManager[Board | None]) -> Iterator[Board]:
    with editing as board:
        if board is None:
            raise Refused(OPEN_A_BOARD)
        yield board
