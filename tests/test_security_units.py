"""Hosting safety without a browser: owners, configuration, redaction, edge limits, budgets, fuzzing.

The budget tests run a real JobManager against the contract simulator: 20 submissions at once against a
budget that allows three and a half jobs admit exactly three, and never more than the budget.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import SERVER_KEY, wait_until
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from seedance_ui.client import GenerationRequest, SeedanceError, Task, ValidationError, parse_error_body
from seedance_ui.client.errors import error_for_status
from seedance_ui.config import ConfigError, Settings, load_settings
from seedance_ui.jobs import JobManager
from seedance_ui.jobs.budget import (
    BudgetExceededError,
    BudgetLedger,
    KeyRequiredError,
    SignInRequiredError,
    SubmissionGuard,
    SubmitRateLimitedError,
    is_billed,
    next_utc_midnight,
    utc_day,
)
from seedance_ui.jobs.meta import KEY_DEMO, KEY_SERVER, KEY_VISITOR
from seedance_ui.options import MODEL_FAST
from seedance_ui.pricing import estimate
from seedance_ui.security.edge import RequestSizeLimit, served_paths
from seedance_ui.security.owners import (
    is_signed_in_owner,
    log_id,
    oauth_username,
    owner_for,
    request_owner,
)
from seedance_ui.security.redact import protect_logs, scrub
from seedance_ui.store import JobRecord, JobStatus, new_job_id

QUICK = {"model": MODEL_FAST, "duration": 4, "quality": "480p"}
QUICK_COST = estimate(MODEL_FAST, "480p", 4).credits
BROWSER = "0123456789abcdef0123456789abcdef"


# --------------------------------------------------------------------------------------------------
# owners


class FakeRequest:
    """What Gradio hands a handler: `.request.scope["session"]` filled by SessionMiddleware."""

    def __init__(self, session: dict[str, Any] | None) -> None:
        scope: dict[str, Any] = {"type": "http"}
        if session is not None:
            scope["session"] = session
        self.request = type("Starlette", (), {"scope": scope})()


def oauth_session(username: Any, *, expires_in: float = 3600) -> dict[str, Any]:
    return {
        "oauth_info": {
            "userinfo": {"preferred_username": username, "name": "X", "profile": "", "picture": ""},
            "expires_at": time.time() + expires_in,
        }
    }


def test_owner_is_the_signed_in_user_else_the_browser_id() -> None:
    assert owner_for(BROWSER) == BROWSER
    assert owner_for(BROWSER, "alice") == "hf:alice"
    assert owner_for(None, "alice") == "hf:alice"
    assert owner_for(None) is None
    # A browser can only ever name a 32-hex id: never a signed-in owner, never another shape.
    for forged in ("hf:alice", "api", "HF:alice", BROWSER.upper(), BROWSER + "0", "../" + BROWSER[3:], 42):
        assert owner_for(forged) is None
    for bad_user in ("", "a/b", "../x", "x" * 97, None, 7, "alice bob", "<script>"):
        assert owner_for(BROWSER, bad_user) == BROWSER


def test_request_owner_reads_only_the_signed_session_and_only_when_sign_in_is_on() -> None:
    alice = FakeRequest(oauth_session("alice"))
    assert request_owner(BROWSER, alice, sign_in=True) == "hf:alice"
    assert request_owner(BROWSER, alice, sign_in=False) == BROWSER  # sign-in off: the session is ignored
    assert request_owner(BROWSER, FakeRequest(None), sign_in=True) == BROWSER  # no SessionMiddleware
    assert request_owner(BROWSER, FakeRequest({}), sign_in=True) == BROWSER  # not signed in
    assert request_owner(BROWSER, FakeRequest(oauth_session("alice", expires_in=-5)), sign_in=True) == BROWSER
    assert request_owner(BROWSER, None, sign_in=True) == BROWSER
    assert request_owner("hf:alice", None, sign_in=True) is None


def test_signed_in_owners_and_log_pseudonyms() -> None:
    assert is_signed_in_owner("hf:alice") and not is_signed_in_owner(BROWSER)
    assert not is_signed_in_owner("hf:") and not is_signed_in_owner("hf:a/b") and not is_signed_in_owner(None)
    assert BROWSER not in log_id(BROWSER) and log_id(BROWSER) == log_id(BROWSER)
    assert log_id("hf:alice") == "hf:alice" and log_id("api") == "api"


@given(st.dictionaries(st.text(max_size=12), st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
    max_leaves=12)))
@settings(max_examples=150, deadline=None)
def test_fuzz_session_parsing_never_raises(session: dict[str, Any]) -> None:
    user = oauth_username(session)
    assert user is None or owner_for(None, user) == f"hf:{user}"


# --------------------------------------------------------------------------------------------------
# configuration


def test_hosting_settings_default_off_and_parse() -> None:
    s = load_settings({})
    assert (s.daily_budget_credits, s.visitor_daily_budget_credits, s.visitor_submits_per_minute) == (0, 0, 0)
    assert not s.require_user_key and not s.sign_in and s.max_prompt_chars == 10000
    s = load_settings(
        {
            "SEEDANCE_DAILY_BUDGET_CREDITS": "500",
            "SEEDANCE_VISITOR_DAILY_BUDGET_CREDITS": "60.5",
            "SEEDANCE_VISITOR_SUBMITS_PER_MINUTE": "4",
            "SEEDANCE_REQUIRE_USER_KEY": "yes",
            "SEEDANCE_MAX_PROMPT_CHARS": "2000",
            "SEEDANCE_SIGN_IN": "1",
        }
    )
    limits = (s.daily_budget_credits, s.visitor_daily_budget_credits, s.visitor_submits_per_minute)
    assert limits == (500, 60.5, 4)
    assert s.require_user_key and s.sign_in and s.max_prompt_chars == 2000


def test_sign_in_turns_itself_on_for_a_space_with_oauth() -> None:
    space = {"SPACE_ID": "me/studio", "OAUTH_CLIENT_ID": "abc"}
    assert load_settings(space).sign_in
    assert not load_settings({"SPACE_ID": "me/studio"}).sign_in  # no hf_oauth: no sign-in
    assert not load_settings({**space, "SEEDANCE_SIGN_IN": "0"}).sign_in
    with pytest.raises(ConfigError, match="SEEDANCE_SIGN_IN"):
        load_settings({"SEEDANCE_SIGN_IN": "maybe"})
    with pytest.raises(ConfigError, match="SEEDANCE_DAILY_BUDGET_CREDITS"):
        load_settings({"SEEDANCE_DAILY_BUDGET_CREDITS": "-1"})


# --------------------------------------------------------------------------------------------------
# redaction


def test_logs_never_carry_a_registered_key_or_a_bearer_token() -> None:
    secret = "sk-UNITCANARY-7f3e9a1b2c"
    protect_logs(secret)
    lines: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: lines.append(logging.Formatter().format(record))  # type: ignore[method-assign]
    root = logging.getLogger()
    root.addHandler(handler)
    levels = {name: logging.getLogger(name).level for name in ("seedance_ui", "httpx")}
    try:
        for name in levels:
            logging.getLogger(name).setLevel(logging.DEBUG)
        logger = logging.getLogger("seedance_ui.test")
        logger.info("key is %s", secret)
        logger.warning("header Authorization: Bearer abc.def-123")
        logging.getLogger("httpx").debug(f"raw {secret}")
        try:
            raise RuntimeError(f"boom with {secret}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    text = "\n".join(lines)
    assert len(lines) == 4
    assert secret not in text and "abc.def-123" not in text
    assert "***" in text and "boom with ***" in text


def test_scrub_leaves_short_placeholders_alone() -> None:
    assert scrub("demo key demo", ["demo"]) == "demo key demo"
    assert scrub("Invalid key sk-abcdefgh123", ["sk-abcdefgh123"]) == "Invalid key ***"
    assert scrub(None, ["x" * 10]) is None


# --------------------------------------------------------------------------------------------------
# edge: served files and request size


def test_only_media_folders_are_served_and_databases_are_blocked(tmp_path: Path) -> None:
    allowed, blocked = served_paths(tmp_path)
    root = tmp_path.resolve()
    assert str(root) not in allowed
    assert {Path(p).name for p in allowed} == {"videos", "posters", "ui", "exports", "inputs"}
    for name in ("history.sqlite3", "history.sqlite3-wal", "jobs.sqlite3", "budget.sqlite3", "boards"):
        assert str(root / name) in blocked
    for name in ("studio.sqlite3", "studio.sqlite3-wal", "studio.sqlite3-shm", "studio.sqlite3-journal",
                 "history.sqlite3.v1-backup", "jobs.sqlite3.v1-backup", "budget.sqlite3.v1-backup"):
        assert str(root / name) in blocked


def test_request_bodies_over_the_limit_are_refused() -> None:
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"n": len(await request.body())})

    app = Starlette(
        routes=[Route("/x", echo, methods=["POST"]), Route("/gradio_api/upload", echo, methods=["POST"])],
        middleware=[Middleware(RequestSizeLimit, max_bytes=1000, upload_max_bytes=5000)],
    )
    with TestClient(app) as client:
        assert client.post("/x", content=b"a" * 1000).json() == {"n": 1000}
        assert client.post("/x", content=b"a" * 1001).status_code == 413
        assert client.post("/gradio_api/upload", content=b"a" * 4000).json() == {"n": 4000}
        assert client.post("/gradio_api/upload", content=b"a" * 5001).status_code == 413

        def chunks() -> Any:  # no Content-Length: counted while it streams
            for _ in range(30):
                yield b"b" * 100

        assert client.post("/x", content=chunks()).status_code in (400, 413)


# --------------------------------------------------------------------------------------------------
# fuzzing: request validation, snapshot parsing, error bodies

anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4),
    max_leaves=20,
)
fields_st = st.fixed_dictionaries(
    {},
    optional={
        "prompt": anything | st.text(max_size=300),
        "model": anything | st.sampled_from(["seedance-2.0-text-to-video", MODEL_FAST]),
        "duration": anything | st.integers(-5, 30),
        "quality": anything | st.sampled_from(["480p", "720p", "1080p"]),
        "aspect_ratio": anything | st.sampled_from(["16:9", "adaptive", "2.35:1"]),
        "generate_audio": anything,
        "web_search": anything,
        "callback_url": anything | st.sampled_from(["https://example.com/cb", "http://10.0.0.1/x"]),
    },
)


@given(fields_st)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fuzz_request_validation_raises_only_validation_errors(fields: dict[str, Any]) -> None:
    request = GenerationRequest(**{"prompt": "", **fields})
    problems = request.problems()
    assert all(isinstance(p, ValidationError) for p in problems)
    try:
        request.validate()
    except ValidationError:
        assert problems
    else:
        assert not problems
        json.dumps(request.to_body())  # a valid request always makes a JSON body


@given(anything)
@settings(max_examples=200, deadline=None)
def test_fuzz_task_snapshot_parsing_never_raises(data: Any) -> None:
    task = Task.from_json(data, "task-x")  # type: ignore[arg-type]
    assert 0 <= task.progress <= 100
    assert isinstance(task.video_urls, tuple)
    if isinstance(data, dict):
        Task.from_json({"id": "t", "status": "failed", "error": data})


@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode), st.sampled_from(
    ["", "application/json", "text/html", "text/plain; charset=utf-8"]))
@settings(max_examples=200, deadline=None)
def test_fuzz_error_body_parsing_never_raises(content: bytes, content_type: str) -> None:
    body = parse_error_body(content, content_type)
    assert isinstance(body.message, str) and len(body.message) <= 500
    error = error_for_status(400 + len(content) % 200, body, secrets=["sk-FUZZSECRET-123"])
    assert isinstance(error, SeedanceError) and "sk-FUZZSECRET-123" not in str(error)


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_fuzz_error_bodies_echoing_the_key_are_redacted(noise: str) -> None:
    key = "sk-FUZZSECRET-123456"
    raw = json.dumps({"error": {"message": f"{noise} bad key {key} {noise}", "code": key}})
    error = error_for_status(401, parse_error_body(raw, "application/json"), secrets=[key])
    assert key not in error.message and key not in (error.code or "")


# --------------------------------------------------------------------------------------------------
# budgets: the ledger and the guard


def record(status: JobStatus, **fields: Any) -> JobRecord:
    return JobRecord.new("o", {}, status=status, **fields)


def test_what_counts_as_billed() -> None:
    assert is_billed(record(JobStatus.COMPLETED, task_id="t"))
    assert is_billed(record(JobStatus.UNKNOWN_OUTCOME))  # may have been charged
    assert is_billed(record(JobStatus.EXPIRED, task_id="t"))
    assert not is_billed(record(JobStatus.CANCELLED, task_id="t"))
    assert not is_billed(record(JobStatus.FAILED))  # refused at create: no task
    assert not is_billed(record(JobStatus.FAILED, task_id="t", error_code="content_policy_violation"))
    assert is_billed(record(JobStatus.FAILED, task_id="t", error_code="download_failed", completed_at=1.0))
    assert is_billed(record(JobStatus.FAILED, task_id="t", error_code="task_not_found"))


def test_utc_days() -> None:
    ts = 1_767_225_599.0  # 2025-12-31 23:59:59 UTC
    assert utc_day(ts) == "2025-12-31" and utc_day(ts + 1) == "2026-01-01"
    assert next_utc_midnight(ts) == ts + 1


def test_ledger_survives_a_restart_and_releases_once(tmp_path: Path) -> None:
    ledger = BudgetLedger(tmp_path)
    ledger.add("a", "o1", "2026-01-01", 10.0, 0.0)
    ledger.add("b", "o2", "2026-01-01", 5.0, 0.0)
    ledger.reconcile("a", 12.5)
    ledger.close()
    ledger = BudgetLedger(tmp_path)
    assert ledger.spent("2026-01-01") == 17.5 and ledger.spent("2026-01-01", "o2") == 5.0
    assert ledger.release("b") and not ledger.release("b")
    assert ledger.spent("2026-01-01") == 12.5 and ledger.spent("2026-01-02") == 0
    ledger.close()


def guard_for(tmp_path: Path, clock: list[float] | None = None, **settings_kw: Any) -> SubmissionGuard:
    now = clock if clock is not None else [1_767_225_000.0]
    return SubmissionGuard(Settings(api_key=SERVER_KEY, data_dir=tmp_path, **settings_kw), tmp_path,
                           clock=lambda: now[0])


def test_guard_policies_come_before_budgets(tmp_path: Path) -> None:
    guard = guard_for(tmp_path, require_user_key=True, daily_budget_credits=1)
    with pytest.raises(KeyRequiredError):
        guard.admit(new_job_id(), BROWSER, KEY_SERVER, 50)
    with pytest.raises(KeyRequiredError):
        guard.admit(new_job_id(), BROWSER, KEY_DEMO, 50)
    guard.admit(new_job_id(), BROWSER, KEY_VISITOR, 50)  # their own key: never budgeted
    guard.close()
    guard = guard_for(tmp_path / "b", sign_in=True)
    with pytest.raises(SignInRequiredError):
        guard.admit(new_job_id(), BROWSER, KEY_SERVER, 5)
    guard.admit(new_job_id(), "hf:alice", KEY_SERVER, 5)
    guard.admit(new_job_id(), BROWSER, KEY_VISITOR, 5)
    guard.admit(new_job_id(), BROWSER, KEY_DEMO, 5)  # the demo simulator costs nothing
    guard.close()


def test_budgets_reset_at_utc_midnight_and_rate_limit_slides(tmp_path: Path) -> None:
    clock = [1_767_225_000.0]  # 23:50 UTC
    guard = guard_for(tmp_path, clock, visitor_daily_budget_credits=20, visitor_submits_per_minute=2)
    guard.admit(new_job_id(), BROWSER, KEY_SERVER, 15)
    clock[0] += 1
    with pytest.raises(BudgetExceededError, match="Your daily budget"):
        guard.admit(new_job_id(), BROWSER, KEY_SERVER, 15)
    guard.admit(new_job_id(), "f" * 32, KEY_SERVER, 15)  # another visitor has their own budget
    guard.admit(new_job_id(), BROWSER, KEY_VISITOR, 15)  # second submission this minute, own key
    with pytest.raises(SubmitRateLimitedError) as caught:
        guard.admit(new_job_id(), BROWSER, KEY_VISITOR, 15)
    assert 0 < caught.value.retry_after <= 60
    clock[0] += 600  # past midnight UTC, and past the rate window
    guard.admit(new_job_id(), BROWSER, KEY_SERVER, 15)
    assert guard.usage(BROWSER)["visitor"] == 15
    guard.close()


def test_prompt_size_is_limited_at_the_edge(tmp_path: Path) -> None:
    guard = guard_for(tmp_path, max_prompt_chars=100)
    guard.check_request(GenerationRequest(prompt="x" * 100))
    with pytest.raises(ValidationError, match="at most 100 characters"):
        guard.check_request(GenerationRequest(prompt="x" * 101))
    guard.close()


# --------------------------------------------------------------------------------------------------
# budgets through a real job manager and the simulator


@pytest.fixture()
def budget_manager(tmp_path: Path, simulator: Any, request: pytest.FixtureRequest) -> Any:
    kw = getattr(request, "param", {})
    settings = Settings(api_key=SERVER_KEY, base_url=simulator.base_url, data_dir=tmp_path / "data",
                        poll_interval=0.05, request_timeout=10.0, max_jobs_in_flight=8, max_jobs_per_owner=8,
                        **kw)
    from seedance_ui.store import HistoryStore

    store = HistoryStore(settings.data_dir)
    manager = JobManager(store, settings)
    manager.start()
    yield manager
    manager.stop()
    store.close()


def burst(manager: JobManager, owners: list[str], prompt: str) -> tuple[list[JobRecord], list[Exception]]:
    """Submit one job per owner from as many threads, released together."""
    gate = threading.Barrier(len(owners))
    accepted: list[JobRecord] = []
    refused: list[Exception] = []
    lock = threading.Lock()

    def one(i: int, owner: str) -> None:
        gate.wait()
        try:
            rec = manager.submit(GenerationRequest(prompt=f"{prompt} #{i}", **QUICK), owner)
        except Exception as exc:
            with lock:
                refused.append(exc)
        else:
            with lock:
                accepted.append(rec)

    threads = [threading.Thread(target=one, args=(i, o)) for i, o in enumerate(owners)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return accepted, refused


@pytest.mark.parametrize("budget_manager", [{"daily_budget_credits": QUICK_COST * 3.5}], indirect=True)
def test_global_budget_holds_under_20_concurrent_submissions(
    budget_manager: JobManager, simulator: Any
) -> None:
    before = simulator.create_count
    owners = [f"{i:032x}" for i in range(20)]
    accepted, refused = burst(budget_manager, owners, "Budget burst: a kite over dunes")
    assert len(accepted) == 3 and len(refused) == 17
    assert all(isinstance(e, BudgetExceededError) for e in refused)
    assert "Today's budget for this Space's key does not cover this video" in refused[0].message
    assert "00:00 UTC" in refused[0].message and "own Evolink key" in refused[0].hint
    guard = budget_manager.guard
    day = utc_day(time.time())
    assert guard.ledger.spent(day) <= QUICK_COST * 3.5
    for rec in accepted:  # reconciled with the provider's credits_reserved once created
        done = budget_manager.wait(rec.id, timeout=30)
        assert done.status == JobStatus.COMPLETED
        assert guard.ledger.row(rec.id)[2] == pytest.approx(QUICK_COST)
    assert simulator.create_count - before == 3
    assert guard.ledger.spent(day) <= QUICK_COST * 3.5
    # Deleting history does not give the budget back: the credits were spent.
    assert budget_manager.delete(accepted[0].id, accepted[0].owner)
    with pytest.raises(BudgetExceededError):
        budget_manager.submit(GenerationRequest(prompt="After delete: still spent", **QUICK), owners[0])


@pytest.mark.parametrize(
    "budget_manager", [{"visitor_daily_budget_credits": QUICK_COST * 3.5}], indirect=True
)
def test_visitor_budget_holds_under_20_concurrent_submissions_and_failures_give_it_back(
    budget_manager: JobManager, simulator: Any
) -> None:
    owner, other = "a" * 32, "b" * 32
    accepted, refused = burst(budget_manager, [owner] * 20, "Visitor burst: a paper boat")
    assert len(accepted) == 3 and len(refused) == 17
    assert all(isinstance(e, BudgetExceededError) and "Your daily budget" in e.message for e in refused)
    assert budget_manager.guard.ledger.spent(utc_day(time.time()), owner) <= QUICK_COST * 3.5
    # Another visitor is unaffected.
    budget_manager.submit(GenerationRequest(prompt="Other visitor: rain on glass", **QUICK), other)
    # A task the provider fails is not billed: its reservation comes back.
    failing = budget_manager.submit(
        GenerationRequest(prompt="Fails [sim:fail=content_policy_violation]", **QUICK), other
    )
    assert budget_manager.wait(failing.id, timeout=30).status == JobStatus.FAILED
    wait_until(lambda: budget_manager.guard.ledger.row(failing.id)[3])
    # A budget on the server key never counts a visitor's own key.
    budget_manager.submit(GenerationRequest(prompt="Own key: free of the budget", **QUICK), owner,
                          api_key="sk-visitor-own-key-9999")
    for rec in accepted:
        budget_manager.wait(rec.id, timeout=30)


@pytest.mark.parametrize("budget_manager", [{"visitor_submits_per_minute": 3}], indirect=True)
def test_rate_limit_holds_under_concurrent_submissions(budget_manager: JobManager) -> None:
    accepted, refused = burst(budget_manager, ["c" * 32] * 10, "Rate burst: fireflies")
    assert len(accepted) == 3 and all(isinstance(e, SubmitRateLimitedError) for e in refused)
    assert "per minute" in refused[0].message and "Wait" in refused[0].hint
    for rec in accepted:
        budget_manager.wait(rec.id, timeout=30)


@pytest.mark.parametrize("budget_manager", [{"require_user_key": True}], indirect=True)
def test_require_user_key_refuses_the_server_key_before_anything_is_written(
    budget_manager: JobManager, simulator: Any
) -> None:
    before = simulator.create_count
    with pytest.raises(KeyRequiredError, match="your own Evolink API key"):
        budget_manager.submit(GenerationRequest(prompt="No key: a tram at night", **QUICK), BROWSER)
    assert budget_manager.list(BROWSER) == [] and simulator.create_count == before


# --------------------------------------------------------------------------------------------------
# the visitor cookie


def test_visitor_cookies_are_signed_and_a_tampered_one_is_a_stranger():
    from seedance_ui.security.identity import VisitorSigner, set_cookie_header

    signer = VisitorSigner(b"k" * 32)
    value = signer.sign("a" * 32)
    assert signer.verify(value) == "a" * 32
    assert signer.verify("b" * 32 + value[32:]) is None  # another id with this signature
    assert signer.verify(value[:-1] + ("0" if value[-1] != "0" else "1")) is None
    assert VisitorSigner(b"x" * 32).verify(value) is None  # another server's secret
    assert signer.verify(None) is None and signer.verify("a" * 32) is None
    _name, lax = set_cookie_header(value, third_party=False, https=False)
    assert b"HttpOnly" in lax and b"SameSite=Lax" in lax and b"Secure" not in lax
    _name, embedded = set_cookie_header(value, third_party=True, https=True)
    assert b"SameSite=None" in embedded and b"Secure" in embedded and b"Partitioned" in embedded


def test_an_old_browser_id_is_adopted_once_and_only_by_a_visitor_without_history(tmp_path: Path):
    from seedance_ui.security.identity import Identities, VisitorSigner
    from seedance_ui.store import HistoryStore, JobRecord

    store = HistoryStore(tmp_path)
    try:
        ids = Identities(VisitorSigner(b"k" * 32), store.visitor_owner, store.adopt_owner)
        legacy, first, second, busy = (secrets.token_hex(16) for _ in range(4))
        store.add(JobRecord.new(busy, {"prompt": "own history"}))
        assert ids.adopt_legacy(busy, legacy) is None  # would hide the visitor's own history
        assert ids.adopt_legacy(first, legacy) == legacy and ids.owner_for(first) == legacy
        assert ids.adopt_legacy(second, legacy) is None and ids.owner_for(second) == second
        assert ids.adopt_legacy(first, secrets.token_hex(16)) is None  # once per visitor
        assert ids.adopt_legacy(second, "not-an-id") is None
        assert store.app_secret("s") == store.app_secret("s") and len(store.app_secret("s")) == 32
    finally:
        store.close()


def test_client_addresses_are_pseudonyms_and_forwarded_only_behind_a_trusted_proxy():
    from types import SimpleNamespace

    from seedance_ui.security.owners import client_address

    # The client sent a hop of its choosing; the trusted proxy (the peer, 10.0.0.1) appended the real one.
    request = SimpleNamespace(headers={"x-forwarded-for": "198.51.100.66, 203.0.113.9"},
                              client=SimpleNamespace(host="10.0.0.1"))
    trusted, direct = client_address(request, trust_proxy=True), client_address(request, trust_proxy=False)
    assert trusted != direct and trusted.startswith("addr:") and "203.0.113.9" not in trusted
    assert client_address(SimpleNamespace(headers={}, client=SimpleNamespace(host="203.0.113.9")),
                          trust_proxy=True) == trusted
    assert client_address(SimpleNamespace(headers={}, client=SimpleNamespace(host="198.51.100.66")),
                          trust_proxy=2) == client_address(request, trust_proxy=2)  # two proxies: 2nd hop
    assert client_address(None, trust_proxy=True) is None
