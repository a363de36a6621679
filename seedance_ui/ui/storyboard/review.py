"""The Review panel: *Share for review* (expiry, optional passphrase, whether prompts are shown), the link
to send, the board's links with *Revoke*, and the review's Notes CSV and EDL. Also the review's live
side elsewhere in the tab: a timer (REVIEW_TICK_SECONDS) that redraws the tiles' verdicts, the review bar
and the selected shot's notes when reviewers do something, "Mark read" in the bar, and *Resolve* on a note.

Everything goes through `runtime.reviews` (seedance_ui/review, no Gradio); the link is built with the
reviewer page's own `review_url`, on this page's origin (SEEDANCE_PUBLIC_URL when it is set).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from seedance_ui.review import DEFAULT_EXPIRY_DAYS, ReviewRefused
from seedance_ui.review.rules import MAX_PASSPHRASE_CHARS
from seedance_ui.storyboard.model import is_valid_id
from seedance_ui.storyboard.page import Shown
from seedance_ui.storyboard.session import REVIEW_EDL_SUFFIX, REVIEW_NOTES_SUFFIX, Refused
from seedance_ui.ui.common import Out, owner_of, public_base_url, script, section
from seedance_ui.ui.review.routes import review_url
from seedance_ui.ui.storyboard import review_live as rvl
from seedance_ui.ui.storyboard import review_views as rvv
from seedance_ui.ui.storyboard.page import QUICK, handler
from seedance_ui.ui.storyboard.panel import TabPanel
from seedance_ui.ui.views import notice_html

SHARE_NOTE = (
    "Anyone with the link can watch the chosen takes, pin notes to a moment and approve or request changes "
    "per shot, without an account; nothing else of yours, and no way to generate or spend."
)


def page_origin(settings: Any, request: gr.Request | None) -> str:
    """This page's public address for links: SEEDANCE_PUBLIC_URL, else what the browser's request used
    (`common.public_base_url`, as agent_api's download links)."""
    return public_base_url(getattr(settings, "public_url", "") or "", request)


class ReviewPanel(TabPanel):
    """Share, the links and *Revoke*, the review's files; and the review's live parts (timer, bar, notes)."""

    def build(self) -> None:
        """The Review panel (placed near the exports); the bar and notes are placed by the tab and editor."""
        p = self.page
        p.review_sig = gr.State("")
        p.review_timer = gr.Timer(rvl.REVIEW_TICK_SECONDS, active=False)
        with gr.Column(elem_classes="sd-panel", elem_id="sb-review"):
            section("Review with your team", SHARE_NOTE)
            with gr.Row(equal_height=False, elem_id="sb-share-row"):
                p.share_days = gr.Dropdown(
                    [(f"{d} day{'s' if d != 1 else ''}", d) for d in rvv.EXPIRY_CHOICES],
                    value=DEFAULT_EXPIRY_DAYS, label="Link expires in", min_width=140,
                    elem_id="sb-share-days",
                )
                p.share_pass = gr.Textbox(
                    label="Passphrase (optional)", type="password", max_length=MAX_PASSPHRASE_CHARS,
                    min_width=200, elem_id="sb-share-pass",
                )
                p.share_prompts = gr.Checkbox(
                    value=True, label="Show prompts", info="Reviewers read each shot's prompt",
                    min_width=160, elem_id="sb-share-prompts",
                )
                p.share_btn = gr.Button(
                    "Share for review", variant="primary", min_width=170, elem_id="sb-share"
                )
            p.review_link = gr.Textbox(
                label="Review link — copy it and send it (shown once)", interactive=False, visible=False,
                buttons=["copy"], elem_id="sb-review-link",
            )
            p.review_note = gr.HTML("", elem_id="sb-review-note")
            p.review_links = gr.HTML(rvv.links_html([]), elem_id="sb-review-links")
            with gr.Row(equal_height=False, elem_id="sb-revoke-row"):
                p.revoke_pick = gr.Dropdown(
                    [], label="Link to revoke", min_width=220, scale=3, elem_id="sb-revoke-pick"
                )
                p.revoke_btn = gr.Button(
                    "Revoke", variant="stop", min_width=100, scale=1, elem_id="sb-revoke"
                )
                p.notes_csv_btn = gr.Button("Notes CSV", min_width=120, scale=1, elem_id="sb-review-csv")
                p.edl_btn = gr.Button("EDL", min_width=90, scale=1, elem_id="sb-review-edl")
            p.review_files = gr.File(
                label="Review files", file_count="multiple", interactive=False, visible=False,
                elem_id="sb-review-files",
            )

    def wire(self) -> None:
        p = self.page
        shown, everything = p.shown_inputs(), p.everything()
        panel = [p.review_link, p.review_note, p.review_files, p.share_pass]
        p.share_btn.click(
            self.share, [*shown, p.share_days, p.share_pass, p.share_prompts], [*everything, *panel], **QUICK
        )
        p.revoke_btn.click(self.revoke, [*shown, p.revoke_pick], [*everything, *panel], **QUICK)
        p.notes_csv_btn.click(self.notes_csv, shown, [*everything, *panel], **QUICK)
        p.edl_btn.click(self.edl, shown, [*everything, *panel], **QUICK)
        p.review_timer.tick(
            self.on_review_tick, [p.owner, p.board_box, p.shot_box, p.review_sig], everything, **QUICK
        )
        p.review_bar.click(self.on_bar, shown, everything, **QUICK)
        p.review_notes.click(self.on_note, shown, everything, **QUICK)

    def place_bar(self) -> None:
        """The review bar (above the tiles): verdicts at a glance and the new notes, with "Mark read"."""
        self.page.review_bar = gr.HTML("", elem_id="sb-review-bar", js_on_load=script("sb-takes.js"))

    # ---------------------------------------------------------------------------------------------
    def _redraw(self, shown: Shown, message: str = "", kind: str = "success") -> Out:
        board = self.session.commit(shown)
        if board is None or shown.owner is None:
            return {self.page.review_note: notice_html("warning", "Open a board first.")}
        out = self.live(board, shown.owner, shown.shot_id)
        out[self.page.review_note] = notice_html(kind, message) if message else ""
        return out

    @handler
    def share(self, request: gr.Request, *values: Any) -> Out:
        """*Share for review*: a new link to the open board, shown in full once."""
        shown, (days, passphrase, prompts) = self.shown(values, request)
        board = self.session.commit(shown)
        if board is None or shown.owner is None:
            return {self.page.review_note: notice_html("warning", "Open a board first.")}
        try:
            token, link = self.runtime.reviews.share(
                shown.owner, board.id, expires_in_days=days if days is not None else DEFAULT_EXPIRY_DAYS,
                passphrase=passphrase or None, show_prompts=bool(prompts),
            )
        except ReviewRefused as exc:
            return {self.page.review_note: notice_html("warning", exc.message)}
        url = review_url(page_origin(self.runtime.settings, request), token)
        title = board.title.strip() or "Untitled storyboard"
        guard = " with a passphrase (send it separately)" if link.has_passphrase else ""
        message = f"Link made for “{title}”{guard}; it stops working on {rvv.when(link.expires_at)}."
        out = self._redraw(shown, message)
        out[self.page.review_link] = gr.update(
            value=url, visible=True, label=f"Review link for “{title}” — copy it and send it (shown once)"
        )
        out[self.page.share_pass] = ""
        return out

    @handler
    def revoke(self, request: gr.Request, *values: Any) -> Out:
        shown, (link_id,) = self.shown(values, request)
        if shown.owner is None or not is_valid_id(link_id):
            return {self.page.review_note: notice_html("warning", "Pick the link to revoke first.")}
        if not self.runtime.reviews.revoke(shown.owner, link_id):
            return {self.page.review_note: notice_html("warning", "That link is not one of yours.")}
        out = self._redraw(shown, "Revoked: the link stops working now, open pages included.")
        out[self.page.review_link] = gr.update(value="", visible=False)
        return out

    @handler
    def notes_csv(self, request: gr.Request, *values: Any) -> Out:
        return self._review_file(self.shown(values, request)[0], REVIEW_NOTES_SUFFIX, "export_csv")

    @handler
    def edl(self, request: gr.Request, *values: Any) -> Out:
        return self._review_file(self.shown(values, request)[0], REVIEW_EDL_SUFFIX, "export_edl")

    def _review_file(self, shown: Shown, suffix: str, verb: str) -> Out:
        owner, reviews = shown.owner, self.runtime.reviews
        if owner is None or not shown.board_id or not reviews.has_review(owner, shown.board_id):
            return {self.page.review_note: notice_html("warning", "Share the board for review first.")}
        try:
            board, path = self.session.export_review_text(
                shown, suffix, lambda b: str(getattr(reviews, verb)(owner, b.id))
            )
        except Refused as refusal:
            return {self.page.review_note: notice_html(refusal.kind, refusal.message)}
        names = {path.name.removesuffix(suffix) + end for end in (REVIEW_NOTES_SUFFIX, REVIEW_EDL_SUFFIX)}
        files = [f for f in self.session.exported(board, owner) if f.name in names]
        out = self._redraw(shown, f"Ready: {path.name}.")
        out[self.page.review_files] = gr.update(value=[str(f) for f in files], visible=True)
        return out

    # ---------------------------------------------------------------------------------------------
    # live
    @handler
    def on_review_tick(self, request: gr.Request, owner: Any, board_id: Any, shot_id: Any, sig: Any) -> Out:
        """Every REVIEW_TICK_SECONDS while the open board is shared: redraw only when reviewers did
        something (or a link was opened or revoked)."""
        shown = Shown.of(owner_of(owner, request, self.runtime.settings), board_id, shot_id)
        if shown.owner is None or shown.board_id is None:
            return {self.page.review_timer: gr.Timer(active=False)}
        summary = rvl.summary_of(self.runtime, self.page, shown.owner, shown.board_id)
        if summary is None:
            return {self.page.review_timer: gr.Timer(active=False)}
        if rvl.signature(summary, shown.shot_id) == (sig or ""):
            return {self.page.review_sig: gr.skip()}
        board = self.session.refreshed(Shown.of(shown.owner, shown.board_id, None))
        if board is None:
            return {self.page.review_timer: gr.Timer(active=False)}
        out = self.live(board, shown.owner, shown.shot_id)
        p = self.page
        keep = {p.tiles, p.review_bar, p.review_notes, p.review_links, p.revoke_pick, p.review_sig, p.summary}
        return {component: value for component, value in out.items() if component in keep}

    @handler
    def on_bar(self, evt: gr.EventData, request: gr.Request, *values: Any) -> Out:
        """ "Mark read" in the review bar: the notes so far are no longer new."""
        data = getattr(evt, "_data", None) or {}
        shown = self.shown(values, request)[0]
        if data.get("action") != "seen" or shown.owner is None or shown.board_id is None:
            return {self.page.notice: gr.skip()}
        self.runtime.reviews.mark_seen(shown.owner, shown.board_id)
        return self._review_only(shown)

    @handler
    def on_note(self, evt: gr.EventData, request: gr.Request, *values: Any) -> Out:
        """*Resolve* (or *Reopen*) on a note in the shot editor."""
        data = getattr(evt, "_data", None) or {}
        action, note_id = data.get("action"), data.get("note")
        shown = self.shown(values, request)[0]
        if action not in ("resolve", "reopen") or not is_valid_id(note_id) or shown.owner is None:
            return {self.page.notice: gr.skip()}
        if not self.runtime.reviews.resolve(shown.owner, note_id, resolved=action == "resolve"):
            return self.say("warning", "That note is not on one of your boards.")
        return self._review_only(shown)

    def _review_only(self, shown: Shown) -> Out:
        board = self.session.refreshed(Shown.of(shown.owner, shown.board_id, None))
        if board is None or shown.owner is None:
            return {self.page.notice: gr.skip()}
        out = self.live(board, shown.owner, shown.shot_id)
        p = self.page
        keep = {p.tiles, p.review_bar, p.review_notes, p.review_links, p.revoke_pick, p.review_sig}
        return {component: value for component, value in out.items() if component in keep}


__all__ = ["ReviewPanel", "page_origin"]
