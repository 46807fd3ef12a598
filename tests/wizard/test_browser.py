"""The wizard in a real browser (Debian chromium): the admin's whole path, at 1280 and 390 px."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from onramp.m365.errors import message_for
from tests.wizard.conftest import expire

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
WIDTHS = [1280, 390]


def shoot(page: Page, name: str, width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"wizard-{name}-{width}.png"), full_page=True)


def fill_and_start(page: Page, tenant_id: str, client_id: str, secret: str) -> None:
    page.get_by_label("Tenant ID", exact=True).fill(tenant_id)
    page.get_by_label("Application (Client) ID", exact=True).fill(client_id)
    page.get_by_label("Client secret", exact=True).fill(secret)
    page.get_by_role("button", name="Start authentication").click()


@pytest.mark.parametrize("width", WIDTHS)
def test_admin_connects_with_an_app_registration(page, live_server, make_link, m365_tenant, width):
    link = make_link()
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(live_server.url + link.path)
    assert response is not None and response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(page.get_by_role("heading", level=1)).to_have_text("Connect your Microsoft 365 tenant")
    expect(page.get_by_text("Northwind Voice").first).to_be_visible()
    shoot(page, "landing", width)

    page.get_by_role("link", name="Use App Registration").click()
    expect(page.get_by_role("button", name="Start authentication")).to_be_visible()
    shoot(page, "form", width)

    fill_and_start(page, m365_tenant.tenant_id, m365_tenant.app_id, m365_tenant.secret)
    expect(page.get_by_text("The application registration is valid")).to_be_visible()
    expect(page.get_by_text("You can close this window.")).to_be_visible()
    assert m365_tenant.secret not in page.content()
    shoot(page, "done", width)
    assert link.reload().status == "authenticated"


@pytest.mark.parametrize("width", WIDTHS)
def test_admin_sees_what_to_fix_and_keeps_the_ids(page, live_server, make_link, m365_tenant, width):
    link = make_link()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + link.path + "?method=app-registration")
    fill_and_start(page, m365_tenant.tenant_id, m365_tenant.app_id, "Wx9~not-the-right-secret")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(message_for("invalid_client_secret"))
    expect(page.get_by_label("Tenant ID", exact=True)).to_have_value(m365_tenant.tenant_id)
    expect(page.get_by_label("Application (Client) ID", exact=True)).to_have_value(
        m365_tenant.app_id
    )
    expect(page.get_by_label("Client secret", exact=True)).to_have_value("")
    assert "Wx9~not-the-right-secret" not in page.content()
    shoot(page, "failure", width)

    page.get_by_role("link", name="Back").click()  # then show the field errors without Microsoft
    page.get_by_role("link", name="Use App Registration").click()
    fill_and_start(page, "not a tenant", "1234", "")
    expect(page.get_by_role("alert")).to_contain_text("Please correct these fields")
    shoot(page, "field-errors", width)
    assert link.reload().status == "pending"


@pytest.mark.parametrize("width", WIDTHS)
def test_dead_links_say_so(page, live_server, make_link, width):
    link = make_link()
    expire(link.invitation)
    page.set_viewport_size({"width": width, "height": 700})
    response = page.goto(live_server.url + link.path)
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This invitation has expired")
    shoot(page, "expired", width)
    response = page.goto(live_server.url + "/invite/" + "q" * 43)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This link is not valid")
    shoot(page, "not-found", width)


def test_the_secret_can_be_shown_while_typing(page, live_server, link):
    page.goto(live_server.url + link.path + "?method=app-registration")
    secret = page.get_by_label("Client secret", exact=True)
    secret.fill("abc")
    expect(secret).to_have_attribute("type", "password")
    page.get_by_role("button", name="Show").click()
    expect(secret).to_have_attribute("type", "text")
    page.get_by_role("button", name="Hide").click()
    expect(secret).to_have_attribute("type", "password")
