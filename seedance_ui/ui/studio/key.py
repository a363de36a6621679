"""The key panel: a visitor's own Evolink key, set for the session, checked, forgotten (above the tabs: the
Storyboard's generations use it too). A key is checked for shape before it is kept or sent, and is never
echoed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import gradio as gr

from seedance_ui.client.errors import api_key_problem
from seedance_ui.runtime import Runtime
from seedance_ui.ui import views
from seedance_ui.ui.common import Out, handler, toast_info, toast_warning
from seedance_ui.ui.studio.page import KEY, Panel

log = logging.getLogger(__name__)

KEY_SHAPE_HINT = "Nothing was stored or sent. Paste the key again, as your Evolink dashboard shows it."


def key_refusal(key: str) -> str | None:
    """Why a pasted key cannot be used, naming the field and the rule (never any part of the key)."""
    problem = api_key_problem(key)
    return None if problem is None else f"Your Evolink API key {problem}."


def key_panel_title(runtime: Runtime) -> str:
    """The key accordion's title: a visitor may always bring a key (SEEDANCE_REQUIRE_USER_KEY: must)."""
    if runtime.settings.require_user_key:
        return "Your Evolink key — required to generate here"
    if runtime.demo_mode:
        return "Demo mode — use your own Evolink key for real videos"
    return "Use your own Evolink key (optional)"


def resumed_note(jobs: int, chains: int) -> str | None:
    """The toast after a key let the server follow earlier work again (None when there was none)."""
    parts = [f"{jobs} earlier job(s)"] if jobs else []
    if chains:
        parts.append(f"{chains} storyboard chain(s)")
    return f"Following {' and '.join(parts)} again with your key." if parts else None


class KeyPanel(Panel):
    """Set, check and forget the session's key."""

    # The storyboard tab's BoardSession (layout.build_demo hands it over once the tab is built): its chains
    # wait for a visitor's key too.
    board_session: Any = None

    def build(self) -> None:
        """The visitor's own key: in server memory for this session only."""
        p, runtime = self.page, self.runtime
        with gr.Accordion(key_panel_title(runtime), open=runtime.settings.require_user_key, elem_id="sd-key"):
            p.key_status = gr.HTML(views.key_status_html(False, runtime.demo_mode))
            with gr.Row(elem_id="sd-key-row"):
                p.key_box = gr.Textbox(
                    label="Your Evolink API key (this session only)",
                    type="password",
                    placeholder="Paste your key — kept in server memory for this session, never stored",
                    scale=4,
                    min_width=240,
                    elem_id="sd-key-box",
                )
                use_key_btn = gr.Button("Use key", variant="primary", scale=1, min_width=110)
                check_key_btn = gr.Button("Check key", variant="secondary", scale=1, min_width=110)
                forget_key_btn = gr.Button("Forget", variant="secondary", scale=1, min_width=90)

        outputs = [p.visitor_key, p.key_box, p.key_status]
        use_key_btn.click(self.set_key, inputs=[p.key_box, p.owner], outputs=outputs, **KEY)
        p.key_box.submit(self.set_key, inputs=[p.key_box, p.owner], outputs=outputs, **KEY)
        forget_key_btn.click(self.forget_key, inputs=None, outputs=[p.visitor_key, p.key_status], **KEY)
        check_key_btn.click(
            self.check_key, inputs=[p.key_box, p.visitor_key, p.owner], outputs=outputs, **KEY
        )

    def resume_with_key(self, owner_id: str, key: str, request: Any = None) -> tuple[int, int]:
        """After a restart, what waited for this visitor's key goes on with it: their jobs (the job
        manager) and their storyboard chains (the board session's chain runner), from the address of
        this event. Returns (jobs, chains) resumed; a failure is logged by its type only (its message
        might carry the key) and counts 0."""
        jobs = chains = 0
        try:
            jobs = self.manager.resume_with_key(owner_id, key)
        except Exception as exc:
            log.warning("resuming the jobs that waited for a visitor's key failed: %s", type(exc).__name__)
        if self.board_session is not None:
            try:
                chains = self.board_session.chains.resume_with_key(owner_id, key, self.address_of(request))
            except Exception as exc:
                log.warning("resuming the chains waiting for a visitor's key failed: %s", type(exc).__name__)
        return jobs, chains

    @handler
    def set_key(
        self, typed: str | None, owner: Any, request: gr.Request | None = None
    ) -> Out:
        """The session's key, a cleared textbox and the key status. The key is never echoed."""
        p = self.page
        key = (typed or "").strip()
        if not key:
            toast_warning("Paste your Evolink API key first.")
            return {p.key_box: ""}
        refusal = key_refusal(key)
        if refusal is not None:
            toast_warning(refusal, title="Key not used")
            return {p.key_box: "", p.key_status: views.notice_html("error", refusal, KEY_SHAPE_HINT)}
        owner_id = self.owner_of(owner, request)
        if owner_id:
            resumed = resumed_note(*self.resume_with_key(owner_id, key, request))
            if resumed:
                toast_info(resumed)
        toast_info("Your key is set for this session.")
        status = views.key_status_html(True, self.runtime.demo_mode)
        return {p.visitor_key: key, p.key_box: "", p.key_status: status}

    @handler
    def forget_key(self) -> Out:
        demo = self.runtime.demo_mode
        toast_info("Your key is forgotten; demo mode again." if demo else "Your key is forgotten.")
        return {self.page.visitor_key: None, self.page.key_status: views.key_status_html(False, demo)}

    @handler
    async def check_key(
        self, typed: str | None, session_key: str | None, owner: Any, request: gr.Request | None = None
    ) -> Out:
        """Check the typed key (and keep it for the session), else the session key, else the default."""
        p = self.page
        typed = (typed or "").strip()
        refusal = key_refusal(typed) if typed else None
        if refusal is not None:
            toast_warning(refusal, title="Check key")
            return {p.key_box: "", p.key_status: views.notice_html("error", refusal, KEY_SHAPE_HINT)}
        key = typed or session_key or None
        result = await self.runtime.check_key(key)
        status = views.notice_html("success" if result.ok else "error", result.message, result.hint)
        if result.ok:
            toast_info(result.message, title="Check key")
        else:
            toast_warning(result.message, result.hint, title="Check key")
        if typed and result.ok:
            owner_id = self.owner_of(owner, request)
            if owner_id:
                await asyncio.to_thread(self.resume_with_key, owner_id, typed, request)
            note = views.key_status_html(True, self.runtime.demo_mode)
            return {p.visitor_key: typed, p.key_box: "", p.key_status: note + status}
        return {p.key_box: "", p.key_status: status}
