"""Storyboard JSON (full fidelity, versioned) and CSV (spreadsheets) import/export."""

import csv
import io
import json

import pytest

from seedance_ui.options import DEFAULT_DURATION, MODEL_FAST, MODEL_STANDARD
from seedance_ui.storyboard import (
    COLUMNS,
    Board,
    BoardFormatError,
    Shot,
    Take,
    board_from_dict,
    board_to_csv,
    board_to_dict,
    dumps_board,
    import_board_json,
    import_csv,
    loads_board,
    shots_from_csv,
)


def _rich_board() -> Board:
    board = Board(
        owner="alice@example.com",
        title="Night chase «1»",
        aspect_ratio="9:16",
        quality="480p",
        model=MODEL_FAST,
        style="neon noir, rain",
        generate_audio=False,
        created_at=1000.5,
        updated_at=2000.25,
    )
    board.add_shot(title="Open", prompt='She said: "You\'re here." 雨', duration=8)
    shot = board.add_shot(title="Run", prompt="=cmd|' /C calc'!A0", model=MODEL_STANDARD, quality="720p")
    shot.generate_audio = True
    t1 = Take(job_id="a" * 32, created_at=3.0, params={"prompt": "x", "duration": 5})
    t2 = Take(job_id="b" * 32, created_at=4.0)
    shot.takes += [t1, t2]
    shot.chosen_take, shot.chosen_by_user = t2.id, True
    board.add_shot(title="", prompt="-dolly in, slow", duration=15)
    board.updated_at = 2000.25
    return board


# --- JSON --------------------------------------------------------------------------------------------


def test_json_round_trip_is_full_fidelity():
    board = _rich_board()
    text = dumps_board(board)
    data = json.loads(text)
    assert (data["format"], data["version"]) == ("seedance-storyboard", 1)
    assert data["settings"] == {
        "aspect_ratio": "9:16",
        "quality": "480p",
        "model": MODEL_FAST,
        "style": "neon noir, rain",
        "generate_audio": False,
    }
    assert loads_board(text) == board
    assert loads_board(text.encode("utf-8")) == board


def test_json_without_owner_for_sharing_and_import_as_new_board():
    board = _rich_board()
    shared = dumps_board(board, include_owner=False)
    assert "alice" not in shared
    with pytest.raises(BoardFormatError, match="owner"):
        loads_board(shared)
    mine = import_board_json(shared, "bob")
    assert mine.owner == "bob" and mine.id != board.id
    assert [s.prompt for s in mine.shots] == [s.prompt for s in board.shots]
    assert mine.shots[1].chosen_take == board.shots[1].chosen_take


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d.update(format="something-else"), "format"),
        (lambda d: d.update(version=2), "version"),
        (lambda d: d["shots"][1].update(duration="8"), "shots[1].duration"),
        (lambda d: d["shots"][2].update(title=None), "shots[2].title"),
        (lambda d: d["shots"][1]["takes"][0].update(job_id="../../x"), "shots[1].takes[0].job_id"),
        (lambda d: d["shots"][1].update(chosen_take="c" * 32), "shots[1].chosen_take"),
        (lambda d: d["settings"].update(generate_audio="yes"), "settings.generate_audio"),
        (lambda d: d.update(id="not-an-id"), "id"),
        (lambda d: d.update(shots={}), "shots"),
        (lambda d: d["shots"].append(d["shots"][0]), "shots"),
    ],
)
def test_json_errors_name_the_place(mutate, where):
    data = board_to_dict(_rich_board())
    mutate(data)
    with pytest.raises(BoardFormatError) as info:
        board_from_dict(data)
    assert info.value.where == where
    assert str(info.value).startswith(f"{where}: ")


def test_json_newer_version_says_so_and_garbage_is_rejected():
    data = board_to_dict(_rich_board())
    data["version"] = 7
    with pytest.raises(BoardFormatError, match="newer"):
        board_from_dict(data)
    with pytest.raises(BoardFormatError, match="not valid JSON"):
        loads_board("{nope")
    with pytest.raises(BoardFormatError, match="must be an object"):
        loads_board("[1, 2]")


def test_json_keeps_out_of_range_values_for_validation_to_report():
    data = board_to_dict(_rich_board())
    data["shots"][0]["duration"] = 99
    data["settings"]["model"] = "retired-model"
    board = board_from_dict(data)
    assert board.shots[0].duration == 99 and board.model == "retired-model"


# --- CSV ---------------------------------------------------------------------------------------------


def _csv(*rows: str, header: str = ",".join(COLUMNS)) -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


def test_csv_round_trip_into_the_same_board():
    board = _rich_board()
    text = board_to_csv(board)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    shots = shots_from_csv(text, board)
    fields = ("title", "prompt", "duration", "model", "quality", "generate_audio")
    assert [[getattr(s, f) for f in fields] for s in shots] == [
        [getattr(s, f) for f in fields] for s in board.shots
    ]
    assert all(s.takes == [] for s in shots)


def test_csv_export_is_safe_for_spreadsheets():
    text = board_to_csv(_rich_board())
    assert "'=cmd" in text and "'-dolly" in text
    # and the escape is undone on import, even for a prompt that starts with an apostrophe
    board = Board(owner="a")
    board.add_shot(prompt="'=already quoted")
    assert shots_from_csv(board_to_csv(board), board)[0].prompt == "'=already quoted"


@pytest.mark.parametrize("cell", [" =1+1", "\n=HYPERLINK(\"x\")", "  @SUM(A1)", "\t-3", "\r+1", " \t=cmd"])
def test_csv_neutralises_formulas_behind_leading_white_space(cell):
    board = Board(owner="a")
    board.add_shot(title=cell, prompt=cell)
    row = list(csv.reader(io.StringIO(board_to_csv(board))))[1]
    assert row[1] == "'" + cell and row[2] == "'" + cell
    back = shots_from_csv(board_to_csv(board), board)[0]
    assert back.prompt == cell  # the escape is undone on import


def test_csv_export_writes_effective_values():
    board = Board(owner="a", model=MODEL_FAST, quality="480p", generate_audio=False)
    board.add_shot(title="t", prompt="p", duration=6)
    row = board_to_csv(board).splitlines()[1]
    assert row == f"1,t,p,6,{MODEL_FAST},480p,false"


def test_csv_import_uses_current_board_settings():
    board = Board(owner="a", model=MODEL_FAST, quality="480p", generate_audio=False)
    text = _csv(
        "1,Open,a fox,8,,,",
        f"2,Same as board,a cat,6,{MODEL_FAST},480P,no",
        "3,Different,a dog,,standard,720,yes",
    )
    a, b, c = shots_from_csv(text, board)
    assert (a.title, a.prompt, a.duration) == ("Open", "a fox", 8)
    assert (a.model, a.quality, a.generate_audio) == (None, None, None)
    assert (b.model, b.quality, b.generate_audio) == (None, None, None)
    assert (c.duration, c.model) == (DEFAULT_DURATION, MODEL_STANDARD)
    assert (c.quality, c.generate_audio) == ("720p", True)


def test_csv_accepts_semicolons_bom_extra_columns_and_blank_rows():
    text = "\ufeffPrompt;Notes;Duration;Title\n\n a pan across; whatever ;4;Pan\n;;;\n"
    [shot] = shots_from_csv(text.encode("utf-8"), Board(owner="a"))
    assert (shot.prompt, shot.duration, shot.title) == ("a pan across", 4, "Pan")


def test_csv_multiline_prompt_and_row_numbers_count_records():
    text = _csv('1,A,"line one\nline two",5,,,', "2,B,ok,abc,,,")
    with pytest.raises(BoardFormatError) as info:
        shots_from_csv(text, Board(owner="a"))
    assert (info.value.row, info.value.column) == (3, "duration")


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        ("1,A,p,eight,,,", "duration", "whole number"),
        ("1,A,p,4.5,,,", "duration", "whole number"),
        ("1,A,p,20,,,", "duration", "outside 4 to 15"),
        ("1,A,p,5,gpt-video,,", "model", "not a model"),
        ("1,A,p,5,,1080p,", "quality", "not a quality"),
        ("1,A,p,5,,,maybe", "generate_audio", "not true or false"),
        ("1," + "T" * 201 + ",p,5,,,", "title", "at most 200"),
    ],
)
def test_csv_errors_name_row_and_column(row, column, words):
    text = _csv("1,fine,p,5,,,", row)
    with pytest.raises(BoardFormatError) as info:
        shots_from_csv(text, Board(owner="a"))
    err = info.value
    assert (err.row, err.column) == (3, column)
    assert str(err).startswith(f"row 3, column {column}: ")
    assert words in str(err)


def test_csv_header_problems():
    with pytest.raises(BoardFormatError) as info:
        shots_from_csv("title,duration\nA,5\n", Board(owner="a"))
    assert (info.value.row, info.value.column) == (1, "prompt")
    with pytest.raises(BoardFormatError, match="column prompt: appears twice"):
        shots_from_csv("prompt,Prompt\na,b\n", Board(owner="a"))
    with pytest.raises(BoardFormatError, match="empty"):
        shots_from_csv("\n\n", Board(owner="a"))


def test_import_csv_replaces_or_appends_and_changes_nothing_on_error():
    board = _rich_board()
    before = [s.id for s in board.shots]
    with pytest.raises(BoardFormatError):
        import_csv(board, _csv("1,a,p,5,,,", "2,b,p,x,,,"))
    assert [s.id for s in board.shots] == before
    added = import_csv(board, _csv("1,a,p,5,,,"), replace=False)
    assert [s.id for s in board.shots] == [*before, added[0].id]
    import_csv(board, _csv("1,a,p,5,,,", "2,b,q,6,,,"))
    assert [s.prompt for s in board.shots] == ["p", "q"]
    assert all(isinstance(s, Shot) and not s.takes for s in board.shots)
