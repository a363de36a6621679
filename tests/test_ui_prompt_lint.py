"""Prompt counter, lint hints and craft helpers (pure functions, no server)."""

from __future__ import annotations

import pytest

from seedance_ui.client import GenerationRequest, count_chinese_chars, count_english_words
from seedance_ui.options import MAX_PROMPT_CHINESE_CHARS, MAX_PROMPT_ENGLISH_WORDS
from seedance_ui.ui.prompt_lint import find_aspect_ratio, lint, straighten_quotes
from seedance_ui.ui.studio import craft


def codes(text: str, *, web_search: bool = False) -> set[str]:
    return {h.code for h in lint(text, web_search=web_search).hints}


def test_counts_come_from_the_client_helpers() -> None:
    text = "A fox runs 在雪地里奔跑 through state-of-the-art snow, don't stop"
    result = lint(text)
    assert result.words == count_english_words(text)
    assert result.chinese == count_chinese_chars(text)
    assert result.ok


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_prompt_is_blocking(text: str) -> None:
    result = lint(text)
    assert "empty" in codes(text) and not result.ok


def test_over_the_limit_agrees_with_the_client_validator() -> None:
    at_limit = "word " * MAX_PROMPT_ENGLISH_WORDS
    over = at_limit + "more"
    assert lint(at_limit).ok and not GenerationRequest(prompt=at_limit).problems()
    result = lint(over)
    assert not result.ok and "over_limit" in codes(over)
    assert GenerationRequest(prompt=over).problems()
    assert "trim 1" in next(h.message for h in result.hints if h.code == "over_limit")
    chinese = "雪" * (MAX_PROMPT_CHINESE_CHARS + 3)
    assert "over_limit" in codes(chinese)
    assert "500" in next(h.message for h in lint(chinese).hints if h.code == "over_limit")


def test_curly_quotes_are_flagged_and_straightened() -> None:
    text = "She says: “You’re here.” He nods „ok‟ ＂fine＂"
    assert "curly_quotes" in codes(text)
    fixed = straighten_quotes(text)
    assert fixed == 'She says: "You\'re here." He nods "ok" "fine"'
    assert "curly_quotes" not in codes(fixed)
    assert lint(text).has_curly_quotes and not lint(fixed).has_curly_quotes


@pytest.mark.parametrize(
    ("text", "written", "closest"),
    [
        ("Anamorphic look in 2.35:1 please", "2.35:1", "21:9"),
        ("vertical 9:16 frame", "9:16", "9:16"),
        ("shot at 4:3 like old TV", "4:3", "4:3"),
        ("a 1.85 : 1 cinema frame", "1.85 : 1", "16:9"),
        ("widescreen 16：9", "16：9", "16:9"),
    ],
)
def test_aspect_ratio_in_the_prompt_points_to_the_field(text: str, written: str, closest: str) -> None:
    assert find_aspect_ratio(text) == (written, closest)
    hint = next(h for h in lint(text).hints if h.code == "aspect_ratio")
    assert "Aspect ratio field" in hint.message and closest in hint.message


@pytest.mark.parametrize(
    "text", ["We meet at 12:30 sharp", "Final score 5:3 at home", "Scene 2, take 14:05:33"]
)
def test_times_and_scores_are_not_aspect_ratios(text: str) -> None:
    assert "aspect_ratio" not in codes(text)


def test_ratio_words_are_flagged_too() -> None:
    assert "aspect_ratio" in codes("Frame it with a cinematic aspect ratio")


@pytest.mark.parametrize(
    "word", ["latest", "today", "this week", "Tonight's", "breaking news", "今天", "最新"]
)
def test_recent_events_suggest_web_search_only_while_it_is_off(word: str) -> None:
    text = f"The {word} skyline of the city"
    assert "web_search" in codes(text, web_search=False)
    assert "web_search" not in codes(text, web_search=True)


def test_a_clean_prompt_has_no_hints() -> None:
    assert codes(craft.EXAMPLES[0].prompt) == set()


def test_insert_snippet_makes_sentences() -> None:
    assert craft.insert_snippet("", "wide shot") == "Wide shot."
    assert craft.insert_snippet("A cat sleeps", "wide shot") == "A cat sleeps. Wide shot."
    assert craft.insert_snippet("A cat sleeps.  ", "Slow zoom in") == "A cat sleeps. Slow zoom in."
    assert craft.insert_snippet(None, "") == ""


def test_dialogue_is_wrapped_in_straight_double_quotes() -> None:
    assert craft.dialogue_line("She", "You're here.") == 'She says: "You\'re here."'
    assert craft.dialogue_line("", "“Run!”") == 'A voice says: "Run!"'
    assert craft.dialogue_line("Tom:", 'He said "no" twice') == "Tom says: \"He said 'no' twice\""
    assert craft.dialogue_line("She", "   ") == ""
    line = craft.insert_snippet("A door opens.", craft.dialogue_line("He", "Hello"))
    assert line == 'A door opens. He says: "Hello"'
    assert "curly_quotes" not in codes(line)


def test_craft_menus_cover_the_issue() -> None:
    cameras = " ".join(f"{label} {text}".lower() for label, text in craft.CAMERA_MOVES)
    for move in ("pan", "tilt", "zoom", "dolly", "orbit", "handheld", "static"):
        assert move in cameras, move
    for category in ("shot", "camera", "lighting", "style"):
        label, text = craft.CATEGORIES[category][0]
        assert craft.lookup(category, label) == text
    assert craft.lookup("shot", "no such thing") is None


def test_examples_follow_the_recommended_style() -> None:
    assert 5 <= len(craft.EXAMPLES) <= 6
    for example in craft.EXAMPLES:
        result = lint(example.prompt)
        assert result.ok and not result.hints, (example.title, result.hints)
        assert not GenerationRequest(prompt=example.prompt).problems()
    with_dialogue = [e for e in craft.EXAMPLES if e.prompt.count('"') >= 2]
    assert len(with_dialogue) >= 4
    assert any(count_chinese_chars(e.prompt) for e in craft.EXAMPLES)


def messages(prompt: str, inputs: dict[str, int] | None = None) -> dict[str, str]:
    return {h.code: h.message for h in lint(prompt, inputs=inputs).hints}


def test_reference_tags_name_inputs_that_exist_and_every_input_is_named() -> None:
    inputs = {"image": 2, "video": 1, "audio": 0}
    assert messages("@image1 runs past @image2 to the beat of @video1", inputs) == {}
    hints = lint("@Image1 meets @image3 and @audio1", inputs=inputs).hints
    assert [h.message for h in hints if h.code == "tag_without_input"] == [
        "@image3 names no input (2 images given): add it, or fix the tag.",
        "@audio1 names no input (no audio clips given): add it, or fix the tag.",
    ]
    [unnamed] = [h.message for h in hints if h.code == "input_without_tag"]
    assert unnamed.startswith("@image2, @video1 are not in the prompt")
    # Only in references mode (inputs given): tags mean nothing to a text or frames prompt.
    assert "tag_without_input" not in messages("@image3 walks")
    # The same tag twice is flagged once.
    flagged = [h for h in lint("@video2 @video2", inputs=inputs).hints if h.code == "tag_without_input"]
    assert len(flagged) == 1
