"""Helpers for the browser tests of the Studio page: open it as a visitor, pick radio choices, read
what is selected, and save full-page screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import LiveApp

from seedance_ui.ui.studio.preview import LOADED_ATTRIBUTE

WIDE = {"width": 1440, "height": 1000}
NARROW = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000
LOADED = f"body[{LOADED_ATTRIBUTE}]"


def wait_loaded(page: Any) -> None:
    """Wait until the page's load event has answered: its mark on <body> (`LOADED_ATTRIBUTE`, set by the
    preview panel's wiring of the load) says this browser has its owner id, history and states. (The
    progress card is there before that.)"""
    page.wait_for_selector(LOADED, state="attached")


def open_page(context: Any, app: LiveApp) -> Any:
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app.url)
    wait_loaded(page)
    return page


def open_at(browser: Any, app: LiveApp, size: dict[str, int]) -> Any:
    """The studio in a fresh context of `browser` at viewport `size`, once its load has answered."""
    return open_page(browser.new_context(viewport=size), app)


def pick(page: Any, elem_id: str, label: str) -> None:
    page.click(f'#{elem_id} [data-testid="{label}-radio-label"]')


def checked_label(page: Any, elem_id: str) -> str:
    return page.locator(f"#{elem_id} label.selected").inner_text().strip()


def shoot(page: Any, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"{name}.png"), full_page=True)


def open_newest(page: Any, status: str = "completed") -> None:
    """Open the newest item of the history in the detail column, once it shows that `status`."""
    page.wait_for_selector("#sd-history .thumbnail-item")
    page.locator("#sd-history .thumbnail-item").first.click()
    page.wait_for_selector(f'#sd-detail .sd-detail[data-status="{status}"]')
