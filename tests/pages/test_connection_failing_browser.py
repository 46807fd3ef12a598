"""In a real browser: the failing connection's status is red and says so, on the Services list,
the service's pages and the dashboard, at 1280 and 390 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.factories import ServiceFactory, ValidationRunFactory
from tests.pages.browser import shoot
from tests.signin import sign_in_browser

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"wide": (1280, 900), "narrow": (390, 844)}
RED = ("rgb(255, 235, 233)", "rgb(164, 14, 38)")  # --red-bg, --red-fg
RED_LINE = "rgb(255, 129, 130)"  # --red-line, a red tile's top border
GREEN = ("rgb(218, 251, 225)", "rgb(17, 99, 41)")  # --green-bg, --green-fg
COLOURS = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]"


@pytest.fixture(params=list(WIDTHS))
def width(request, page: Page) -> str:
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[request.param], strict=True)))
    return request.param


def test_failing_connection_is_red_everywhere(page: Page, live_server, operator, customer, width):
    failing = ServiceFactory(connected=True, customer=customer, short_name="Contoso-01")
    ValidationRunFactory(service=failing, ok=False, reason="missing_permissions")
    healthy = ServiceFactory(connected=True, customer=customer, short_name="Contoso-02")
    ValidationRunFactory(service=healthy, ok=True)
    sign_in_browser(page, live_server.url, operator.email, PASSWORD, operator)

    page.goto(f"{live_server.url}/services/")
    row = page.get_by_role("row").filter(has_text="Contoso-01")
    badge = row.locator(".badge")
    expect(badge).to_have_text("Active · connection failing")
    assert tuple(badge.evaluate(COLOURS)) == RED
    other = page.get_by_role("row").filter(has_text="Contoso-02").locator(".badge")
    expect(other).to_have_text("Active")
    assert tuple(other.evaluate(COLOURS)) == GREEN
    shoot(page, "services-connection-failing", width)

    for path, name in ((f"{failing.pk}/", "service-detail"), (f"{failing.pk}/m365/", "m365")):
        page.goto(f"{live_server.url}/services/{path}")
        header = page.locator(".page-head__sub .badge")
        expect(header).to_have_text("Active · connection failing")
        assert tuple(header.evaluate(COLOURS)) == RED
        shoot(page, f"{name}-connection-failing", width)

    page.goto(f"{live_server.url}/dashboard/")
    tile = page.get_by_role("link", name="1 Active · connection failing")
    expect(tile).to_have_attribute("href", "/services/?status=connection-failing")
    assert tile.evaluate("e => getComputedStyle(e).borderTopColor") == RED_LINE
    tile.click()
    expect(page.get_by_role("row")).to_have_count(2)
    expect(page.get_by_role("row").nth(1)).to_contain_text("Contoso-01")
    shoot(page, "dashboard-connection-failing", width)
