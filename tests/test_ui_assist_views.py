"""The assist panels' pure parts (seedance_ui/ui/assist/): model output escaped in every view, the planned
shot table read back and checked by the board's rules, unknown cast names kept as plain words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seedance_ui.llm.diff import word_diff
from seedance_ui.llm.events import PlannedShot
from seedance_ui.ui.assist import shot_table
from seedance_ui.ui.assist import views as av
from seedance_ui.ui.assist.prompt_assist import translation_target

ATTACK = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def test_model_output_is_escaped_in_every_view() -> None:
    old = "A keeper climbs the stairs."
    new = f"A keeper {ATTACK} climbs the stairs."
    changes = word_diff(old, new)
    views = [
        av.stream_html("enhanced", new),
        av.diff_html("enhanced", old, changes, [c.id for c in changes], [ATTACK]),
        av.variation_html(1, new),
        av.version_diff_html("varied", old, new, changes),
        av.line_html("error", ATTACK),
    ]
    for html in views:
        assert "<img" not in html and "<script" not in html, html
        assert "&lt;img" in html


def test_diff_marks_taken_and_left_out_changes() -> None:
    old, new = "a keeper climbs", "A weathered keeper climbs slowly"
    changes = word_diff(old, new)
    html = av.diff_html("enhanced", old, changes, {changes[0].id})
    assert html.count('class="sd-change is-on"') == 1 and html.count('class="sd-change is-off"') == 1
    assert "1 of 2 changes ticked" in html
    assert av.change_label(1, changes[0]) == "1. “a” → “A weathered”"


def test_translation_goes_to_the_other_language() -> None:
    assert translation_target("守夜人登上灯塔 @image1") == "en"
    assert translation_target("A keeper climbs 灯塔") == "zh"


def test_the_table_round_trips_and_is_checked_by_the_board_rules() -> None:
    shots = (
        PlannedShot("Arrival", "@[Mara] reaches the lighthouse at dusk, wide shot.", 6, False, ("Mara",)),
        PlannedShot("Stairs", "The keeper climbs, slow dolly in.", 5, True, ("Keeper",)),
    )
    rows = shot_table.rows_of(shots)
    checked = shot_table.check_rows(rows, ["Mara"])
    assert checked.problems == () and checked.shots == shots and checked.unknown_cast == ("Keeper",)

    rows[0][2] = 99  # duration out of range
    rows[0][3] = "yes"  # the first shot cannot continue
    rows[1][1] = ""
    problems = "\n".join(shot_table.check_rows(rows, ["Mara"]).problems)
    assert "Shot 2 — prompt" in problems
    assert shot_table.check_rows([], []).problems


def test_unknown_cast_is_left_out_and_its_mentions_become_words() -> None:
    shots = (PlannedShot("One", "@[Mara] hands @[Old Tom] the lamp.", 5, False, ("Mara", "Old Tom")),)
    (draft,) = shot_table.drafts(shots, {"mara": "id-mara"})
    assert draft["cast"] == ["id-mara"]
    assert draft["prompt"] == "@[Mara] hands Old Tom the lamp."
    assert draft["chain"] is False


def elem_ids(settings: Any) -> set[str]:
    from seedance_ui.ui.server import create_app

    demo, runtime = create_app(settings)
    try:
        return {str(c.get("props", {}).get("elem_id")) for c in demo.get_config_file()["components"]}
    finally:
        runtime.close()


def test_seedance_llm_off_removes_every_assist_panel(tmp_path: Path) -> None:
    from seedance_ui.config import Settings

    on = elem_ids(Settings(api_key="", data_dir=tmp_path / "on"))
    off = elem_ids(Settings(api_key="", data_dir=tmp_path / "off", llm=False))
    assist = {"sd-enhance", "sd-versions", "sb-enhance", "sb-versions", "sb-script", "sb-plan-shots"}
    assert assist <= on
    assert not assist & off and {"sd-prompt", "sb-shot-prompt"} <= off
