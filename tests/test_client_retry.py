"""RetryPolicy backoff bounds and Retry-After parsing."""

import email.utils
import random
import time

import pytest

from seedance_ui.client import RetryPolicy, parse_retry_after
from seedance_ui.client.retry import RetryState


def test_backoff_is_exponential_jittered_and_capped():
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, jitter=0.5)
    rng = random.Random(0)
    for attempt, nominal in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 4.0), (9, 4.0)]:
        for _ in range(50):
            assert nominal * 0.5 <= policy.backoff(attempt, rng) <= nominal
    assert RetryPolicy(jitter=0).backoff(2) == 1.0


def test_retry_after_is_a_minimum():
    policy = RetryPolicy(base_delay=0.5, max_delay=1.0)
    assert policy.delay(1, retry_after=7.5) == 7.5
    assert 0.25 <= policy.delay(1, retry_after=0) <= 0.5


def test_state_stops_at_max_attempts_and_total_time():
    state = RetryState(RetryPolicy(max_attempts=3, base_delay=0.001))
    assert state.next_wait() is not None and state.next_wait() is not None
    assert state.next_wait() is None  # the third failure was the last attempt
    capped = RetryState(RetryPolicy(max_attempts=10, max_total=1.0))
    assert capped.next_wait(retry_after=5.0) is None  # waiting would pass the total cap


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("", None), ("3", 3.0), (" 0.25 ", 0.25), ("-4", 0.0), ("soon", None), ("inf", None)],
)
def test_parse_retry_after_seconds(header, expected):
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date():
    now = time.time()
    header = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(30, abs=1.0)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0
