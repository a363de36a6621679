"""SeedanceClient against the simulator over loopback: the happy path, every error class, retries,
create safety, cancel and download atomicity. The simulator runs at speed 100 (1.65 s per 165 s task)."""

import asyncio
import socket

import pytest
from conftest import RecordingProxy
from virtual_clock import CAPPED_RETRY, VirtualClock

from seedance_ui.client import (
    AuthenticationError,
    ConnectionFailedError,
    DownloadError,
    GenerationRequest,
    InsufficientCreditsError,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    RetryPolicy,
    SeedanceClient,
    ServerError,
    SubmissionOutcomeUnknownError,
    TaskFailedError,
    TaskStatus,
    VideoExpiredError,
    looks_like_mp4,
)
from seedance_ui.client import api as client_api
from seedance_ui.client import retry as client_retry
from seedance_ui.simulator import Simulator

SPEED = 100.0
FAKE_KEY = "sk-FAKE-simulator-key-0123456789"
FAST = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, max_total=5.0)
SHORT = GenerationRequest(prompt="A paper boat drifts down a rainy street.", duration=4, quality="480p")
TASKS = "/v1/tasks/"
CREATE = "/v1/videos/generations"



@pytest.fixture(scope="module")
def simulator():
    with Simulator(speed=SPEED, api_key=FAKE_KEY, seed=1) as sim:
        yield sim


@pytest.fixture
def sim(simulator):
    simulator.reset()
    simulator.set_behaviour(estimated_time=20)  # 0.2 s per task: these tests are not about timing
    return simulator


def make_client(sim, key=FAKE_KEY, **kw):
    kw.setdefault("retry", FAST)
    kw.setdefault("poll_interval", 5.0 / SPEED)
    kw.setdefault("request_timeout", 5.0)
    return SeedanceClient(key, sim.base_url, **kw)


@pytest.fixture
async def client(sim):
    async with make_client(sim) as c:
        yield c


def files(directory):
    return sorted(p.name for p in directory.iterdir())


async def test_success_end_to_end_with_download(sim, client, tmp_path):
    created = await client.create(SHORT)
    assert created.status is TaskStatus.PENDING and created.estimated_time and created.credits_reserved
    seen = [t async for t in client.iter_snapshots(created.id, first=created)]
    final = seen[-1]
    assert final.status is TaskStatus.COMPLETED and final.video_url
    assert [t.progress for t in seen] == sorted(t.progress for t in seen)
    target = await client.download(final.video_url, tmp_path / "out" / "video.mp4")
    assert looks_like_mp4(target.read_bytes()[:8]) and target.stat().st_size > 1000
    assert files(target.parent) == ["video.mp4"]
    assert sim.create_count == 1
    assert (await client.credits())["credits"] > 0


@pytest.mark.parametrize("field", ["output", "result_data"])
async def test_video_url_in_fallback_fields(sim, client, field):
    sim.set_behaviour(result_field=field)
    final = await client.wait((await client.create(SHORT)).id)
    assert final.video_url and final.video_url.endswith(".mp4")


async def test_wrong_key_is_an_authentication_error(sim):
    async with make_client(sim, key="sk-FAKE-wrong-key-999") as c:
        with pytest.raises(AuthenticationError) as caught:
            await c.credits()
        with pytest.raises(AuthenticationError):
            await c.create(SHORT)
    assert "sk-FAKE-wrong-key-999" not in str(caught.value) and caught.value.status_code == 401
    assert sim.count("GET", "/v1/credits") == 1 and sim.count("POST", CREATE) == 1


@pytest.mark.parametrize("style", ["nested", "flat", "html", "empty"])
async def test_insufficient_credits_in_every_body_style(sim, client, style):
    sim.set_behaviour(error_style=style)
    sim.inject("create", status=402)
    with pytest.raises(InsufficientCreditsError) as caught:
        await client.create(SHORT)
    assert caught.value.status_code == 402 and caught.value.message
    assert caught.value.hint == "Top up your Evolink credits, then try again."
    if style == "html":
        assert caught.value.message == "402 Payment Required"
    if style in ("nested", "flat"):
        assert "top up" in caught.value.message.lower()
    assert sim.count("POST", CREATE) == 1


async def test_the_simulators_400_names_the_field(sim, client, monkeypatch):
    monkeypatch.setattr(GenerationRequest, "validate", lambda self: None)
    with pytest.raises(InvalidRequestError) as caught:
        await client.create(GenerationRequest(prompt="x", duration=20))
    assert caught.value.field == "duration" and caught.value.status_code == 400
    assert "duration" in caught.value.hint
    assert sim.count("POST", CREATE) == 1 and sim.create_count == 0


async def test_unknown_task_is_not_found(sim, client):
    with pytest.raises(NotFoundError):
        await client.get("task-unified-does-not-exist")
    assert sim.count("GET", TASKS) == 1


async def test_429_with_retry_after_then_success(sim, client, monkeypatch):
    task = await client.create(SHORT)
    sim.inject("get", status=429, headers={"Retry-After": "0.3"})
    clock = VirtualClock().install(monkeypatch, client_api, client_retry)
    assert (await client.get(task.id)).id == task.id
    assert clock.sleeps == [0.3]  # waited what Retry-After asked (the backoff alone is 10 ms)
    assert sim.count("GET", TASKS) == 2


async def test_429_on_create_is_retried_without_a_duplicate(sim, client):
    sim.inject("create", status=429, headers={"Retry-After": "0.1"})
    task = await client.create(SHORT)
    assert task.id and sim.count("POST", CREATE) == 2 and sim.create_count == 1


async def test_429_that_never_clears_is_rate_limited(sim, client):
    sim.inject("get", status=429, times=10, headers={"Retry-After": "0"})
    with pytest.raises(RateLimitedError) as caught:
        await client.get("whatever")
    assert caught.value.retry_after == 0 and sim.count("GET", TASKS) == FAST.max_attempts


async def test_5xx_polls_are_retried_and_counted(sim, client):
    task = await client.create(SHORT)
    sim.inject("get", status=502)
    sim.inject("get", status=503)
    sim.inject("get", status=504)
    assert (await client.get(task.id)).id == task.id
    assert sim.count("GET", TASKS) == 4


async def test_5xx_that_persists_is_a_server_error(sim, client):
    sim.set_behaviour(error_style="html")
    sim.inject("get", status=503, times=FAST.max_attempts)
    with pytest.raises(ServerError) as caught:
        await client.get("x")
    assert caught.value.message == "503 Service Unavailable" and sim.count("GET", TASKS) == FAST.max_attempts
    sim.inject("get", status=500)
    with pytest.raises(ServerError):
        await client.get("x")
    assert sim.count("GET", TASKS) == FAST.max_attempts + 1  # 500 is not retried


async def test_malformed_polls_are_retried_then_reported(sim, client):
    task = await client.create(SHORT)
    sim.set_behaviour(malformed_json_polls=True)
    with pytest.raises(ServerError):
        await client.get(task.id)
    assert sim.count("GET", TASKS) == FAST.max_attempts


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_exactly_one_create_after_a_5xx(sim, client, status):
    sim.inject("create", status=status, create_task=True)
    with pytest.raises(SubmissionOutcomeUnknownError) as caught:
        await client.create(SHORT)
    await asyncio.sleep(0.1)
    assert sim.count("POST", CREATE) == 1 and sim.create_count == 1
    assert caught.value.status_code == status and "charged twice" in caught.value.hint


async def test_exactly_one_create_after_a_timeout_after_send(sim):
    sim.inject("create", status=200, delay=2.0, create_task=True)
    async with make_client(sim, request_timeout=0.3) as c:
        with pytest.raises(SubmissionOutcomeUnknownError) as caught:
            await c.create(SHORT)
        # It gave up before the answer: the simulator logs a request once answered, and had not yet.
        assert sim.count("POST", CREATE) == 0 and sim.create_count == 1
    for _ in range(500):  # the late answer goes out (a guard, not a limit: 2 s are due)
        if sim.count("POST", CREATE):
            break
        await asyncio.sleep(0.01)
    assert sim.count("POST", CREATE) == 1 and sim.create_count == 1
    assert "0.3 s" in caught.value.message


async def test_connection_refused_is_retried_then_reported():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    async with SeedanceClient(FAKE_KEY, f"http://127.0.0.1:{port}", retry=FAST) as c:
        with pytest.raises(ConnectionFailedError) as caught:
            await c.create(SHORT)
    assert f"127.0.0.1:{port}" in caught.value.message


async def test_cancel_before_completion_then_after(sim, client):
    task = await client.create(GenerationRequest(prompt="A long slow sunrise [sim:slow]", duration=15))
    assert await client.cancel(task.id) is True
    final = await client.wait(task.id)
    assert final.was_cancelled and final.is_terminal
    done = await client.wait((await client.create(SHORT)).id)
    assert done.status is TaskStatus.COMPLETED
    assert await client.cancel(done.id) is False
    assert await client.cancel("task-unified-unknown") is False
    assert sim.count("POST", "/v1/tasks/") == 3


async def test_a_failed_task_raises_task_failed(sim, client):
    task = await client.create(GenerationRequest(prompt="A crowd [sim:fail=content_policy_violation]"))
    with pytest.raises(TaskFailedError) as caught:
        await client.wait(task.id, first=task)
    assert caught.value.code == "content_policy_violation" and not caught.value.retryable
    assert "content safety" in caught.value.message


async def _finished(client):
    return await client.wait((await client.create(SHORT)).id)


async def test_expired_video_leaves_no_file(sim, client, tmp_path):
    final = await _finished(client)
    sim.set_behaviour(video_expired=True)
    with pytest.raises(VideoExpiredError):
        await client.download(final.video_url, tmp_path / "v.mp4")
    assert files(tmp_path) == [] and sim.count("GET", "/_sim/videos/") == 1


@pytest.mark.parametrize("mode", [True, "content_length"])
async def test_oversized_video_leaves_no_file(sim, tmp_path, mode):
    async with make_client(sim, max_download_bytes=2 * 2**20) as c:
        final = await _finished(c)
        sim.set_behaviour(oversized_video=mode)
        with pytest.raises(DownloadError) as caught:
            await c.download(final.video_url, tmp_path / "v.mp4")
    assert "limit" in caught.value.message and files(tmp_path) == []


async def test_non_mp4_bytes_leave_no_file(sim, client, tmp_path):
    final = await _finished(client)
    sim.inject("video", status=200, body="<html><body>Not a video</body></html>", content_type="text/html")
    with pytest.raises(DownloadError) as caught:
        await client.download(final.video_url, tmp_path / "v.mp4")
    assert "not an MP4" in caught.value.message and files(tmp_path) == []


async def test_video_download_retries_then_a_persistent_failure_leaves_nothing(sim, client, tmp_path):
    final = await _finished(client)
    sim.inject("video", status=503, headers={"Retry-After": "0"})
    await client.download(final.video_url, tmp_path / "ok.mp4")
    assert sim.count("GET", "/_sim/videos/") == 2
    sim.inject("video", status=502, times=FAST.max_attempts)
    with pytest.raises(DownloadError):
        await client.download(final.video_url, tmp_path / "v.mp4")
    assert files(tmp_path) == ["ok.mp4"]


# -- over loopback too: what tests/test_client_transport.py checks over httpx.MockTransport ------------
async def test_the_idempotency_key_reaches_the_provider_on_the_wire(sim):
    proxy = RecordingProxy(sim.base_url).start()
    try:
        async with SeedanceClient(FAKE_KEY, proxy.url, retry=FAST) as c:
            await c.create(SHORT, idempotency_key="job-123")
            await c.create(SHORT)
    finally:
        proxy.stop()
    keyed, plain = proxy.creates()
    assert keyed.headers["idempotency-key"] == "job-123"
    assert plain.headers["idempotency-key"] not in ("", "job-123")  # every create carries a key
    assert sim.create_count == 2


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("<html>oops</html>", "text/html"), ('["x"]', "application/json"),
     ('{"status": "pending"}', "application/json")],
    ids=["html", "json-list", "no-task-id"],
)
async def test_an_unreadable_create_answer_is_an_unknown_outcome(sim, client, body, content_type):
    sim.inject("create", status=200, body=body, content_type=content_type, create_task=True)
    with pytest.raises(SubmissionOutcomeUnknownError) as caught:
        await client.create(SHORT)
    assert "charged twice" in caught.value.hint
    assert sim.count("POST", CREATE) == 1 and sim.create_count == 1  # created once, never resubmitted


async def test_the_total_time_cap_stops_retries(sim, monkeypatch):
    clock = VirtualClock().install(monkeypatch, client_api, client_retry)
    sim.inject("get", status=502, times=20)
    async with make_client(sim, retry=CAPPED_RETRY) as c:
        with pytest.raises(ServerError):
            await c.get("task-unified-1-capped")
    assert clock.sleeps == [0.03] * 6 and sum(clock.sleeps) <= CAPPED_RETRY.max_total
    assert sim.count("GET", TASKS) == 7


async def test_task_ids_are_quoted_into_the_path(sim, client):
    with pytest.raises(NotFoundError) as caught:
        await client.get("a/b?c")
    assert "a/b?c" in caught.value.message  # the server decoded one whole path segment back to the id
    assert not await client.cancel("a/b?c")
    assert [(r.method, r.path) for r in sim.requests] == [
        ("GET", "/v1/tasks/a%2Fb%3Fc"), ("POST", "/v1/tasks/a%2Fb%3Fc/cancel")]
