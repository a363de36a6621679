"""The red team's findings (issue: identity takeover by link, one visitor freezing everyone, limits by
chosen id, private events by name, a malformed key echoed, a webhook 500, missing headers, CSV cells),
each reproduced as the review did it, against the real app launched in this process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import SERVER_KEY, LiveApp, RecordingProxy, _close, _launch, run_async, wait_until

from bench.gradio_api import Event, acall, find_events, session_hash
from seedance_ui.config import Settings
from seedance_ui.options import MODEL_FAST
from seedance_ui.store import JobRecord

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

RATE = 3  # submissions per visitor per minute in this module's studio
MALFORMED_KEY = "sk-PART1 PART2SECRET\nPART3SECRET"
KEY_PIECES = ("PART1", "PART2SECRET", "PART3SECRET")
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """A hosted studio on a server key behind a trusted proxy, with a per-visitor rate limit."""
    from seedance_ui.simulator import Simulator

    simulator = Simulator(speed=200.0, api_key=SERVER_KEY).start()
    proxy = RecordingProxy(simulator.base_url).start()
    settings = Settings(
        api_key=SERVER_KEY,
        base_url=proxy.url,
        data_dir=tmp_path_factory.mktemp("redteam-data"),
        poll_interval=0.05,
        request_timeout=10.0,
        max_jobs_per_owner=8,
        visitor_submits_per_minute=RATE,
        trust_proxy=True,
    )
    app = _launch(settings, proxy, simulator)
    app.base = app.url.rstrip("/")
    try:
        yield app
    finally:
        _close(app)
        proxy.stop()
        simulator.stop()


def events(studio: LiveApp) -> dict[str, Event]:
    return find_events(studio.base)


def all_jobs(studio: LiveApp) -> list[JobRecord]:
    rows = studio.runtime.store.db._conn.execute("SELECT id FROM jobs").fetchall()
    return [studio.runtime.store.get(row["id"]) for row in rows]


def submit_data(prompt: str, owner: Any = None, key: Any = None) -> list[Any]:
    """The Generate click's inputs as the page sends them: controls, the page's owner value, the key,
    then the content filter and the (empty) media inputs: first and last frame, reference images, video
    and audio URLs."""
    return [prompt, MODEL_FAST, 4, "480p", "16:9", False, False, owner, key, True, None, None, None, "", ""]


def lint_data(prompt: str) -> list[Any]:
    """The prompt lint's inputs as the page sends them: the probe ("<length>:<prompt>"; the page sends at
    most the cap + 1 characters of a longer prompt, and its length), web search, model, reference counts."""
    return [f"{len(prompt)}:{prompt}", False, MODEL_FAST, None]


def post_json(url: str, body: Any, **kw: Any) -> httpx.Response:
    return httpx.post(url, content=json.dumps(body), headers={"content-type": "application/json"},
                      timeout=30, **kw)


# --------------------------------------------------------------------------------------------------
# 1. identity takeover through a link


@pytest.mark.browser
def test_a_deep_link_cannot_hand_a_visitor_another_identity(browser: Any, studio: LiveApp) -> None:
    attacker = browser.new_context()
    page = attacker.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    hashes: list[str] = []
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.on("request", lambda r: "/queue/join" in r.url and hashes.append(r.post_data_json["session_hash"]))
    page.goto(studio.url)
    page.wait_for_selector("#sd-prompt textarea")
    page.fill("#sd-prompt textarea", "Takeover: the attacker's lighthouse at midnight")
    page.click("#sd-generate")
    wait_until(lambda: any("attacker's lighthouse" in r.params["prompt"] for r in all_jobs(studio)))
    attacker_owner = next(r.owner for r in all_jobs(studio) if "attacker's" in r.params["prompt"])
    assert hashes

    # The attacker asks Gradio to save their session as a link: refused, and nothing is written.
    links = Path(studio.demo.GRADIO_CACHE) / "deep_links"
    before = sorted(links.iterdir()) if links.exists() else []
    saved = page.request.get(f"{studio.base}/gradio_api/deep_link?session_hash={hashes[-1]}")
    assert saved.status == 404, "the deep-link route must be refused"
    assert (sorted(links.iterdir()) if links.exists() else []) == before
    # Had it answered, the link would be a real one: made here by Gradio's own route, past the gate.
    [route] = [r for r in studio.demo.server_app.routes if getattr(r, "path", "") == "/gradio_api/deep_link"]
    link = None
    for _ in range(5):  # called in this thread while the app runs: Gradio's state dict may change under it
        try:
            link = route.endpoint(session_hash=hashes[-1])
            break
        except RuntimeError:
            time.sleep(0.1)
    assert link and "attacker's lighthouse" in (links / link / "state.json").read_text()

    # The victim opens the link; the page is theirs alone, after a reload too.
    victim = browser.new_context()
    vpage = victim.new_page()
    vpage.set_default_timeout(TIMEOUT_MS)
    vpage.goto(f"{studio.url}?deep_link={link}")
    vpage.wait_for_selector("#sd-prompt textarea")
    assert vpage.input_value("#sd-prompt textarea") == ""  # the page's config came without the link's state
    vpage.reload()
    vpage.wait_for_selector("#sd-prompt textarea")
    vpage.fill("#sd-prompt textarea", "Takeover: the victim's own harbour at dawn")
    vpage.click("#sd-generate")
    wait_until(lambda: any("victim's own harbour" in r.params["prompt"] for r in all_jobs(studio)))
    victim_owner = next(r.owner for r in all_jobs(studio) if "victim's own harbour" in r.params["prompt"])
    assert victim_owner != attacker_owner
    assert [r.params["prompt"] for r in studio.runtime.manager.list(attacker_owner)] == [
        "Takeover: the attacker's lighthouse at midnight"
    ]
    vpage.wait_for_selector('#sd-progress .sd-progress:not([data-status="idle"])')  # its own job drawn
    assert "attacker's lighthouse" not in vpage.content()

    # The identity is an HttpOnly cookie no script can read or copy into another browser.
    cookies = {c["name"]: c for c in victim.cookies()}
    assert cookies["seedance_visitor"]["httpOnly"] and cookies["seedance_visitor"]["sameSite"] == "Lax"
    assert "seedance_visitor" not in vpage.evaluate("() => document.cookie")
    assert not [line for line in console if "Content Security Policy" in line], console
    attacker.close()
    victim.close()


def test_a_browser_kept_id_is_adopted_once_into_the_cookie_identity(studio: LiveApp) -> None:
    """Visitors from before the cookie keep their history: the first load that sends their old id moves
    it into their new identity; nobody can claim it afterwards."""
    legacy = secrets.token_hex(16)
    record = JobRecord.new(legacy, {"prompt": "Legacy: the old browser's paper boat"})
    studio.runtime.store.add(record)
    on_load = events(studio)["on_load"]

    async def load(http: httpx.AsyncClient, owner_value: Any) -> list[Any]:
        return await acall(http, studio.base, on_load, [owner_value], session_hash())

    async def scenario() -> tuple[list[Any], list[Any], list[Any]]:
        async with httpx.AsyncClient(timeout=30) as first, httpx.AsyncClient(timeout=30) as thief:
            adopted = await load(first, legacy)
            again = await load(first, None)  # later visits send nothing: the cookie decides
            stolen = await load(thief, legacy)
        return adopted, again, stolen

    adopted, again, stolen = run_async(scenario())
    assert adopted[0] is None  # the page forgets the old id
    assert "paper boat" in json.dumps(adopted[1]) and "paper boat" in json.dumps(again[1])
    assert "paper boat" not in json.dumps(stolen[1])


# --------------------------------------------------------------------------------------------------
# 2. one visitor freezing every page


def test_a_flood_of_large_prompts_leaves_clicks_and_health_free(studio: LiveApp, monkeypatch: Any) -> None:
    from seedance_ui.ui.studio import create

    found = events(studio)
    lint_event, cost_event = found["on_prompt"], found["on_cost"]
    assert not lint_event.queued and not cost_event.queued
    release = threading.Event()
    linted: list[str] = []
    real_lint = create.lint

    def held_lint(text: str, **kw: Any) -> Any:
        linted.append(threading.current_thread().name)
        if len(text) > create.INLINE_LINT_CHARS:
            release.wait(30)  # a lint that takes as long as the test wants
        return real_lint(text, **kw)

    monkeypatch.setattr(create, "lint", held_lint)
    giant = "静" * 1_900_000

    async def scenario() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=60) as http:
            def run(data: list[Any]) -> Any:
                body = {"data": data, "fn_index": lint_event.fn_index, "session_hash": session_hash(),
                        "trigger_id": None, "event_data": None}
                return http.post(f"{studio.base}/gradio_api/run/predict", json=body)

            # Oversized prompts are refused at the edge, before any handler: a 1.9 MB prompt is cut off
            # as soon as its announced length is read (413, or the connection closed under the sender).
            floods = (run(lint_data(giant)) for _ in range(10))
            oversized = await asyncio.gather(*floods, return_exceptions=True)
            just_over = await run(lint_data("x" * (studio.runtime.settings.max_prompt_chars * 10)))
            # The largest accepted prompts: their lint is held; a cheap click and /healthz still answer.
            longest = ("The keeper climbs the stairs. " * 400)[: studio.runtime.settings.max_prompt_chars]
            flood = [asyncio.ensure_future(run(lint_data(longest))) for _ in range(30)]
            deadline = time.monotonic() + 30
            while not linted:  # a deadline, so a changed event fails here instead of hanging
                assert time.monotonic() < deadline, "no long prompt reached the lint"
                await asyncio.sleep(0.01)
            cost_data = [MODEL_FAST, 5, "480p", False, True, 0.0]  # + content filter, reference video s
            cost = await acall(http, studio.base, cost_event, cost_data, session_hash())
            health = await http.get(f"{studio.base}/healthz")
            pending_when_answered = sum(not f.done() for f in flood)
            release.set()
            answers = await asyncio.gather(*flood)
            return {"oversized": oversized, "just_over": just_over, "cost": cost, "health": health,
                    "answers": answers, "pending": pending_when_answered}

    try:
        result = run_async(scenario())
    finally:
        release.set()
    for answer in result["oversized"]:
        assert isinstance(answer, httpx.TransportError) or answer.status_code == 413, answer
    assert result["just_over"].status_code == 413
    assert "credits" in json.dumps(result["cost"]) and result["health"].status_code == 200
    assert result["pending"] >= 1  # answered while a long lint was still held
    assert [r.status_code for r in result["answers"]] == [200] * 30
    # Long prompts are linted on the lint thread, never on the loop, and one at a time per address:
    # the other 29 of this one client were answered at once, with nothing to change.
    assert linted == ["lint_0"]
    changed = [a.json()["data"] for a in result["answers"]]
    assert sum(1 for data in changed if "sd-counter" in json.dumps(data) or "words" in json.dumps(data)) == 1


def test_submit_and_generate_refuse_a_long_prompt_before_any_work(studio: LiveApp, monkeypatch: Any) -> None:
    from seedance_ui.ui.studio import api, preview

    validated: list[int] = []
    real_make = preview.make_request

    def counted(*args: Any, **kwargs: Any) -> Any:
        validated.append(1)
        return real_make(*args, **kwargs)

    for module in (preview, api):  # the page's submit, and /generate
        monkeypatch.setattr(module, "make_request", counted)
    giant = "静" * 300_000
    creates = len(studio.proxy.creates())

    async def scenario() -> tuple[list[Any], Any]:
        async with httpx.AsyncClient(timeout=60) as http:
            submit = events(studio)["submit"]
            page = await acall(http, studio.base, submit, submit_data(giant), session_hash())
            joined = await http.post(f"{studio.base}/gradio_api/call/generate",
                                     json={"data": [giant, MODEL_FAST, 4, "480p", "16:9", False, False]})
            event_id = joined.json()["event_id"]
            stream = await http.get(f"{studio.base}/gradio_api/call/generate/{event_id}")
            return page, stream.text

    page, api = run_async(scenario())
    assert "over the 10,000 limit" in json.dumps(page) and "over the 10,000 limit" in api
    assert validated == [] and len(studio.proxy.creates()) == creates


# --------------------------------------------------------------------------------------------------
# 3. limits that bind a person, not an id


def test_fresh_ids_do_not_reset_the_per_visitor_rate_limit(studio: LiveApp) -> None:
    submit = events(studio)["submit"]
    marker = "Fresh ids " + secrets.token_hex(4)

    async def one(i: int) -> list[Any]:
        # A new client each time: no cookie, a freshly minted browser id in the page's owner value.
        async with httpx.AsyncClient(timeout=30, headers={"x-forwarded-for": "198.51.100.23"}) as http:
            return await acall(http, studio.base, submit,
                               submit_data(f"{marker} #{i}", owner=secrets.token_hex(16)), session_hash())

    async def burst() -> list[list[Any]]:
        return [await one(i) for i in range(6)]

    answers = run_async(burst())
    made = [r for r in all_jobs(studio) if marker in r.params["prompt"]]
    assert len(made) == RATE
    assert all("Too many submissions" in json.dumps(a) for a in answers[RATE:])


def test_api_callers_each_have_their_own_limits_and_history(studio: LiveApp) -> None:
    marker = "API visitor " + secrets.token_hex(4)

    async def call(http: httpx.AsyncClient, i: int) -> str:
        data = [f"{marker} #{i}", MODEL_FAST, 4, "480p", "16:9", False, False]
        joined = await http.post(f"{studio.base}/gradio_api/call/generate", json={"data": data})
        stream = await http.get(f"{studio.base}/gradio_api/call/generate/{joined.json()['event_id']}")
        return stream.text

    async def scenario() -> tuple[list[str], list[str]]:
        async with httpx.AsyncClient(timeout=60, headers={"x-forwarded-for": "203.0.113.7"}) as first, \
                httpx.AsyncClient(timeout=60, headers={"x-forwarded-for": "203.0.113.8"}) as second:
            a = [await call(first, i) for i in range(RATE + 1)]
            b = [await call(second, i) for i in range(RATE)]
        return a, b

    a, b = run_async(scenario())
    assert "Too many submissions" in a[-1] and not any("Too many submissions" in t for t in a[:-1])
    assert not any("Too many submissions" in t for t in b)  # the first caller's limit is not theirs
    owners = {r.owner for r in all_jobs(studio) if marker in r.params["prompt"]}
    assert len(owners) == 2 and "api" not in owners


# --------------------------------------------------------------------------------------------------
# 4. private events by name


def test_private_events_are_reachable_only_through_the_queue(studio: LiveApp) -> None:
    found = events(studio)
    before = len(all_jobs(studio))
    for path in ("/gradio_api/run/submit", "/gradio_api/api/submit"):
        answer = post_json(studio.base + path, {"data": submit_data("By name: a forbidden shot")})
        assert answer.status_code in (403, 404, 422), (path, answer.status_code)
    by_index = post_json(studio.base + "/gradio_api/run/predict",
                         {"data": submit_data("By index: a forbidden shot"),
                          "fn_index": found["submit"].fn_index, "session_hash": session_hash()})
    assert by_index.status_code in (403, 404), by_index.text
    for name in ("submit", "export_animatic", "on_load", "check_key"):
        assert post_json(f"{studio.base}/gradio_api/call/{name}", {"data": []}).status_code == 404, name
        assert post_json(f"{studio.base}/gradio_api/call/v2/{name}", {}).status_code == 404, name
    with httpx.Client(timeout=30) as http:  # eight animatic exports at once by name: none runs
        url = f"{studio.base}/gradio_api/run/export_animatic"
        answers = [http.post(url, json={"data": []}) for _ in range(8)]
    assert all(a.status_code in (403, 404, 422) for a in answers)
    assert len(all_jobs(studio)) == before
    public = post_json(f"{studio.base}/gradio_api/call/generate", {"data": ["", MODEL_FAST]})
    assert public.status_code == 200 and "event_id" in public.json()  # the public API stays open


# --------------------------------------------------------------------------------------------------
# 5. a malformed visitor key


def test_a_malformed_key_is_refused_by_shape_and_never_echoed(studio: LiveApp, caplog: Any) -> None:
    from seedance_ui.client import ValidationError

    found = events(studio)
    caplog.set_level(logging.DEBUG)

    async def scenario() -> tuple[list[Any], list[Any]]:
        async with httpx.AsyncClient(timeout=30) as http:
            checked = await acall(http, studio.base, found["check_key"], [MALFORMED_KEY, None, None],
                                  session_hash())
            used = await acall(http, studio.base, found["set_key"], [MALFORMED_KEY, None], session_hash())
        return checked, used

    checked, used = run_async(scenario())
    for answer in (checked, used):
        text = json.dumps(answer)
        assert "must not contain spaces or line breaks" in text
        assert not any(piece in text for piece in KEY_PIECES), text
    assert used[0] is None or used[0] == {"__type__": "update"}  # the session keeps no key

    # A generation with it is refused before its record is written: never "outcome unknown".
    before = len(all_jobs(studio))
    from seedance_ui.client import GenerationRequest

    with pytest.raises(ValidationError) as refused:
        studio.runtime.manager.submit(GenerationRequest(prompt="Malformed key shot"), secrets.token_hex(16),
                                      MALFORMED_KEY)
    assert refused.value.field == "api_key" and not any(p in str(refused.value) for p in KEY_PIECES)
    assert len(all_jobs(studio)) == before
    assert not any(piece in caplog.text for piece in KEY_PIECES)


# --------------------------------------------------------------------------------------------------
# 6. the webhook, 7. headers


def test_the_webhook_answers_a_deeply_nested_body_without_a_500(studio: LiveApp) -> None:
    body = "[" * 100_000 + "]" * 100_000
    answer = httpx.post(f"{studio.base}/webhooks/seedance/{secrets.token_hex(16)}", content=body,
                        headers={"content-type": "application/json"}, timeout=30)
    assert answer.status_code < 500
    bigger = httpx.post(f"{studio.base}/webhooks/seedance/{secrets.token_hex(16)}", content=b"[" * 400_000,
                        headers={"content-type": "application/json"}, timeout=30)
    assert 400 <= bigger.status_code < 500


def test_every_response_carries_the_security_headers(studio: LiveApp) -> None:
    for path in ("/", "/config", "/healthz", "/gradio_api/info"):
        headers = httpx.get(studio.base + path, timeout=30).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'self' https://huggingface.co" in csp and "https://*.hf.space" in csp
        assert "object-src 'none'" in csp and "default-src 'self'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "SAMEORIGIN"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    first = httpx.get(studio.url, timeout=30)
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("seedance_visitor=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_every_route_to_a_handler_caps_its_body_at_the_edge(studio: LiveApp) -> None:
    """Unqueued routes (the page's instant events, the agents' MCP calls) and the webhook take no more
    than a prompt can need; the queue and uploads keep their own caps."""
    just_over = max(studio.runtime.settings.max_prompt_chars * 6 + 17 * 1024, 257 * 1024)
    for path in ("/gradio_api/run/predict", "/gradio_api/mcp/", "/webhooks/seedance/" + "0" * 32):
        answer = httpx.post(studio.base + path, content=b"[" + b" " * just_over + b"]", timeout=30,
                            headers={"content-type": "application/json"})
        assert answer.status_code == 413, (path, answer.status_code)
    queued = httpx.post(studio.base + "/gradio_api/queue/join", content=b"x" * (3 * 1024 * 1024),
                        headers={"content-type": "application/json"}, timeout=30)
    assert queued.status_code == 413
