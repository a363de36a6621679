"""Sign-in with Hugging Face: the owner is `hf:<username>` from the signed session, never from the browser.

Gradio's OAuth routes need a real Space (they talk to huggingface.co), so the studio runs with Gradio's
OAuth module configured as on a Space (its constants patched) and the visitors' session cookies are
signed here with the same secret Gradio's SessionMiddleware uses — exactly what a completed login
leaves in the browser. Everything after that (middleware, session, the owner of each event, the key
policy) is the real code path.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import itsdangerous
import pytest
from conftest import SERVER_KEY, RecordingProxy, card_attributes, free_port, wait_until
from gradio_client import Client
from gradio_client.exceptions import AppError
from page_helpers import wait_loaded

from seedance_ui.config import Settings
from seedance_ui.options import MODEL_FAST
from seedance_ui.security.identity import COOKIE_NAME
from seedance_ui.storyboard import BoardStore
from seedance_ui.storyboard.page import SAMPLE_TITLE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

OAUTH_SECRET = "test-oauth-client-secret"
TERMINAL = {"completed", "failed", "cancelled", "unknown_outcome", "expired"}


def session_cookie(username: str | None, *, secret: str = OAUTH_SECRET, expires_in: float = 3600) -> str:
    """The `session` cookie Gradio's OAuth callback leaves after a login (Starlette's signed format)."""
    session: dict[str, Any] = {}
    if username is not None:
        session["oauth_info"] = {
            "access_token": "hf_oauth_test_token",
            "token_type": "bearer",
            "scope": "openid profile",
            "expires_at": int(time.time() + expires_in),
            "userinfo": {"sub": "1", "name": username.title(), "preferred_username": username,
                         "profile": f"https://huggingface.co/{username}", "picture": ""},
        }
    key = hashlib.sha256(f"{secret}-v4".encode()).hexdigest()
    data = base64.b64encode(json.dumps(session).encode("utf-8"))
    return itsdangerous.TimestampSigner(key).sign(data).decode("utf-8")


class SignInApp:
    def __init__(self, url: str, runtime: Any, proxy: RecordingProxy, demo: Any) -> None:
        self.url, self.runtime, self.proxy, self.demo = url, runtime, proxy, demo

    def on_load_as(self, cookie: str | None, browser_id: str | None) -> list[Any]:
        """The page-load event as a browser holding `cookie` and `browser_id` sends it; its outputs."""
        [index] = [i for i, fn in self.demo.fns.items()
                   if fn.name == "on_load"
                   and type(getattr(fn.fn, "__self__", None)).__module__ == "seedance_ui.ui.studio.preview"]
        session = secrets.token_hex(6)
        headers = {"Cookie": f"session={cookie}"} if cookie else {}
        with httpx.Client(base_url=self.url.rstrip("/"), headers=headers, timeout=20) as http:
            http.post("/gradio_api/queue/join", json={"data": [browser_id], "fn_index": index,
                                                      "session_hash": session}).raise_for_status()
            with http.stream("GET", f"/gradio_api/queue/data?session_hash={session}") as stream:
                for line in stream.iter_lines():
                    if line.startswith("data:"):
                        message = json.loads(line[5:])
                        if message.get("msg") == "process_completed":
                            return message["output"]["data"]
        raise AssertionError("no answer")


@pytest.fixture(scope="module")
def signin_app(tmp_path_factory: pytest.TempPathFactory, simulator: Any) -> Iterator[SignInApp]:
    import gradio.oauth

    from seedance_ui.ui.server import create_app, launch_kwargs

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(gradio.oauth, "get_space", lambda: "someone/seedance-studio")
        mp.setattr(gradio.oauth, "OAUTH_CLIENT_ID", "test-client-id")
        mp.setattr(gradio.oauth, "OAUTH_CLIENT_SECRET", OAUTH_SECRET)
        mp.setattr(gradio.oauth, "OAUTH_SCOPES", "openid profile")
        mp.setattr(gradio.oauth, "OPENID_PROVIDER_URL", "http://127.0.0.1:9")  # never reached here
        proxy = RecordingProxy(simulator.base_url).start()
        settings = Settings(
            api_key=SERVER_KEY,
            base_url=proxy.url,
            data_dir=Path(tmp_path_factory.mktemp("signin-data")),
            poll_interval=0.1,
            request_timeout=10.0,
            sign_in=True,
        )
        demo, runtime = create_app(settings)
        port = free_port()
        demo.launch(**launch_kwargs(runtime, server_name="127.0.0.1", server_port=port,
                                    prevent_thread_lock=True, quiet=True))
        try:
            yield SignInApp(f"http://127.0.0.1:{port}/", runtime, proxy, demo)
        finally:
            with contextlib.suppress(Exception):
                demo.close()
            runtime.close()
            proxy.stop()


def open_as(
    browser: Any, app: SignInApp, cookie: str | None, visitor_cookie: str | None = None
) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if cookie is not None:
        context.add_cookies([{"name": "session", "value": cookie, "url": app.url}])
    if visitor_cookie is not None:  # another browser's identity, planted before the page loads
        context.add_cookies([{"name": COOKIE_NAME, "value": visitor_cookie, "url": app.url}])
    page = context.new_page()
    page.set_default_timeout(40_000)  # a loaded 2-core CI machine
    page.goto(app.url)
    wait_loaded(page)
    return context, page


def captions(page: Any) -> list[str]:
    return [c.strip() for c in page.locator("#sd-history .caption-label").all_inner_texts()]


def press_generate(page: Any, prompt: str) -> None:
    page.fill("#sd-prompt textarea", prompt)
    page.click('#sd-model [data-testid="Fast-radio-label"]')
    page.click('#sd-quality [data-testid="480p-radio-label"]')
    box = page.locator("#sd-duration input[type=number]")
    box.fill("4")
    box.press("Enter")
    box.blur()
    page.click("#sd-generate")


def card_status(page: Any) -> str | None:
    return card_attributes(page, "data-status")[0]


def visitor_cookie(context: Any) -> str:
    """The browser's own identity: its signed, HttpOnly visitor cookie (the server issued it)."""
    [value] = [c["value"] for c in context.cookies() if c["name"] == COOKIE_NAME]
    return value


def browser_owner(context: Any) -> str:
    """The owner id a browser's visitor cookie stands for when nobody is signed in."""
    return visitor_cookie(context).split(".")[0]


def open_storyboard_as(
    contexts: contextlib.ExitStack, browser: Any, app: SignInApp, cookie: str | None,
    planted: str | None = None,
) -> tuple[Any, Any]:
    """A new browser (closed by `contexts` at the latest) on the Storyboard tab, its board loaded: the
    context and the page."""
    context, page = open_as(browser, app, cookie, planted)
    contexts.callback(context.close)  # closing twice is a no-op
    page.click("#sd-tab-storyboard-button")
    page.wait_for_selector("#sb-tiles .sb-tile[data-shot]")
    wait_until(lambda: board_title(page))
    return context, page


def board_title(page: Any) -> str:
    return page.input_value("#sb-title textarea, #sb-title input")


def shows(page: Any, text: str) -> bool:
    """Whether `text` is anywhere on the page: in its text or in the value of any field."""
    return page.evaluate(
        "(t) => document.body.innerText.includes(t)"
        " || [...document.querySelectorAll('input, textarea')].some(e => e.value.includes(t))",
        text,
    )


def test_signed_in_owner_follows_the_account_and_no_browser_can_claim_it(
    browser: Any, signin_app: SignInApp
) -> None:
    alice = session_cookie("alice")
    ctx1, page1 = open_as(browser, signin_app, alice)
    assert page1.locator("#sd-login").count() == 1
    press_generate(page1, "Signed in: alice's harbour at dawn")
    wait_until(lambda: card_status(page1) == "completed", timeout=30)
    wait_until(lambda: captions(page1) and "alice's harbour" in captions(page1)[0])
    [job] = signin_app.runtime.manager.list("hf:alice")
    assert "alice's harbour" in job.params["prompt"]
    stored_id = visitor_cookie(ctx1)
    assert stored_id  # this browser's own identity (its HttpOnly visitor cookie), planted below

    # Alice on another browser (another stored id): the same history, since the owner is the account.
    # Bob, signed in: nothing of Alice's. (The page-load event exactly as a browser sends it.)
    _owner, gallery, *_ = signin_app.on_load_as(alice, secrets.token_hex(16))
    assert len(gallery) == 1 and "alice's harbour" in json.dumps(gallery)
    _owner, gallery, *_ = signin_app.on_load_as(session_cookie("bob"), secrets.token_hex(16))
    assert gallery == []

    # Someone not signed in, even with Alice's browser's identity planted: nothing of Alice's, and the
    # server key is not theirs to spend. (A forged session: the API test; an expired one: the units.)
    ctx4, page4 = open_as(browser, signin_app, None, stored_id)
    assert captions(page4) == [] and "alice's harbour" not in page4.content()
    creates = len(signin_app.proxy.creates())
    press_generate(page4, "Anonymous: a free ride on the owner's key")
    page4.wait_for_selector("#sd-status .sd-notice.is-error")
    assert "Sign in with Hugging Face to generate on this Space's key" in page4.inner_text("#sd-status")
    assert len(signin_app.proxy.creates()) == creates
    ctx4.close()
    assert signin_app.runtime.manager.list("hf:alice")[0].id == job.id
    ctx1.close()


def test_signed_in_storyboards_belong_to_the_account_not_to_the_browser(
    browser: Any, signin_app: SignInApp
) -> None:
    boards = BoardStore(signin_app.runtime.data_dir, db=signin_app.runtime.store.db)
    title = f"Alice's lighthouse board {secrets.token_hex(3)}"
    alice = session_cookie("alice")
    with contextlib.ExitStack() as contexts:  # each browser is closed once done with (all on a failure)
        # Alice, signed in: the board she renames is saved under her account, not under this browser's id.
        ctx1, page1 = open_storyboard_as(contexts, browser, signin_app, alice)
        box = page1.locator("#sb-title textarea, #sb-title input").first
        box.fill(title)
        box.blur()
        wait_until(lambda: title in page1.input_value("#sb-picker input"))  # the picker shows it: saved
        browser1 = browser_owner(ctx1)
        assert isinstance(browser1, str) and len(browser1) == 32 and "alice" not in browser1
        [board] = [b for b in boards.list("hf:alice") if b.title == title]
        assert board.owner == "hf:alice"
        assert boards.list(browser1) == []
        stored_id = visitor_cookie(ctx1)
        ctx1.close()

        # Alice on another browser (its own browser id): her board, since the owner is the account.
        ctx2, page2 = open_storyboard_as(contexts, browser, signin_app, alice)
        wait_until(lambda: shows(page2, title))
        assert board_title(page2) == title
        browser2 = browser_owner(ctx2)
        assert browser2 != browser1 and boards.list(browser2) == []
        ctx2.close()

        # Bob, signed in: his own sample board, nothing of Alice's.
        ctx3, page3 = open_storyboard_as(contexts, browser, signin_app, session_cookie("bob"))
        assert board_title(page3) == SAMPLE_TITLE and not shows(page3, title)
        ctx3.close()

        # Someone not signed in, holding browser 1's identity: that id's boards, which are not Alice's.
        ctx4, page4 = open_storyboard_as(contexts, browser, signin_app, None, planted=stored_id)
        assert browser_owner(ctx4) == browser1  # the planted identity is the one its events carry
        assert board_title(page4) == SAMPLE_TITLE and not shows(page4, title)
        ctx4.close()

    # the boards that hold the title, whoever owns them: Alice's one row
    with contextlib.closing(sqlite3.connect(signin_app.runtime.data_dir / "studio.sqlite3")) as conn:
        with_title = conn.execute("SELECT owner, board_id FROM boards WHERE instr(body, ?) > 0",
                                  (title,)).fetchall()
    assert with_title == [("hf:alice", board.id)]


def test_api_callers_need_a_signed_in_session_for_the_server_key(signin_app: SignInApp) -> None:
    forged = {"Cookie": f"session={session_cookie('carol', secret='guessed-secret')}"}
    for headers in (None, forged):
        with pytest.raises(AppError, match="Sign in with Hugging Face"):
            Client(signin_app.url, verbose=False, headers=headers).predict(
                prompt="API anonymous: a lighthouse", model=MODEL_FAST, duration=4, quality="480p",
                api_name="/generate",
            )
    carol = Client(signin_app.url, verbose=False, download_files=False,
                   headers={"Cookie": f"session={session_cookie('carol')}"})
    _video, result = carol.predict(prompt="API signed in: carol's lighthouse", model=MODEL_FAST, duration=4,
                                   quality="480p", api_name="/generate")
    assert result["status"] == "completed"
    assert [r.id for r in signin_app.runtime.manager.list("hf:carol")] == [result["id"]]
    assert signin_app.runtime.manager.list("api") == []
