"""SeedanceClient over httpx.MockTransport: retry rules, create safety, cancel, polling, redaction."""

import json
import logging

import httpx
import pytest
from virtual_clock import CAPPED_RETRY, VirtualClock

from seedance_ui.client import (
    AuthenticationError,
    ConnectionFailedError,
    GenerationRequest,
    InsufficientCreditsError,
    InvalidRequestError,
    NotFoundError,
    PollSchedule,
    RateLimitedError,
    RetryPolicy,
    SeedanceClient,
    ServerError,
    SubmissionOutcomeUnknownError,
    TaskFailedError,
    TaskStatus,
)
from seedance_ui.client import api as client_api
from seedance_ui.client import retry as client_retry

FAKE_KEY = "sk-FAKE-test-key-4f9a8b7c6d5e"
FAST = RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=0.005, max_total=5.0)
REQUEST = GenerationRequest(prompt="A paper boat drifts down a rainy street.", duration=8)
TASK = {"id": "task-1", "status": "pending", "progress": 0, "task_info": {"estimated_time": 1}}


class Script:
    """A MockTransport handler answering from a list of responses/exceptions, then `then`."""

    def __init__(self, *steps, then=None):
        self.steps = list(steps)
        self.then = then
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if self.steps else self.then
        if isinstance(step, Exception):
            raise step
        if callable(step):
            return step(request)
        return step

    def count(self, method: str) -> int:
        return sum(r.method == method for r in self.requests)


def ok(data=None, **kw):
    return httpx.Response(200, json=TASK if data is None else data, **kw)


def err(status, message="nope", code="some_code", headers=None, **extra):
    body = {"error": {"code": code, "message": message, "type": "x", **extra}}
    return httpx.Response(status, json=body, headers=headers)


def client_for(script, **kw):
    kw.setdefault("retry", FAST)
    kw.setdefault("poll_interval", 0.01)
    return SeedanceClient(FAKE_KEY, "https://api.test", transport=httpx.MockTransport(script), **kw)


async def test_create_sends_the_contract_request():
    script = Script(ok())
    async with client_for(script) as client:
        task = await client.create(REQUEST)
    assert task.id == "task-1" and task.status is TaskStatus.PENDING
    (sent,) = script.requests
    assert sent.method == "POST" and sent.url.path == "/v1/videos/generations"
    assert sent.headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert sent.headers["content-type"] == "application/json"
    assert json.loads(sent.content) == REQUEST.to_body()


async def test_idempotency_key_is_sent_when_given():
    script = Script(ok())
    async with client_for(script) as client:
        await client.create(REQUEST, idempotency_key="job-123")
    assert script.requests[0].headers["idempotency-key"] == "job-123"


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("[Errno 111] Connection refused"), httpx.ConnectTimeout("connect timed out")],
)
async def test_create_retries_what_never_reached_the_server(failure):
    script = Script(failure, failure, ok())
    async with client_for(script) as client:
        assert (await client.create(REQUEST)).id == "task-1"
    assert script.count("POST") == 3


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.WriteTimeout("write timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
    ],
)
async def test_create_never_resubmits_after_sending(failure):
    script = Script(failure, then=ok())
    async with client_for(script) as client:
        with pytest.raises(SubmissionOutcomeUnknownError) as caught:
            await client.create(REQUEST)
    assert script.count("POST") == 1
    assert "charged twice" in caught.value.hint


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_create_5xx_is_an_unknown_outcome_and_never_resubmitted(status):
    script = Script(err(status, "upstream exploded"), then=ok())
    async with client_for(script) as client:
        with pytest.raises(SubmissionOutcomeUnknownError) as caught:
            await client.create(REQUEST)
    assert script.count("POST") == 1
    assert caught.value.status_code == status and "upstream exploded" in caught.value.message


async def test_create_429_is_retried_after_retry_after(monkeypatch):
    clock = VirtualClock().install(monkeypatch, client_api, client_retry)
    script = Script(err(429, "slow down", headers={"Retry-After": "0.2"}), ok())
    async with client_for(script) as client:
        await client.create(REQUEST)
    assert clock.sleeps == [0.2]  # waited what Retry-After asked (the backoff alone is 1 ms)
    assert script.count("POST") == 2


async def test_create_429_gives_up_with_rate_limited_error():
    script = Script(then=err(429, "concurrency limit", headers={"Retry-After": "0"}))
    async with client_for(script) as client:
        with pytest.raises(RateLimitedError) as caught:
            await client.create(REQUEST)
    assert caught.value.retry_after == 0 and script.count("POST") == FAST.max_attempts
    assert caught.value.hint == RateLimitedError.default_hint


@pytest.mark.parametrize(
    "response",
    [httpx.Response(200, text="<html>oops</html>"), httpx.Response(200, json=["x"]),
     httpx.Response(200, json={"status": "pending"})],
)
async def test_create_with_an_unreadable_answer_is_an_unknown_outcome(response):
    script = Script(response, then=ok())
    async with client_for(script) as client:
        with pytest.raises(SubmissionOutcomeUnknownError):
            await client.create(REQUEST)
    assert script.count("POST") == 1


@pytest.mark.parametrize(
    ("status", "cls"),
    [(400, InvalidRequestError), (401, AuthenticationError), (402, InsufficientCreditsError),
     (404, NotFoundError), (422, InvalidRequestError)],
)
async def test_create_4xx_is_not_retried(status, cls):
    script = Script(err(status, "told you so", param="duration"), then=ok())
    async with client_for(script) as client:
        with pytest.raises(cls) as caught:
            await client.create(REQUEST)
    assert script.count("POST") == 1 and caught.value.message == "told you so"


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped"),
        err(429, headers={"Retry-After": "0"}),
        err(502),
        err(503),
        err(504),
        httpx.Response(200, text="{truncated"),
    ],
)
async def test_get_retries_transient_failures(failure):
    script = Script(failure, failure, ok({**TASK, "status": "processing", "progress": 30}))
    async with client_for(script) as client:
        task = await client.get("task-1")
    assert task.progress == 30 and script.count("GET") == 3


async def test_get_gives_up_after_the_attempt_budget():
    script = Script(then=err(503, "maintenance"))
    async with client_for(script) as client:
        with pytest.raises(ServerError) as caught:
            await client.get("task-1")
    assert script.count("GET") == FAST.max_attempts and caught.value.message == "maintenance"
    script = Script(then=httpx.ConnectError("refused"))
    async with client_for(script) as client:
        with pytest.raises(ConnectionFailedError):
            await client.get("task-1")


async def test_total_time_cap_stops_retries(monkeypatch):
    clock = VirtualClock().install(monkeypatch, client_api, client_retry)
    script = Script(then=err(502))
    async with client_for(script, retry=CAPPED_RETRY) as client:
        with pytest.raises(ServerError):
            await client.get("task-1")
    assert clock.sleeps == [0.03] * 6 and sum(clock.sleeps) <= CAPPED_RETRY.max_total
    assert script.count("GET") == 7


@pytest.mark.parametrize("status", [400, 401, 402, 404, 500])
async def test_get_does_not_retry_other_statuses(status):
    script = Script(then=err(status))
    async with client_for(script) as client:
        with pytest.raises(Exception):  # noqa: B017
            await client.get("task-1")
    assert script.count("GET") == 1


async def test_task_ids_are_quoted_into_the_path():
    script = Script(ok())
    async with client_for(script) as client:
        await client.get("a/b?c")
    assert script.requests[0].url.raw_path == b"/v1/tasks/a%2Fb%3Fc"


@pytest.mark.parametrize("status", [404, 405, 409])
async def test_cancel_that_cannot_happen_returns_false(status):
    script = Script(then=err(status, "already done"))
    async with client_for(script) as client:
        assert await client.cancel("task-1") is False
    assert script.count("POST") == 1 and script.requests[0].url.path == "/v1/tasks/task-1/cancel"


async def test_cancel_accepted_returns_true_unless_the_task_already_finished():
    script = Script(ok({**TASK, "status": "cancelled"}), httpx.Response(204),
                    ok({**TASK, "status": "completed", "results": ["https://x/y.mp4"]}))
    async with client_for(script) as client:
        assert await client.cancel("task-1") is True
        assert await client.cancel("task-1") is True
        assert await client.cancel("task-1") is False


async def test_cancel_still_raises_for_a_bad_key():
    async with client_for(Script(then=err(401))) as client:
        with pytest.raises(AuthenticationError):
            await client.cancel("task-1")


async def test_credits_returns_the_raw_json():
    script = Script(httpx.Response(200, json={"credits": 1234.5, "currency": "credits"}))
    async with client_for(script) as client:
        assert await client.credits() == {"credits": 1234.5, "currency": "credits"}
    assert script.requests[0].url.path == "/v1/credits"


def _sequence(*states):
    return [ok({"id": "task-1", **s}) for s in states]


async def test_iter_snapshots_until_terminal_inclusive():
    steps = _sequence({"status": "pending"}, {"status": "processing", "progress": 50},
                      {"status": "weird_new_state"}, {"status": "completed", "results": ["https://v/1.mp4"]})
    script = Script(*steps, then=err(500))
    async with client_for(script) as client:
        seen = [t async for t in client.iter_snapshots("task-1")]
    assert [t.status for t in seen] == [TaskStatus.PENDING, TaskStatus.PROCESSING, TaskStatus.UNKNOWN,
                                        TaskStatus.COMPLETED]
    assert seen[-1].video_url == "https://v/1.mp4" and script.count("GET") == 4


async def test_iter_snapshots_with_a_first_snapshot_and_a_terminal_first():
    from seedance_ui.client import Task

    script = Script(*_sequence({"status": "completed"}))
    async with client_for(script) as client:
        first = Task.from_json({"id": "task-1", "status": "pending"})
        seen = [t async for t in client.iter_snapshots("task-1", first=first, schedule=PollSchedule(0.01))]
        assert seen[0] is first and seen[-1].status is TaskStatus.COMPLETED
        done = Task.from_json({"id": "task-1", "status": "failed"})
        assert [t async for t in client.iter_snapshots("task-1", first=done)] == [done]
    assert script.count("GET") == 1


async def test_iter_snapshots_rides_out_failed_polls():
    steps = [*_sequence({"status": "processing"}), err(503), err(503), err(503), err(503),
             *_sequence({"status": "completed"})]
    script = Script(*steps)
    async with client_for(script, retry=RetryPolicy(max_attempts=2, base_delay=0.001)) as client:
        seen = [t async for t in client.iter_snapshots("task-1")]
    assert seen[-1].status is TaskStatus.COMPLETED and script.count("GET") == 6


async def test_iter_snapshots_gives_up_after_the_failure_limit_and_on_not_found():
    async with client_for(Script(then=err(503)), retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(ServerError):
            [t async for t in client.iter_snapshots("task-1")]
    async with client_for(Script(then=err(404))) as client:
        with pytest.raises(NotFoundError):
            [t async for t in client.iter_snapshots("task-1")]


async def test_wait_returns_the_last_snapshot_or_raises_task_failed():
    async with client_for(Script(*_sequence({"status": "processing"}, {"status": "completed"}))) as client:
        assert (await client.wait("task-1")).status is TaskStatus.COMPLETED
    failed = {"status": "failed", "error": {"code": "content_policy_violation", "message": "Flagged."}}
    async with client_for(Script(*_sequence(failed))) as client:
        with pytest.raises(TaskFailedError) as caught:
            await client.wait("task-1")
    assert caught.value.task.error_code == "content_policy_violation" and not caught.value.retryable
    cancelled = {"status": "failed", "error": {"code": "request_cancelled", "message": "Cancelled"}}
    async with client_for(Script(*_sequence(cancelled))) as client:
        assert (await client.wait("task-1")).was_cancelled


async def test_the_key_never_shows_in_errors_reprs_or_logs(caplog):
    caplog.set_level(logging.DEBUG)
    echo = f"Invalid API key {FAKE_KEY}; you sent 'Authorization: Bearer {FAKE_KEY}'"
    failures = [
        err(401, echo, code=FAKE_KEY),
        httpx.Response(403, text=f"<html><title>Denied for {FAKE_KEY}</title></html>",
                       headers={"content-type": "text/html"}),
        httpx.Response(400, json={"message": echo, "param": FAKE_KEY}),
        err(500, echo),
        httpx.ConnectError(f"could not connect with Bearer {FAKE_KEY}"),
    ]
    errors = []
    for failure in failures:
        for call in ("get", "create"):
            async with client_for(Script(then=failure), retry=RetryPolicy(max_attempts=1)) as client:
                assert FAKE_KEY not in repr(client) and FAKE_KEY not in str(client)
                try:
                    if call == "get":
                        await client.get("task-1")
                    else:
                        await client.create(REQUEST)
                except Exception as exc:
                    errors.append(exc)
    assert len(errors) == 2 * len(failures)
    for exc in errors:
        texts = [str(exc), repr(exc), exc.message, exc.hint, str(exc.code), str(getattr(exc, "field", ""))]
        assert all(FAKE_KEY not in t for t in texts), texts
    assert FAKE_KEY not in caplog.text
    assert any("Invalid API key ***" in str(e) for e in errors)


async def test_empty_key_is_refused_up_front():
    with pytest.raises(AuthenticationError):
        SeedanceClient("   ")
