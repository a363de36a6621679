"""The script box: a script or treatment pasted in, *Plan shots* asks the model for a shot list, shown as
a table the writer edits (title, prompt, duration, continues, cast; checked by the board's own rules as
it changes), then *Add to board* appends the shots to the open board. Cast names are matched to the
board's cast and ticked; names the board has no entry for are offered as new cast entries ("Add as new
cast", all ticked): a ticked one is added without a picture yet and ticked in its shots (Generate refuses
them until it has one), an unticked one stays a plain word in the prompt. Placed only when the model's
features are on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import gradio as gr

from seedance_ui.llm.events import Failed, ShotPlan
from seedance_ui.storyboard.model import CastEntry
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
        f'<p class="sd-assist-offer">New cast: <b>{esc(names)}</b>. Each one ticked under <i>Add as new '
        "cast</i> joins the board's cast without a picture yet (add one in <i>Cast and looks</i> before "
        "generating its shots); an unticked name stays a plain word in the prompt.</p>"
        if names
        else ""
    )
    return listed + offer


def new_cast_update(unknown_cast: Any, ticked: Any = None) -> Any:
    """The "Add as new cast" choices: the table's new names, all ticked at first (`ticked` None), else
    those the writer kept ticked; hidden when there are none."""
    names = [str(n) for n in unknown_cast]
    keep = {name_key(str(n)) for n in ticked or []} if ticked is not None else None
    value = [n for n in names if keep is None or name_key(n) in keep]
    return gr.update(choices=names, value=value, visible=bool(names))


def entries_to_add(unknown_cast: Any, ticked: Any) -> list[CastEntry]:
    """New cast entries without a picture for the new names the writer ticked (as the table spells them)."""
    keys = {name_key(str(n)) for n in ticked or [] if isinstance(n, str)}
    return [CastEntry(name=n) for n in unknown_cast if name_key(n) in keys]


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
                p.new_cast = gr.CheckboxGroup(
                    [],
                    label="Add as new cast",
                    info="Added without pictures yet: add one in Cast and looks before generating.",
                    visible=False,
                    elem_id="sb-new-cast",
                )
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
        mine = [p.planned_col, p.planned, p.planned_notes, p.script_line, p.new_cast]
        p.plan_btn.click(self.plan_shots, [*shown, p.script, p.visitor_key], mine, **CRAFT)
        table = [*shown, p.planned, p.new_cast]
        p.planned.input(self.on_table, table, [p.planned_notes, p.new_cast], **QUICK)
        p.add_planned_btn.click(self.add_to_board, table, [*everything, *mine], **QUICK)
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
            p.new_cast: new_cast_update(plan.unknown_cast),
            **self.line("success", f"{count} shot{'s' if count != 1 else ''} planned: edit them, then add."),
        }

    @handler
    def on_table(self, request: gr.Request, *values: Any) -> Out:
        """A cell changed: the table checked again."""
        shown, (rows, ticked) = self.shown(values, request)
        checked = shot_table.check_rows(rows, self.cast_names(shown.owner, shown.board_id))
        return {
            self.page.planned_notes: problems_html(checked.problems, checked.unknown_cast),
            self.page.new_cast: new_cast_update(checked.unknown_cast, ticked),
        }

    @handler
    def add_to_board(self, request: gr.Request, *values: Any) -> Out:
        """The table's shots appended to the open board (each prompt kept as an "imported" version), with
        the new cast names ticked under "Add as new cast" as entries without a picture yet."""
        p = self.page
        shown, (rows, ticked) = self.shown(values, request)
        board = self.session.commit(shown)
        if board is None or shown.owner is None:
            return self.say("warning", "Open a board first.")
        checked = shot_table.check_rows(rows, [e.name for e in board.cast])
        if checked.problems:
            notes = problems_html(checked.problems, checked.unknown_cast)
            return {p.planned_notes: notes, **self.line("error", "Fix the table's problems first.")}
        new_cast = entries_to_add(checked.unknown_cast, ticked)
        cast_ids = {name_key(e.name): e.id for e in [*board.cast, *new_cast]}
        try:
            drafts = shot_table.drafts(checked.shots, cast_ids)
            board, added = self.session.append_shots(shown, drafts, new_cast)
        except Refused as refusal:
            return {**self.refused(refusal), **self.line("error", refusal.message)}
        for shot in added:
            record(self.runtime, shown.owner, shot_subject(board.id, shot.id), shot.prompt, "imported")
        message = f"Added {len(added)} shot{'s' if len(added) != 1 else ''} to the board."
        if new_cast:
            names = ", ".join(f"“{e.name}”" for e in new_cast)
            message += f" New cast without a picture yet: {names}; add one in Cast and looks before Generate."
        out = self.full(board, shown, added[0].id if added else shown.shot_id, message, "success")
        out.update({p.planned_col: gr.update(visible=False), p.planned: None, p.script_line: ""})
        left = [n for n in checked.unknown_cast if all(name_key(n) != name_key(e.name) for e in new_cast)]
        out[p.planned_notes] = problems_html((), left)
        out[p.new_cast] = gr.update(choices=[], value=[], visible=False)
        return out

    @handler
    def discard(self) -> Out:
        p = self.page
        return {
            p.planned_col: gr.update(visible=False),
            p.planned: None,
            p.planned_notes: "",
            p.new_cast: gr.update(choices=[], value=[], visible=False),
            **self.line("info", "Shot plan discarded: nothing was added."),
        }
