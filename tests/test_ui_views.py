"""HTML fragments: escaping of every outside string, and what the progress card and tables show."""

from __future__ import annotations

import time

from seedance_ui.options import (
    MODE_FRAMES,
    MODE_REFERENCES,
    MODEL_FAST,
    MODEL_STANDARD,
    TIER_MINI,
    TIER_STANDARD,
    model_id,
)
from seedance_ui.pricing import estimate
from seedance_ui.store import JobRecord, JobStatus
from seedance_ui.ui import views
from seedance_ui.ui.prompt_lint import lint

EVIL = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def record(**fields) -> JobRecord:
    params = {
        "prompt": fields.pop("prompt", "A fox in the snow"),
        "model": MODEL_STANDARD,
        "duration": 5,
        "quality": "720p",
        "aspect_ratio": "16:9",
        "generate_audio": True,
        "web_search": False,
        "callback_url": None,
    }
    return JobRecord.new("owner", params, status=fields.pop("status", JobStatus.PROCESSING), **fields)


def assert_safe(html: str) -> None:
    assert "<script" not in html and "<img" not in html and 'onerror="' not in html


def test_provider_and_prompt_text_is_escaped_everywhere() -> None:
    rec = record(
        prompt=EVIL,
        status=JobStatus.FAILED,
        error_message=EVIL,
        error_hint=EVIL,
        error_code=EVIL,
        task_id=EVIL,
    )
    for html in (
        views.progress_card(rec),
        views.detail_html(rec),
        views.params_table(rec.params, rec),
        views.notice_html("error", EVIL, EVIL, code=EVIL, items=[EVIL]),
        views.counter_html(lint(EVIL + " “x”")),
    ):
        assert_safe(html)
    assert "&lt;script&gt;" in views.detail_html(rec)


def test_progress_card_shows_status_percent_times_task_and_credits() -> None:
    now = time.time()
    rec = record(
        task_id="task-123", progress=40, credits_reserved=55.0, estimated_time=165, submitted_at=now - 20
    )
    rec.created_at = now - 22
    html = views.progress_card(rec, now=now)
    assert 'data-status="processing"' in html and 'data-percent="40"' in html
    assert 'aria-valuenow="40"' in html and ">40%<" in html
    assert "task-123" in html and ">55<" in html
    assert "0:22" in html  # elapsed since the record was made
    assert "~0:30" in html  # 20 s for 40 % -> 30 s left
    # Both clocks carry what the page's clock script needs to keep them running between renders.
    assert 'data-clock="up" data-base="22.000"' in html
    assert 'data-clock="down" data-base="30.000" data-prefix="~"' in html


def test_time_left_uses_the_provider_estimate_before_progress_moves() -> None:
    now = time.time()
    rec = record(status=JobStatus.PENDING, progress=0, estimated_time=165, submitted_at=now - 15)
    assert views.time_left(rec, now) == 150
    assert views.time_left(record(status=JobStatus.COMPLETED)) is None


def test_queued_downloading_and_finished_states() -> None:
    queued = record(status=JobStatus.QUEUED, queue_position=3)
    assert "#3 in line" in views.progress_card(queued)
    downloading = record(status=JobStatus.DOWNLOADING, progress=100)
    assert 'data-percent="100"' in views.progress_card(downloading)
    done = record(status=JobStatus.COMPLETED, progress=100)
    html = views.progress_card(done)
    assert "is-busy" not in html and "Done" in html
    assert "data-clock" not in html  # a finished job's clocks stand still
    assert "Your shot appears here" in views.progress_card(None)


def test_cost_card_follows_the_estimate() -> None:
    est = estimate(MODEL_FAST, "480p", 7, True)
    html = views.cost_html(est, model=MODEL_FAST, quality="480p", duration=7, web_search=True)
    assert f"{est.credits:,.2f}" in html and f"${est.usd:,.2f}" in html
    assert "Fast" in html and "per web search" in html
    off = views.cost_html(
        estimate(MODEL_FAST, "480p", 7, False), model=MODEL_FAST, quality="480p", duration=7, web_search=False
    )
    assert "per web search" not in off


def test_params_table_and_captions() -> None:
    rec = record(
        status=JobStatus.COMPLETED,
        width=1280,
        height=720,
        video_duration=5.0,
        has_audio=True,
        credits_reserved=55.0,
        task_id="task-9",
    )
    html = views.params_table(rec.params, rec)
    for text in ("Standard", "720p · 1280×720", "16:9", "5 s", "task-9", "55", "audio"):
        assert text in html
    assert "callback" not in html.lower()
    assert views.history_caption(rec).startswith("5s · 16:9 · A fox")
    assert views.history_caption(record(status=JobStatus.PROCESSING)).startswith("Processing · ")
    failed = record(status=JobStatus.UNKNOWN_OUTCOME)
    assert views.history_caption(failed).startswith("Outcome unknown · ")
    long = record(prompt="word " * 100)
    assert len(views.history_caption(long)) < 70


def test_key_status_never_contains_a_key() -> None:
    html = views.key_status_html(True, demo_mode=True)
    assert "Your key is set for this session." in html
    assert "ends in" not in html


def test_cost_card_says_price_not_published_and_bills_reference_video_seconds() -> None:
    mini = model_id(MODE_FRAMES, TIER_MINI)
    est = estimate(mini, "720p", 5)
    html = views.cost_html(est, model=mini, quality="720p", duration=5, web_search=False)
    assert 'data-published="false"' in html and "Price not published" in html and "data-credits" not in html
    assert "Frames · Mini" in html and "progress card" in html  # where the reserved credits will show
    refs = model_id(MODE_REFERENCES, TIER_STANDARD)
    est = estimate(refs, "720p", 5, input_video_seconds=8)
    html = views.cost_html(
        est, model=refs, quality="720p", duration=5, web_search=False, input_video_seconds=8
    )
    assert 'data-billed-seconds="13"' in html and "13 s billed: 5 s out + 8 s" in html
    off = estimate(MODEL_STANDARD, "720p", 5, content_filter=False)
    html = views.cost_html(off, model=MODEL_STANDARD, quality="720p", duration=5, web_search=False)
    assert f'data-credits="{off.credits:.4f}"' in html and "content filter off: ×1.1 included" in html
