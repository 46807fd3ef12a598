"""The whole seed workflow in a real browser: live server, the real worker, the sandbox over
HTTPS and a real SMTP server. Screenshots of each step go to test-results/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from onramp.invitations.models import Invitation
from onramp.services.models import Service
from tests.cli.conftest import wait_for
from tests.conftest import PASSWORD
from tests.signin import sign_in_browser

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"seed-{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_seed_flow_from_add_service_to_days_until_expire(
    page,
    live_server,
    settings,
    microsoft_settings,
    m365_tenant,
    operator,
    customer,
    database,
    background,
    smtp_server,
):
    settings.PUBLIC_URL = live_server.url
    worker = background(
        ["worker"],
        database.env
        | {
            "ONRAMP_EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
            "ONRAMP_PUBLIC_URL": live_server.url,
        },
        name="worker",
    )

    # 1. The operator signs in.
    sign_in_browser(page, live_server.url, operator.email, PASSWORD, operator)
    expect(page).to_have_url(f"{live_server.url}/services/")
    shot(page, "1-services")

    # 2. Add Service → Direct Routing: customer, then the new tenant service form.
    page.get_by_role("link", name="Add Service").first.click()
    if "direct-routing" not in page.url:
        page.get_by_role("link", name=re.compile("Direct Routing")).first.click()
    page.get_by_label("Customer").select_option(label=customer.name)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Full name of service").fill("Contoso head office")
    page.get_by_label("Unique short name of service").fill("Contoso-HQ")
    page.get_by_label("Hosted Pro").check()
    page.get_by_label("Number of licensed users").fill("120")
    page.get_by_label("Send link to IT administrator for authentication").check()
    page.get_by_label("Admin email").fill("admin@contoso.example")
    shot(page, "2-new-tenant-service")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("admin@contoso.example").first).to_be_visible()
    shot(page, "3-invitation-queued")
    invitation = Invitation.objects.get()
    assert Service.objects.get().status == "awaiting-authentication"

    # 3. The worker sends the email over SMTP; the admin opens its link.
    wait_for(lambda: smtp_server.messages, timeout=60)
    [message] = smtp_server.messages
    text = message.get_payload()[0].get_payload(decode=True).decode()
    link = re.search(rf"{re.escape(live_server.url)}/invite/\S+", text).group(0)
    assert "Click here to activate your tenant" in text
    page.context.clear_cookies()
    page.goto(link)
    expect(page.get_by_text("Contoso-HQ").first).to_be_visible()
    shot(page, "4-wizard-landing")
    page.get_by_role("link", name="Use App Registration").click()
    page.get_by_label("Tenant ID").fill(m365_tenant.tenant_id)
    page.get_by_label("Application (Client) ID").fill(m365_tenant.app_id)
    page.get_by_label("Client secret").fill(m365_tenant.secret)
    shot(page, "5-wizard-form")
    page.get_by_role("button", name="Start authentication").click()
    expect(page.get_by_text("The application registration is valid")).to_be_visible()
    shot(page, "6-wizard-done")

    # 4. The operator sees Device Authenticated: Yes, clicks Add and Next.
    sign_in_browser(page, live_server.url, operator.email, PASSWORD, operator)
    page.goto(f"{live_server.url}/invitations/")
    row = page.get_by_role("row").filter(has_text="Contoso-HQ")
    expect(row.locator('[data-label="Device Authenticated"] .badge')).to_have_text("Yes")
    shot(page, "7-pending-invitations")
    row.get_by_role("link", name="Add Contoso-HQ").click()
    expect(page.get_by_text(m365_tenant.tenant_id).first).to_be_visible()
    shot(page, "8-add-details")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("M365 Configuration").first).to_be_visible()
    assert Service.objects.get().status == "active"
    invitation.refresh_from_db()
    assert invitation.status == "completed"

    # 5. Validate Authentication shows the sandbox secret's exact days until expiry.
    page.get_by_role("button", name="Validate Authentication").click()
    days = (m365_tenant.secret_expires.date() - timezone.now().date()).days
    expect(page.locator("#m365-days-until-expire")).to_contain_text(str(days))
    assert days == 180
    shot(page, "9-m365-configuration")
    assert worker.stop() == 0
