"""The script box: a script or treatment pasted in, *Plan shots* asks the model for a shot list, shown as
a table the writer edits (title, prompt, duration, continues, cast; checked by the board's own rules as
it changes), then *Add to board* appends the shots to the open board. Cast names are matched to the
board's cast and ticked; names the board has no entry for are offered as new cast entries to add with a
picture (their mentions stay plain words until then). Placed only when the model's features are on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import gradio as gr

from seedance_ui.llm.events import Failed, ShotPlan
from seedance_ui.storyboard.session import Refused
from seedance_ui.storyboard.validation import name_key
from seedance_ui.ui.assist import shot_table
from seedance_ui.ui.assist import views as av
from seedance_ui.ui.assist.target import CRAFT, caller_of, shot_subject
from seedance_ui.ui.assist.versions import record
from seedance_ui.ui.common import Out, toast_warning
from seedance_ui.ui.storyboard.page import QUICK, handler
from seedance_ui.ui.storyboard.panel import TabPanel
from seedance_ui.ui.views import esc

SCRIPT_PLACEHOLDER = (
    "Paste a script or a treatment: a paragraph a scene. Plan shots proposes a shot list you edit before "
    "anything is added."
)


def problems_html(problems: Any, unknown_cast: Any = ()) -> str:
    """The table's problems (each named by shot and column), and the new cast names it offers."""
    items = "".join(f"<li>{esc(p)}</li>" for p in problems)
    listed = f'<ul class="sd-assist-problems" role="alert">{items}</ul>' if items else ""
    names = ", ".join(str(n) for n in unknown_cast)
    offer = (
        f'<p class="sd-assist-offer">New cast: <b>{esc(names)}</b>. Add each to <i>Cast and looks</i> with a '
        "picture, then tick it in its shots; until then the name stays a plain word in the prompt.</p>"
        if names
        else ""
    )
    return listed + offer


class ScriptPanel(TabPanel):
    """The script box and its planned shot table."""

    def build(self) -> None:
        p = self.page
        with gr.Accordion("Script to shots", open=False, elem_id="sb-script-panel", elem_classes="sd-assist"):
            p.script = gr.Textbox(
                label="Script", lines=6, max_lines=20, placeholder=SCRIPT_PLACEHOLDER, elem_id="sb-script"
            )
            with gr.Row(equal_height=True, elem_classes="sd-assist-bar"):
                p.plan_btn = gr.Button(
                    "Plan shots", variant="primary", size="sm", min_width=110, elem_id="sb-plan-shots"
                )
                p.script_line = gr.HTML(
                    "", elem_id="sb-script-line", elem_classes="sd-assist-line-block", padding=False
                )
            with gr.Column(visible=False, elem_id="sb-planned", elem_classes="sd-assist-review") as col:
                p.planned_col = col
                p.planned = gr.Dataframe(
                    headers=list(shot_table.COLUMNS),
                    datatype=list(shot_table.DATATYPES),
                    type="array",
                    interactive=True,
                    wrap=True,
                    column_widths=["16%", "50%", "10%", "10%", "14%"],
                    label="Planned shots (edit any cell; continues: yes or no)",
                    elem_id="sb-planned-table",
                )
                p.planned_notes = gr.HTML("", elem_id="sb-planned-notes", padding=False)
                with gr.Row(elem_classes="sd-assist-actions"):
                    p.add_planned_btn = gr.Button(
                        "Add to board", variant="primary", size="sm", min_width=120, elem_id="sb-add-planned"
                    )
                    p.discard_plan_btn = gr.Button(
                        "Discard", size="sm", variant="stop", min_width=90, elem_id="sb-discard-plan"
                    )

    def wire(self) -> None:
        p = self.page
        shown, everything = p.shown_inputs(), p.everything()
        mine = [p.planned_col, p.planned, p.planned_notes, p.script_line]
        p.plan_btn.click(self.plan_shots, [*shown, p.script, p.visitor_key], mine, **CRAFT)
        p.planned.input(self.on_table, [*shown, p.planned], [p.planned_notes], **QUICK)
        p.add_planned_btn.click(self.add_to_board, [*shown, p.planned], [*everything, *mine], **QUICK)
        p.discard_plan_btn.click(self.discard, None, mine, **QUICK)

    def cast_names(self, owner: str | None, board_id: str | None) -> list[str]:
        board = self.session.boards.get(owner, board_id) if owner and board_id else None
        return [e.name for e in board.cast] if board is not None else []

    def line(self, kind: str, message: str, toast: bool = False) -> Out:
        if toast:
            toast_warning(message, title="Plan shots")
        return {self.page.script_line: av.line_html(kind, message)}

    @handler
    async def plan_shots(self, request: gr.Request, *values: Any) -> AsyncIterator[Out]:
        """The script as a proposed shot list (the model), checked, shown as the editable table."""
        shown, (script, visitor_key) = self.shown(values, request)
        text = script if isinstance(script, str) else ""
        caller = caller_of(self.runtime, values[0], visitor_key, request)
        if not text.strip():
            yield self.line("warning", "Script: paste a script or treatment first.", toast=True)
            return
        if caller is None or shown.board_id is None:
            yield self.line("warning", "Open a board first.", toast=True)
            return
        yield self.line("info", "Planning shots…")
        names = self.cast_names(shown.owner, shown.board_id)
        plan = await asyncio.to_thread(self.runtime.craft.plan_shots, caller, text, names)
        if isinstance(plan, Failed) or not isinstance(plan, ShotPlan):
            message = plan.message if isinstance(plan, Failed) else "The model gave no shot list; try again."
            yield self.line("error", message, toast=True)
            return
        p = self.page
        count = len(plan.shots)
        yield {
            p.planned_col: gr.update(visible=True),
            p.planned: shot_table.rows_of(plan.shots),
            p.planned_notes: problems_html((), plan.unknown_cast),
            **self.line("success", f"{count} shot{'s' if count != 1 else ''} planned: edit them, then add."),
        }

    @handler
    def on_table(self, request: gr.Request, *values: Any) -> Out:
        """A cell changed: the table checked again."""
        shown, (rows,) = self.shown(values, request)
        checked = shot_table.check_rows(rows, self.cast_names(shown.owner, shown.board_id))
        return {self.page.planned_notes: problems_html(checked.problems, checked.unknown_cast)}

    @handler
    def add_to_board(self, request: gr.Request, *values: Any) -> Out:
        """The table's shots appended to the open board (each prompt kept as an "imported" version)."""
        p = self.page
        shown, (rows,) = self.shown(values, request)
        board = self.session.commit(shown)
        if board is None or shown.owner is None:
            return self.say("warning", "Open a board first.")
        checked = shot_table.check_rows(rows, [e.name for e in board.cast])
        if checked.problems:
            notes = problems_html(checked.problems, checked.unknown_cast)
            return {p.planned_notes: notes, **self.line("error", "Fix the table's problems first.")}
        cast_ids = {name_key(e.name): e.id for e in board.cast}
        try:
            board, added = self.session.append_shots(shown, shot_table.drafts(checked.shots, cast_ids))
        except Refused as refusal:
            return {**self.refused(refusal), **self.line("error", refusal.message)}
        for shot in added:
            record(self.runtime, shown.owner, shot_subject(board.id, shot.id), shot.prompt, "imported")
        message = f"Added {len(added)} shot{'s' if len(added) != 1 else ''} to the board."
        out = self.full(board, shown, added[0].id if added else shown.shot_id, message, "success")
        out.update({p.planned_col: gr.update(visible=False), p.planned: None, p.script_line: ""})
        out[p.planned_notes] = problems_html((), checked.unknown_cast)
        return out

    @handler
    def discard(self) -> Out:
        p = self.page
        return {
            p.planned_col: gr.update(visible=False),
            p.planned: None,
            p.planned_notes: "",
            **self.line("info", "Shot plan discarded: nothing was added."),
        }
