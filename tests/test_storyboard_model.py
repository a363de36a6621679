"""Storyboard model: shot operations, effective requests and per-shot problems."""

import pytest

from seedance_ui.client import GenerationRequest
from seedance_ui.options import MODEL_FAST, MODEL_STANDARD
from seedance_ui.storyboard import (
    Board,
    Shot,
    StoryboardError,
    Take,
    board_problems,
    compose_prompt,
    effective_request,
    shot_problems,
    slugify,
)
from seedance_ui.storyboard.model import MAX_SHOTS, check_id, is_valid_id


def _board(n: int = 4) -> Board:
    board = Board(owner="alice", title="Chase")
    for i in range(n):
        board.add_shot(title=f"S{i + 1}", prompt=f"prompt {i + 1}", duration=5)
    return board


def _titles(board: Board) -> list[str]:
    return [s.title for s in board.shots]


def test_ids_are_uuid4_hex():
    board = _board(1)
    assert is_valid_id(board.id) and is_valid_id(board.shots[0].id)
    assert not is_valid_id("../" + board.id[3:])
    with pytest.raises(StoryboardError):
        check_id("ABC", "board id")


def test_add_at_index_and_end():
    board = _board(2)
    board.add_shot(title="first", index=0)
    board.add_shot(Shot(title="last"))
    board.add_shot(title="clamped", index=99)
    assert _titles(board) == ["first", "S1", "S2", "last", "clamped"]
    with pytest.raises(StoryboardError):
        board.add_shot(board.shots[0])  # same id twice


def test_reorder_and_moves_clamp_at_the_ends():
    board = _board(4)
    s1, _, s3, s4 = board.shots
    board.reorder(s4.id, 0)
    assert _titles(board) == ["S4", "S1", "S2", "S3"]
    board.move_down(s4.id)
    assert _titles(board) == ["S1", "S4", "S2", "S3"]
    board.move_up(s1.id)  # already first
    assert _titles(board) == ["S1", "S4", "S2", "S3"]
    board.move_down(s3.id)  # already last
    board.reorder(s1.id, 10)
    assert _titles(board) == ["S4", "S2", "S3", "S1"]
    board.move_shot(s1.id, -2)
    assert _titles(board) == ["S4", "S1", "S2", "S3"]
    assert board.number_of(s1.id) == 2


def test_duplicate_keeps_prompt_and_settings_but_no_takes():
    board = _board(3)
    src = board.shots[1]
    src.model, src.quality, src.generate_audio, src.duration = MODEL_FAST, "480p", False, 9
    take = Take(job_id="a" * 32)
    src.takes.append(take)
    src.chosen_take = take.id
    copy = board.duplicate_shot(src.id)
    assert board.shots[2] is copy and board.number_of(copy.id) == 3
    assert copy.id != src.id
    assert (copy.title, copy.prompt, copy.duration) == (src.title, src.prompt, 9)
    assert (copy.model, copy.quality, copy.generate_audio) == (MODEL_FAST, "480p", False)
    assert copy.takes == [] and copy.chosen_take is None
    assert len(src.takes) == 1


def test_delete_removes_only_that_shot():
    board = _board(3)
    gone = board.delete_shot(board.shots[1].id)
    assert gone.title == "S2" and _titles(board) == ["S1", "S3"]
    with pytest.raises(KeyError):
        board.shot(gone.id)


def test_operations_touch_updated_at():
    board = _board(2)
    board.updated_at = 0.0
    board.move_down(board.shots[0].id)
    assert board.updated_at > 0


def test_shot_limit():
    board = Board(owner="a")
    board.shots = [Shot() for _ in range(MAX_SHOTS)]
    with pytest.raises(StoryboardError):
        board.add_shot(title="one too many")


def test_effective_request_uses_board_settings_and_style():
    board = Board(owner="a", quality="480p", aspect_ratio="9:16", model=MODEL_FAST, generate_audio=False)
    board.style = "  shot on 35mm film, teal and orange  "
    shot = board.add_shot(prompt="A fox runs through snow. ", duration=7)
    req = effective_request(board, shot)
    assert isinstance(req, GenerationRequest) and board.effective_request(shot) == req
    assert req == GenerationRequest(
        prompt="A fox runs through snow., shot on 35mm film, teal and orange",
        model=MODEL_FAST,
        duration=7,
        quality="480p",
        aspect_ratio="9:16",
        generate_audio=False,
    )


def test_effective_request_per_shot_overrides():
    board = Board(owner="a", quality="480p", model=MODEL_FAST, generate_audio=False)
    shot = board.add_shot(prompt="p", model=MODEL_STANDARD, quality="720p", generate_audio=True)
    req = effective_request(board, shot)
    assert (req.prompt, req.model, req.quality, req.generate_audio) == ("p", MODEL_STANDARD, "720p", True)


def test_compose_prompt_without_style_or_prompt():
    assert compose_prompt("A cat", "") == "A cat"
    assert compose_prompt("  ", "noir") == ""  # an empty prompt stays empty, and is reported


def test_problems_name_the_shot_and_field():
    board = _board(3)
    board.style = "noir"
    board.shots[0].prompt = "  "
    board.shots[1].duration = 20
    board.shots[2].model = "seedance-9"
    problems = board_problems(board)
    assert [(p.number, p.field) for p in problems] == [(1, "prompt"), (2, "duration"), (3, "model")]
    assert "Shot 2 — duration:" in str(problems[1])
    assert problems[1].shot_id == board.shots[1].id
    assert shot_problems(board, board.shots[2])[0].message.startswith("must be one of")
    assert board.problems() == problems


def test_prompt_too_long_with_style_is_a_prompt_problem():
    board = Board(owner="a", style="word " * 10)
    shot = board.add_shot(prompt="word " * 995)
    assert [p.field for p in shot_problems(board, shot)] == ["prompt"]
    board.style = ""
    assert shot_problems(board, shot) == []


def test_slugify():
    assert slugify("  Café chase: Night #2! ") == "cafe-chase-night-2"
    assert slugify("../../etc/passwd") == "etc-passwd"
    assert slugify("夜") == "shot"
    assert len(slugify("x" * 100)) == 40


def test_validation_depends_on_no_other_storyboard_module():
    """model.py imports validation.py, never the other way round (not even for type checking)."""
    import ast
    from pathlib import Path

    import seedance_ui.storyboard.validation as validation

    tree = ast.parse(Path(validation.__file__).read_text(encoding="utf-8"))
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names]
    assert "seedance_ui.client.request" in imported
    assert not [name for name in imported if name.startswith("seedance_ui.storyboard")]
