"""Helpers for the browser tests of the Studio page: open it as a visitor, pick radio choices, read
what is selected, and save full-page screenshots."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from conftest import LiveApp

WIDE = {"width": 1440, "height": 1000}
NARROW = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000


def open_page(context: Any, app: LiveApp) -> Any:
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app.url)
    page.wait_for_selector("#sd-prompt textarea")
    # The page is ready once the load event has given this browser its owner id and history.
    page.wait_for_function("() => !!document.querySelector('#sd-progress .sd-progress')")
    time.sleep(0.3)
    return page


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
