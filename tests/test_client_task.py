"""Task.from_json: odd, partial and unexpected snapshots never break the parser."""

import pytest

from seedance_ui.client import Task, TaskStatus

CREATED = {
    "id": "task-unified-1774857405-abc123",
    "object": "video.generation.task",
    "created": 1774857405,
    "model": "seedance-2.0-text-to-video",
    "status": "pending",
    "progress": 0,
    "type": "video",
    "task_info": {"can_cancel": True, "estimated_time": 165, "video_duration": 8},
    "usage": {"billing_rule": "per_second", "credits_reserved": 50, "user_group": "default"},
}


def test_the_documented_create_answer():
    task = Task.from_json(CREATED)
    assert task.id == "task-unified-1774857405-abc123"
    assert task.status is TaskStatus.PENDING and task.raw_status == "pending"
    assert task.progress == 0
    assert task.estimated_time == 165
    assert task.can_cancel is True
    assert task.credits_reserved == 50
    assert task.model == "seedance-2.0-text-to-video"
    assert task.created == 1774857405
    assert task.video_urls == () and task.video_url is None
    assert not task.is_terminal and not task.was_cancelled
    assert task.raw is CREATED


def test_completed_with_results_and_unknown_fields_kept():
    data = {"id": "t1", "status": "completed", "progress": 100, "results": ["https://cdn/x.mp4"],
            "content_filter": {"flagged": False}, "new_thing": [1, 2]}
    task = Task.from_json(data)
    assert task.status is TaskStatus.COMPLETED and task.is_terminal
    assert task.video_url == "https://cdn/x.mp4"
    assert task.raw["content_filter"] == {"flagged": False} and task.raw["new_thing"] == [1, 2]
    assert task.estimated_time is None and task.can_cancel is None and task.credits_reserved is None


@pytest.mark.parametrize(
    ("data", "urls"),
    [
        ({"results": ["https://a/1.mp4", "https://a/2.mp4"]}, ("https://a/1.mp4", "https://a/2.mp4")),
        ({"results": [{"url": "https://a/1.mp4"}, {"video_url": "https://a/2.mp4"}]},
         ("https://a/1.mp4", "https://a/2.mp4")),
        ({"results": ["https://a/1.mp4", "https://a/1.mp4", "", None, 3, {"x": 1}]}, ("https://a/1.mp4",)),
        ({"results": "https://a/1.mp4"}, ("https://a/1.mp4",)),
        ({"results": [], "output": {"video_url": "https://b/1.mp4"}}, ("https://b/1.mp4",)),
        ({"output": {"url": "https://b/1.mp4"}}, ("https://b/1.mp4",)),
        ({"result_data": [{"video_url": "https://c/1.mp4"}, {"video_url": "https://c/2.mp4"}]},
         ("https://c/1.mp4", "https://c/2.mp4")),
        ({"result_data": {"video_url": "https://c/1.mp4"}}, ("https://c/1.mp4",)),
        ({"results": ["https://a/1.mp4"], "output": {"video_url": "https://b/1.mp4"}}, ("https://a/1.mp4",)),
        ({"results": None, "output": "nonsense", "result_data": [None, "x"]}, ()),
    ],
)
def test_video_url_fallbacks(data, urls):
    assert Task.from_json({"id": "t", "status": "completed", **data}).video_urls == urls


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("pending", TaskStatus.PENDING),
        ("PROCESSING", TaskStatus.PROCESSING),
        (" completed ", TaskStatus.COMPLETED),
        ("failed", TaskStatus.FAILED),
        ("cancelled", TaskStatus.CANCELLED),
        ("canceled", TaskStatus.CANCELLED),
        ("queued", TaskStatus.PENDING),
        ("moderating", TaskStatus.UNKNOWN),
        ("unknown", TaskStatus.UNKNOWN),
        ("", TaskStatus.UNKNOWN),
        (None, TaskStatus.UNKNOWN),
        (7, TaskStatus.UNKNOWN),
    ],
)
def test_status_is_a_closed_enum(raw, status):
    task = Task.from_json({"id": "t", "status": raw})
    assert task.status is status
    if isinstance(raw, str):
        assert task.raw_status == raw
    if status is TaskStatus.UNKNOWN:
        assert not task.is_terminal


@pytest.mark.parametrize(
    ("progress", "expected"),
    [(42, 42), (42.6, 43), ("57", 57), ("57%", 57), (-5, 0), (250, 100), (None, 0), ("abc", 0), (True, 0),
     (float("nan"), 0), ([], 0)],
)
def test_progress_is_a_clamped_int(progress, expected):
    task = Task.from_json({"id": "t", "status": "processing", "progress": progress})
    assert task.progress == expected and isinstance(task.progress, int)


def test_completed_without_progress_reads_as_100():
    assert Task.from_json({"id": "t", "status": "completed"}).progress == 100


@pytest.mark.parametrize(
    "data",
    [{}, {"task_info": "x", "usage": [1], "error": 5, "results": {"a": 1}, "created": "soon"},
     {"id": 12345, "status": {"nested": True}, "progress": {}, "task_info": {"estimated_time": "abc",
      "can_cancel": "yes"}, "usage": {"credits_reserved": "lots"}}],
)
def test_odd_snapshots_never_raise(data):
    task = Task.from_json(data, task_id="fallback")
    assert task.status is TaskStatus.UNKNOWN
    assert task.estimated_time is None and task.can_cancel is None and task.credits_reserved is None
    assert task.id in ("fallback", "12345")


def test_not_a_dict_is_treated_as_empty():
    assert Task.from_json(["not", "a", "dict"], task_id="t").id == "t"  # type: ignore[arg-type]


def test_missing_id_falls_back():
    assert Task.from_json({"status": "pending"}).id == ""
    assert Task.from_json({"status": "pending"}, task_id="abc").id == "abc"
    assert Task.from_json({"task_id": "x1"}).id == "x1"


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        ({"error": {"code": "content_policy_violation", "message": "Flagged."}}, "content_policy_violation",
         "Flagged."),
        ({"error": "Something broke"}, None, "Something broke"),
        ({"error_code": "generation_timeout", "error_message": "Took too long"}, "generation_timeout",
         "Took too long"),
        ({"failure_reason": "GPU fell over"}, None, "GPU fell over"),
        ({"message": "flat message"}, None, "flat message"),
        ({}, None, None),
        ({"error": {"message": ""}}, None, None),
    ],
)
def test_error_shapes(data, code, message):
    task = Task.from_json({"id": "t", "status": "failed", **data})
    assert (task.error_code, task.error_message) == (code, message)
    assert task.is_terminal


def test_a_top_level_message_is_not_an_error_while_running():
    assert Task.from_json({"id": "t", "status": "processing", "message": "Rendering"}).error_message is None


def test_request_cancelled_failure_counts_as_cancelled():
    task = Task.from_json({"id": "t", "status": "failed", "error": {"code": "request_cancelled",
                                                                     "message": "Cancelled by user"}})
    assert task.status is TaskStatus.FAILED
    assert task.was_cancelled
    assert Task.from_json({"id": "t", "status": "cancelled"}).was_cancelled
    failed = Task.from_json({"id": "t", "status": "failed", "error": {"code": "service_error"}})
    assert not failed.was_cancelled


def test_fields_that_vanish_later_are_none():
    later = {"id": "t", "status": "processing", "progress": 70}
    task = Task.from_json(later)
    assert task.estimated_time is None and task.credits_reserved is None and task.can_cancel is None


def test_top_level_estimated_time_and_string_numbers():
    task = Task.from_json({"id": "t", "status": "pending", "estimated_time": "120s",
                           "task_info": {"can_cancel": False}})
    assert task.estimated_time == 120 and task.can_cancel is False
    assert Task.from_json({"id": "t", "task_info": {"estimated_time": -3}}).estimated_time is None
