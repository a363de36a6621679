"""The word diff a writer reviews (seedance_ui/llm/diff.py): rejecting every change gives the old text back
exactly, accepting every change gives the new text exactly, and any choice in between is the old text with
exactly those changes made."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedance_ui.llm.diff import apply, tokens, word_diff

WORDS = st.sampled_from(
    [
        "a",
        "keeper",
        "climbs",
        "the",
        "lighthouse",
        "@image1",
        "@[Mara]",
        '"We',
        'made it."',
        "灯塔",
        "守",
        "夜",
        "，",
        ".",
        ",",
        "slow",
        "dolly",
        "in",
    ]
)
SPACE = st.sampled_from([" ", "  ", "\n", "\n\n", "\t", ""])
TEXT = st.lists(st.tuples(WORDS, SPACE), max_size=30).map(lambda xs: "".join(w + s for w, s in xs))


@given(TEXT, TEXT)
@settings(max_examples=300, deadline=None)
def test_reject_all_is_old_and_accept_all_is_new(old: str, new: str) -> None:
    changes = word_diff(old, new)
    assert apply(old, changes, []) == old
    assert apply(old, changes, [c.id for c in changes]) == new


@given(TEXT, TEXT, st.data())
@settings(max_examples=200, deadline=None)
def test_any_choice_is_old_with_exactly_those_changes(old: str, new: str, data: st.DataObject) -> None:
    changes = word_diff(old, new)
    accepted = data.draw(st.sets(st.sampled_from([c.id for c in changes]))) if changes else set()
    result = apply(old, changes, accepted)
    expected, position = [], 0
    for change in changes:
        expected.append(old[position : change.start])
        expected.append(change.new_text if change.id in accepted else old[change.start : change.end])
        position = change.end
    assert result == "".join(expected) + old[position:]


@given(st.text(max_size=200))
def test_tokens_keep_every_character(text: str) -> None:
    assert "".join(tokens(text)) == text


def test_changes_are_words_with_ids_and_whitespace_kept() -> None:
    old = 'a keeper climbs the lighthouse\n\nShe says: "go"'
    new = 'A weathered keeper climbs the lighthouse stairs\n\nShe says: "go"'
    changes = word_diff(old, new)
    assert [(c.id, c.kind, c.old_text, c.new_text) for c in changes] == [
        ("c1", "replace", "a", "A weathered"),
        ("c2", "insert", "", " stairs"),
    ]
    assert apply(old, changes, ["c2"]) == 'a keeper climbs the lighthouse stairs\n\nShe says: "go"'


def test_tags_and_chinese_are_tokens() -> None:
    assert tokens("@[Mara] 和 @image1 走") == ["@[Mara]", " ", "和", " ", "@image1", " ", "走"]
    changes = word_diff("守夜人登上灯塔", "守夜人慢慢登上灯塔")
    assert [(c.kind, c.new_text) for c in changes] == [("insert", "慢慢")]


def test_a_diff_of_another_text_is_refused() -> None:
    changes = word_diff("one two three", "one 2 three")
    with pytest.raises(ValueError, match="does not fit"):
        apply("uno dos tres", changes, ["c1"])
