"""Browser test helpers: screenshots of a page that must fit its window."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

SCREENSHOTS = Path(os.environ.get("ONRAMP_TEST_SCREENSHOTS", "test-results/screenshots"))

NO_SIDEWAYS_SCROLL = """() => [document.documentElement,
    ...document.querySelectorAll('.table-wrap')]
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.className || e.tagName)"""


def shoot(page: Page, name: str, width: str) -> None:
    """Save a screenshot; the page (and each table) fits the window without scrolling sideways.
    A click that navigates returns before the new page has loaded: wait for it first."""
    page.wait_for_load_state()
    assert page.evaluate(NO_SIDEWAYS_SCROLL) == [], name
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
