"""The programmatic API and server settings, driven with gradio_client against the launched studio.

The studio talks to the contract simulator through a recording proxy, so each test can check the exact
request body the provider received.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import SERVER_KEY, LiveApp, wait_until
from gradio_client import Client
from gradio_client.exceptions import AppError

from seedance_ui.agents.arguments import TOOL_NAMES
from seedance_ui.media import probe
from seedance_ui.options import MODEL_FAST, MODEL_SPECS, MODEL_STANDARD, frame_size
from seedance_ui.simulator.errors import failure_message

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

PARAM_NAMES = ["prompt", "model", "duration", "quality", "aspect_ratio", "generate_audio", "web_search",
               "first_frame", "last_frame", "reference_images", "reference_video_urls",
               "reference_audio_urls", "content_filter", "idempotency_key"]


@pytest.fixture(scope="module")
def client(live_app: LiveApp) -> Client:
    return Client(live_app.url, verbose=False, download_files=True)


def test_only_generate_is_listed_with_the_contract_parameter_names(client: Client) -> None:
    api = client.view_api(return_format="dict", print_info=False)
    assert set(api["named_endpoints"]) == {"/generate"}
    assert api["unnamed_endpoints"] == {}
    params = api["named_endpoints"]["/generate"]["parameters"]
    assert [p["parameter_name"] for p in params] == PARAM_NAMES
    by_name = {p["parameter_name"]: p for p in params}
    assert set(by_name["model"]["type"]["enum"]) == set(MODEL_SPECS)  # the nine models of the grid
    assert {MODEL_STANDARD, MODEL_FAST} < set(MODEL_SPECS)
    assert by_name["quality"]["type"]["enum"] == ["480p", "720p", "1080p"]
    assert "adaptive" in by_name["aspect_ratio"]["type"]["enum"]
    assert by_name["duration"]["type"]["type"] == "integer"
    assert by_name["duration"]["parameter_default"] == 5


def test_generate_returns_a_playable_mp4_and_sends_exactly_the_values(
    client: Client, live_app: LiveApp
) -> None:
    prompt = "API check: a paper lantern drifts over a midnight lake, slow dolly in"
    video, result = client.predict(
        prompt=prompt,
        model=MODEL_FAST,
        duration=4,
        quality="480p",
        aspect_ratio="9:16",
        generate_audio=False,
        web_search=True,
        api_name="/generate",
    )
    # The request body the provider received, field by field.
    [create] = live_app.proxy.creates_with("paper lantern")
    assert create.body == {
        "model": MODEL_FAST,
        "prompt": prompt,
        "duration": 4,
        "quality": "480p",
        "aspect_ratio": "9:16",
        "generate_audio": False,
        "model_params": {"web_search": True},
    }
    assert create.authorization == f"Bearer {SERVER_KEY}"
    # The mp4 the client downloaded plays with the requested duration and frame size.
    info = probe(Path(video))
    assert info.duration == pytest.approx(4, abs=0.3)
    assert (info.width, info.height) == frame_size("480p", "9:16")
    assert info.has_audio is False
    # The final output names the file in the data directory, relative to it (no absolute server path).
    assert not Path(result["video_path"]).is_absolute()
    local = live_app.data_dir / result["video_path"]
    assert local.is_file() and local.resolve().is_relative_to(live_app.data_dir.resolve())
    assert local.read_bytes() == Path(video).read_bytes()
    assert result["status"] == "completed" and result["params"]["web_search"] is True
    assert "idempotency_token" not in result and "video_url" not in result


def test_content_policy_failure_surfaces_the_provider_message(client: Client, live_app: LiveApp) -> None:
    with pytest.raises(AppError) as caught:
        client.predict(
            prompt="A street parade [sim:fail=content_policy_violation]",
            duration=4,
            quality="480p",
            api_name="/generate",
        )
    text = str(caught.value)
    assert failure_message("content_policy_violation") in text
    assert "content_policy_violation" in text
    assert "Traceback" not in text


@pytest.mark.parametrize(
    ("status", "expected_hint"),
    [(401, "API key"), (402, "credits"), (400, "Change the")],
)
def test_http_errors_surface_as_client_errors_with_message_and_hint(
    client: Client, live_app: LiveApp, status: int, expected_hint: str
) -> None:
    live_app.simulator.inject(
        "create",
        status=status,
        body=json.dumps(
            {"error": {"code": f"e{status}", "message": f"Provider says no ({status})", "type": "x"}}
        ),
    )
    with pytest.raises(AppError) as caught:
        client.predict(
            prompt=f"Error path {status}: a quiet harbour", duration=4, quality="480p", api_name="/generate"
        )
    text = str(caught.value)
    assert f"Provider says no ({status})" in text
    assert expected_hint in text
    assert SERVER_KEY not in text


def test_invalid_fields_are_named_before_any_request(client: Client, live_app: LiveApp) -> None:
    before = len(live_app.proxy.creates())
    with pytest.raises(AppError) as caught:
        client.predict(
            prompt="Invalid: a lighthouse",
            duration=20,
            quality="1080p",
            aspect_ratio="2.35:1",
            api_name="/generate",
        )
    text = str(caught.value)
    for name in ("duration", "quality", "aspect_ratio"):
        assert name in text
    with pytest.raises(AppError, match="prompt"):
        client.predict(prompt="   ", api_name="/generate")
    assert len(live_app.proxy.creates()) == before


def test_one_generation_never_blocks_another(client: Client, live_app: LiveApp) -> None:
    """A slow job and a quick one submitted together: the quick one finishes first."""
    finished: dict[str, float] = {}

    def run(name: str, prompt: str) -> None:
        Client(live_app.url, verbose=False).predict(
            prompt=prompt, model=MODEL_FAST, duration=4, quality="480p", api_name="/generate"
        )
        finished[name] = time.monotonic()

    slow = threading.Thread(target=run, args=("slow", "Slow lane: rain on a tin roof [sim:slow]"))
    slow.start()
    wait_until(lambda: live_app.proxy.creates_with("Slow lane"))  # the slow one is at the provider first
    run("quick", "Quick lane: a match flares in the dark")
    slow.join(timeout=60)
    assert finished["quick"] < finished["slow"]


def test_health_route_and_file_access_limited_to_the_data_dir(live_app: LiveApp) -> None:
    base = live_app.url.rstrip("/")
    health = httpx.get(f"{base}/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert httpx.get(f"{base}/gradio_api/file=/etc/hostname").status_code in (403, 404)
    assert httpx.get(f"{base}/gradio_api/file={Path(__file__).resolve()}").status_code in (403, 404)
    posters = sorted((live_app.data_dir / "posters").glob("*.jpg"))
    assert posters, "an earlier test made a video"
    assert httpx.get(f"{base}/gradio_api/file={posters[0].resolve()}").status_code == 200
    # Only the media folders are allowed; the databases beside them are blocked (tests/test_security_*).
    assert live_app.demo.allowed_paths == [
        str(live_app.data_dir.resolve() / name) for name in ("posters", "ui", "videos", "exports", "inputs")
    ]
    database = live_app.data_dir.resolve() / "studio.sqlite3"
    assert httpx.get(f"{base}/gradio_api/file={database}").status_code == 403
    # Gradio's monitoring summary (our handlers' names and timings) is switched off.
    assert httpx.get(f"{base}/monitoring/summary").status_code == 403


def test_gradio_settings_queue_concurrency_and_run_history(live_app: LiveApp) -> None:
    demo = live_app.demo
    assert demo.run_history is False
    assert "runs" not in demo.footer_links
    fns = list(demo.fns.values())
    named = [fn for fn in fns if fn.api_name == "generate"]
    assert len(named) == 1 and named[0].concurrency_id == "api-generate" and named[0].concurrency_limit >= 16
    instant = [fn.name for fn in fns if fn.fn is not None and not fn.queue]
    # Pure, per-keystroke: answered without the queue. The agent tools too, on purpose: Gradio's MCP server
    # then calls them in-process with the caller's own request (key header, address; tests/test_mcp.py).
    assert sorted(instant) == sorted(["on_cost", "on_prompt", *TOOL_NAMES])
    for fn in fns:
        if fn.fn is None or not fn.queue:
            continue
        assert fn.concurrency_id, f"{fn.name} has no explicit concurrency id"
        assert fn.concurrency_limit is None or fn.concurrency_limit > 1, fn.name
        if fn.api_name != "generate":
            assert fn.api_visibility == "private", fn.name


def test_webhook_route_accepts_unknown_tokens_quietly(live_app: LiveApp) -> None:
    base = live_app.url.rstrip("/")
    reply = httpx.post(
        f"{base}/webhooks/seedance/not-a-real-token", json={"id": "task-x", "status": "completed"}
    )
    assert reply.status_code == 200 and reply.json() == {"ok": True}
