"""PageMemory: which values a page still shows exactly as it was last drawn (so a save leaves them alone)."""

from __future__ import annotations

from seedance_ui.storyboard.page_memory import PageMemory

BOARD, OTHER_BOARD, SHOT, OTHER_SHOT = "b" * 32, "c" * 32, "s" * 32, "t" * 32


def memory() -> PageMemory:
    return PageMemory(["shot_title", "shot_duration", "shot_audio"], max_pages=3)


def test_a_value_shown_as_drawn_is_unchanged_and_an_edited_one_is_not() -> None:
    pages = memory()
    pages.remember("tab1", BOARD, SHOT, {"title": "Pilot", "shot_title": "Harbour", "shot_duration": 5})
    sent = {"title": "Pilot", "shot_title": "Harbour, edited", "shot_duration": 5.0, "style": "ink"}
    # Never drawn ("style") counts as changed: applied, as before this memory existed.
    assert pages.unchanged("tab1", BOARD, SHOT, sent) == {"title", "shot_duration"}
    pages.remember("tab1", BOARD, SHOT, sent)  # what the page sent back is what it shows now
    assert pages.unchanged("tab1", BOARD, SHOT, sent) == set(sent)


def test_values_are_only_compared_on_the_same_page_board_and_shot() -> None:
    pages = memory()
    pages.remember("tab1", BOARD, SHOT, {"title": "Pilot", "shot_title": "Harbour"})
    sent = {"title": "Pilot", "shot_title": "Harbour"}
    assert pages.unchanged("tab2", BOARD, SHOT, sent) == set()
    assert pages.unchanged("tab1", OTHER_BOARD, SHOT, sent) == set()
    assert pages.unchanged("tab1", BOARD, OTHER_SHOT, sent) == {"title"}  # board fields still hold
    assert pages.unchanged(None, BOARD, SHOT, sent) == set()
    # Drawing another shot forgets the old shot's fields; another board forgets everything.
    pages.remember("tab1", BOARD, OTHER_SHOT, {"shot_title": "Dock"})
    assert pages.unchanged("tab1", BOARD, SHOT, sent) == {"title"}
    pages.remember("tab1", OTHER_BOARD, None, {})
    assert pages.unchanged("tab1", BOARD, SHOT, sent) == set()


def test_booleans_are_not_numbers_and_old_pages_are_forgotten() -> None:
    pages = memory()
    pages.remember("tab1", BOARD, SHOT, {"shot_audio": True, "shot_duration": 1})
    assert pages.unchanged("tab1", BOARD, SHOT, {"shot_audio": 1, "shot_duration": True}) == set()
    assert pages.unchanged("tab1", BOARD, SHOT, {"shot_audio": True, "shot_duration": 1}) == {
        "shot_audio", "shot_duration"}
    for tab in ("tab2", "tab3", "tab4"):  # max_pages=3: tab1 is the least recently active
        pages.remember(tab, BOARD, SHOT, {"title": "x"})
    assert pages.unchanged("tab1", BOARD, SHOT, {"shot_audio": True}) == set()
    assert pages.unchanged("tab4", BOARD, SHOT, {"title": "x"}) == {"title"}
