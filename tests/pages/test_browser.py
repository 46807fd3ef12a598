"""The operator pages in a real browser (Debian's chromium) at 1280 and 390 px wide.

Each walk saves screenshots to test-results/screenshots/<name>.png for review.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from onramp.core.actors import Actor
from onramp.invitations.models import Invitation
from onramp.invitations.services import invitation_by_token
from onramp.services.models import Service
from tests.conftest import PASSWORD
from tests.pages.browser import shoot
from tests.pages.conftest import activate_known, invite
from tests.signin import fresh_code, sign_in_browser, totp_device

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"wide": (1280, 900), "narrow": (390, 844)}


@pytest.fixture(params=list(WIDTHS))
def width(request, page: Page) -> str:
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[request.param], strict=True)))
    return request.param


def sign_in(page: Page, live_server, operator) -> None:
    sign_in_browser(page, live_server.url, operator.email, PASSWORD, operator)
    expect(page.get_by_role("heading", level=1, name="Services")).to_be_visible()


def test_sign_in_errors(page: Page, live_server, operator, width):
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill(operator.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect")
    expect(page.get_by_label("Password")).to_have_value("")
    shoot(page, "login-error", width)


def test_add_service_with_invitation_link(page: Page, live_server, operator, customer, width):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, live_server, operator)
    shoot(page, "services-empty", width)
    page.get_by_role("link", name="Add Service").first.click()
    page.get_by_role("link", name="Direct Routing").click()
    page.get_by_label("Customer").select_option(label="Contoso Ltd")
    page.get_by_role("button", name="Next").click()

    # A first try with mistakes: every error next to its field, values kept.
    page.get_by_label("Unique short name of service").fill("bad name")
    page.get_by_label("Number of licensed users").fill("501")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields below")
    expect(page.get_by_label("Unique short name of service")).to_have_value("bad name")
    shoot(page, "add-service-errors", width)

    page.get_by_label("Full name of service").fill("Contoso Teams voice")
    page.get_by_label("Unique short name of service").fill("Contoso-01")
    page.get_by_label("Hosted Pro").check()
    page.get_by_label("Number of licensed users").fill("25")
    page.get_by_label("Send link to IT administrator for authentication").check()
    expect(page.get_by_label("Tenant ID")).to_be_hidden()
    page.get_by_label("Admin email").fill("admin@contoso.example")
    shoot(page, "add-service-form", width)
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Service Contoso-01 was created")).to_be_visible()
    expect(page.get_by_text("The invitation email was queued to")).to_contain_text(
        "admin@contoso.example"
    )
    link = page.get_by_label("Invitation link").input_value()
    assert invitation_by_token(link.rsplit("/", 1)[1]) == Invitation.objects.get()
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_text("Copied", exact=True)).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    shoot(page, "add-service-confirmation", width)

    page.get_by_role("link", name="Go to Pending Invitations").click()
    row = page.get_by_role("row").filter(has_text="Contoso-01")
    expect(row).to_contain_text("admin@contoso.example")
    expect(row.locator('[data-label="Device Authenticated"] .badge')).to_have_text("No")
    expect(row.locator('[data-label="Status"] .badge')).to_have_text("Pending")
    shoot(page, "pending-invitations", width)

    # Resend: a new link, shown once; the old one is dead.
    row.get_by_role("button", name="Resend the invitation for Contoso-01").click()
    expect(page.get_by_role("heading", name="Invitation resent")).to_be_visible()
    new_link = page.get_by_label("Invitation link").input_value()
    assert new_link != link
    assert invitation_by_token(link.rsplit("/", 1)[1]) is None
    shoot(page, "invitation-resent", width)


def test_add_authenticated_invitation_then_m365(
    page: Page, live_server, operator, authenticated, width
):
    sign_in(page, live_server, operator)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Pending Invitations"
    ).click()
    row = page.get_by_role("row").filter(has_text="Contoso-01")
    expect(row.locator('[data-label="Device Authenticated"] .badge')).to_have_text("Yes")
    expect(row.locator('[data-label="Status"] .badge')).to_have_text("Authenticated")
    row.get_by_role("link", name="Add Contoso-01").click()
    expect(page.get_by_role("heading", name="Received application registration")).to_be_visible()
    expect(page.locator("#received-client-id")).to_have_text(authenticated.invitation.client_id)
    shoot(page, "invitation-add", width)
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", level=1, name="M365 Configuration")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Contoso-01 is active")
    expect(page.locator("#m365-days-until-expire")).to_contain_text("180")
    assert Service.objects.get().status == "active"
    shoot(page, "m365-configuration", width)


def test_m365_validate_and_renew(
    page: Page, live_server, operator, customer, m365_tenant, sandbox, width
):
    service = activate_known(customer, m365_tenant, actor=Actor.for_operator(operator))
    sandbox.admin.update_application(m365_tenant.tenant_id, m365_tenant.app_id, roles=[])
    sign_in(page, live_server, operator)
    page.goto(f"{live_server.url}/services/{service.pk}/m365/")
    page.get_by_role("button", name="Validate Authentication").click()
    expect(page.get_by_role("status")).to_contain_text("Validation failed")
    first = page.get_by_role("list", name="Last validation checks").get_by_role("listitem").first
    expect(first).to_contain_text("Teams admin access")
    expect(first).to_contain_text("How to fix")
    shoot(page, "m365-validation-failed", width)

    page.get_by_label("New client secret").fill("not-a-secret-of-this-app")
    page.get_by_role("button", name="Replace secret").click()
    expect(page.get_by_label("New client secret")).to_have_value("")
    expect(page.get_by_role("alert").first).to_be_visible()
    assert "not-a-secret-of-this-app" not in page.content()
    shoot(page, "m365-renew-failed", width)


def test_overview_pages(page: Page, live_server, operator, customer, provider, m365_tenant, width):
    from onramp.tenancy.models import Customer

    fabrikam = Customer.objects.create(
        provider=provider, name="Fabrikam Inc", contact_email="it@fabrikam.example"
    )
    actor = Actor.for_operator(operator)
    activate_known(customer, m365_tenant, short_name="Contoso-01", actor=actor)
    invite(fabrikam, short_name="Fabrikam-01", actor=actor)
    invite(fabrikam, short_name="Fabrikam-02", actor=actor)
    sign_in(page, live_server, operator)
    expect(page.get_by_role("row")).to_have_count(4)
    shoot(page, "services", width)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()
    shoot(page, "dashboard", width)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    expect(page.get_by_role("row")).to_have_count(3)
    shoot(page, "customers", width)
    page.get_by_role("link", name="Add customer").click()
    page.get_by_role("button", name="Add customer").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a name of at most 200 characters.")
    shoot(page, "customer-add-errors", width)
    page.goto(f"{live_server.url}/services/")
    page.get_by_role("link", name="Fabrikam-01").click()
    expect(page.get_by_role("heading", name="Newest invitation")).to_be_visible()
    shoot(page, "service-detail", width)
    page.get_by_role("link", name="Delete service").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete service Fabrikam-01?")
    shoot(page, "service-delete-confirm", width)
    page.get_by_role("button", name="Delete service").click()
    expect(page.get_by_role("status")).to_contain_text("Service Fabrikam-01 was deleted")


FOCUS_RING = "getComputedStyle(document.activeElement).outlineStyle"


def test_keyboard_only(page: Page, live_server, operator, customer):
    device = totp_device(operator)
    page.goto(f"{live_server.url}/login")
    expect(page.get_by_label("Email")).to_be_focused()  # autofocus: no mouse needed
    page.keyboard.type(operator.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Code")).to_be_focused()  # the second factor: autofocus too
    page.keyboard.type(fresh_code(device))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Services")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    assert page.evaluate(FOCUS_RING) != "none"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    add = page.get_by_role("main").get_by_role("link", name="Add Service").first
    expect(add).to_be_focused()
    assert page.evaluate(FOCUS_RING) != "none"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Add Service")).to_be_visible()
    for _ in range(20):  # through the breadcrumb to Direct Routing
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()").startswith("Direct Routing"):
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Which customer is the service for?")).to_be_visible()
    page.get_by_label("Customer").focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Customer")).to_have_value(str(customer.pk))
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Next")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="New tenant service", level=2)).to_be_visible()


def test_health_job_and_audit_pages(
    page: Page, live_server, operator, customer, m365_tenant, width
):
    from onramp.health.models import ValidationJob
    from onramp.health.services import validation_job_run

    activate_known(
        customer, m365_tenant, short_name="Contoso-01", actor=Actor.for_operator(operator)
    )
    sign_in(page, live_server, operator)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Connection health").click()
    expect(page.get_by_role("heading", level=1, name="Connection health")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Contoso-01")
    expect(row).to_contain_text("180")
    expect(row.locator(".badge").last).to_have_text("OK")
    shoot(page, "health", width)

    page.get_by_role("button", name="Validate all").click()
    expect(page.get_by_role("heading", level=1, name="Validation job")).to_be_visible()
    expect(page.locator("#job-status")).to_have_text("Queued")
    shoot(page, "health-job-queued", width)
    validation_job_run(ValidationJob.objects.get().pk, concurrency=2)
    expect(page.locator("#job-status")).to_have_text("Done", timeout=10_000)  # it refreshes
    expect(page.get_by_text("1 of 1 validated")).to_be_visible()
    shoot(page, "health-job-done", width)

    nav.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", level=1, name="Audit")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="login.succeeded")).to_have_count(1)
    shoot(page, "audit", width)
