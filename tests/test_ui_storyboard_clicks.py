"""Quick clicks on the storyboard's tiles (ui/storyboard/clicks.py): the answer to a click that a later
click of the same page overtook is not drawn; other pages and unnumbered clicks are never held back."""

from __future__ import annotations

from seedance_ui.ui.storyboard import clicks
from seedance_ui.ui.storyboard.clicks import LastClicks


def test_an_overtaken_click_is_not_drawn_and_the_last_one_is() -> None:
    last = LastClicks()
    first = last.seen("page-a", 1)
    second = last.seen("page-a", 2)
    assert last.overtaken("page-a", first) and not last.overtaken("page-a", second)
    assert not last.overtaken("page-b", last.seen("page-b", 1))  # another page counts on its own


def test_late_arrivals_and_hostile_numbers_never_hold_back_a_click() -> None:
    last = LastClicks()
    newer = last.seen("page", 5)
    older = last.seen("page", 3)  # arrived late: still overtaken by 5
    assert last.overtaken("page", older) and not last.overtaken("page", newer)
    for hostile in (None, "9", True, 2.5, [1]):
        assert last.seen("page", hostile) is None and not last.overtaken("page", None)
    assert last.seen(None, 7) is None  # no page (a direct call): nothing to compare with


def test_the_memory_is_bounded(monkeypatch) -> None:
    monkeypatch.setattr(clicks, "MAX_PAGES", 3)
    last = LastClicks()
    for page in range(10):
        last.seen(f"page-{page}", 1)
    assert len(last._last) <= 3
