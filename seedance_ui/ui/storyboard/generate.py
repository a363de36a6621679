"""Generate on the board: ask (price the plan and show the confirmation), then confirm (send exactly what
was priced, or the new plan when the board changed). Handed to the shots column and the editor.
"""

from __future__ import annotations

import asyncio
from typing import Any

import gradio as gr

from seedance_ui.client import SeedanceError
from seedance_ui.security.owners import client_address
from seedance_ui.storyboard.page import find_shot
from seedance_ui.storyboard.session import Plan, PlanScope, Refused, Sent
from seedance_ui.ui.common import Out, toast_warning
from seedance_ui.ui.storyboard import views as sv
from seedance_ui.ui.storyboard.page import handler
from seedance_ui.ui.storyboard.panel import TabPanel


class Generate(TabPanel):
    """Ask and confirm. It places no components of its own: the shots column (Generate all, Generate
    missing, the confirmation) and the editor (Generate this shot) wire their buttons to it."""

    def _ask(self, values: tuple[Any, ...], request: Any, scope: PlanScope, what: str) -> Out:
        shown = self.shown(values, request)[0]
        try:
            plan = self.session.plan(shown, scope)
        except Refused as refusal:
            return self.refused(refusal)
        if scope == "shot" and plan.shot_ids:
            what = f"Shot {plan.board.number_of(plan.shot_ids[0])}: a new take"
        return self.confirmation(plan, what)

    def confirmation(self, plan: Plan, what: str) -> Out:
        p = self.page
        if not plan.shot_ids:
            nothing = "Nothing to generate: every shot has a take that is done or on its way."
            return {p.confirm_group: gr.update(visible=False), p.plan: None, **self.say("info", nothing)}
        credits, blocked = plan.estimate.credits, bool(plan.problems)
        if blocked:  # said at each shot (its notes) and in the confirmation; a toast where the writer is
            first = plan.problems[0]
            more = len(plan.problems) - 1
            toast_warning(str(first), f"and {more} more in the confirmation" if more else None, "Not sent")
        return {
            p.confirm_group: gr.update(visible=True),
            p.confirm_html: sv.confirm_html(
                plan.board, plan.estimate, what, plan.problems, changed=plan.changed
            ),
            p.confirm_btn: gr.update(
                value=sv.confirm_label(credits), interactive=not blocked, visible=not blocked
            ),
            p.plan: plan.token(what),
            p.notice: "",
        }

    @handler
    def ask_all(self, request: gr.Request, *values: Any) -> Out:
        return self._ask(values, request, "all", "Generate all shots")

    @handler
    def ask_missing(self, request: gr.Request, *values: Any) -> Out:
        return self._ask(values, request, "missing", "Generate missing or failed shots")

    @handler
    def ask_shot(self, request: gr.Request, *values: Any) -> Out:
        return self._ask(values, request, "shot", "Shot: a new take")

    @handler
    def cancel_plan(self) -> Out:
        return {self.page.confirm_group: gr.update(visible=False), self.page.plan: None, self.page.notice: ""}

    @handler
    async def confirm(self, request: gr.Request, *values: Any) -> Out:
        """Submit the planned shots (only if the total is still what the reviewer confirmed)."""
        shown, (token, visitor_key) = self.shown(values, request)
        address = client_address(request, trust_proxy=self.runtime.settings.trust_proxy)
        result = await asyncio.to_thread(self.session.generate, shown, token, visitor_key, address)
        p = self.page
        if result is None:
            return {p.confirm_group: gr.update(visible=False), p.plan: None}
        if isinstance(result, Plan):
            return self.confirmation(result, str(token.get("what", "")))
        out = self.live(result.board, shown.owner or "", shown.shot_id)
        out.update({p.confirm_group: gr.update(visible=False), p.plan: None, p.timer: gr.Timer(active=True)})
        out.update(self.sent_notice(result))
        return out

    def sent_notice(self, sent: Sent) -> Out:
        n = len(sent.takes)
        shots = f"{n} shot{'s' if n != 1 else ''}"
        waiting = len(sent.waiting)
        follow = (
            f" {waiting} chained shot{'s' if waiting != 1 else ''} will follow, each once the shot before it "
            "is done." if waiting else ""
        )
        if not sent.errors:
            return self.say(
                "success",
                f"Sent {shots}: the tiles follow each one live.{follow}",
                "Jobs keep running if you close this tab; they are saved to your history.",
            )
        lines = []
        for sid, exc in sent.errors.items():
            number = sent.board.number_of(sid) if find_shot(sent.board, sid) else "?"
            text = exc.message if isinstance(exc, SeedanceError) else str(exc) or type(exc).__name__
            if isinstance(exc, RuntimeError):
                text = "the job manager is not running"
            lines.append(f"Shot {number}: {text}")
        return self.say(
            "warning",
            f"{shots} sent; {len(sent.errors)} could not be sent.",
            "The others are rendering; fix the shots named here and retry them.",
            items=lines,
        )
