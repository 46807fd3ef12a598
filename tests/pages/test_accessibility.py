"""axe-core (tests/browser, installed by ``make axe``) in a real browser on the main pages:
no WCAG 2.1 A or AA violation, on the operator pages and on each step of the public wizard,
with and without field errors. Our CSP forbids injected scripts, so these contexts bypass it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from tests.conftest import PASSWORD
from tests.pages.conftest import activate_known, invite
from tests.signin import sign_in, totp_device
from tests.wizard.conftest import expire

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[1] / "browser" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(
    result => result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        targets: v.nodes.map(n => n.target.join(' '))})))"""


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "bypass_csp": True}


def violations(page: Page) -> list[str]:
    """axe's findings on the page as shown now, one line each: id, impact, what, where."""
    assert AXE.is_file(), f"{AXE} is missing: run make axe"
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(RUN_AXE, WCAG_21_AA)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {'; '.join(v['targets'])}" for v in found]


def assert_accessible(page: Page) -> None:
    problems = violations(page)
    assert problems == [], f"{page.url}:\n" + "\n".join(problems)


def visit_and_check(page: Page, url: str, heading: str) -> None:
    """Open the page, make sure it is the one meant (its h1), and check it."""
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible(page)


def signed_in(context: BrowserContext, live_server, operator) -> None:
    """The browser gets the session of a test client that signed in."""
    client = sign_in(Client(), operator)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    name = settings.SESSION_COOKIE_NAME
    context.add_cookies([{"name": name, "value": cookie, "url": live_server.url}])


@pytest.fixture
def operator_page(page: Page, live_server, operator) -> Page:
    signed_in(page.context, live_server, operator)
    return page


def test_login_page(page: Page, live_server, operator):
    page.goto(f"{live_server.url}/login")
    assert_accessible(page)
    page.get_by_label("Email").fill(operator.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect")
    assert_accessible(page)


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/dashboard/", "Dashboard"),
        ("/services/", "Services"),
        ("/services/add/", "Add Service"),
        ("/invitations/", "Pending Invitations"),
        ("/customers/", "Customers"),
        ("/health/", "Connection health"),
        ("/audit/", "Audit"),
    ],
)
@pytest.mark.parametrize("width", [1280, 390])
def test_operator_pages(
    operator_page: Page, live_server, customer, m365_tenant, path, heading, width
):
    """With a service awaiting its admin and an active one: every badge and band colour shows."""
    invite(customer, short_name="Contoso-02")
    activate_known(customer, m365_tenant)
    operator_page.set_viewport_size({"width": width, "height": 900})
    visit_and_check(operator_page, live_server.url + path, heading)


def test_service_detail_and_m365(operator_page: Page, live_server, customer, m365_tenant):
    service = activate_known(customer, m365_tenant)
    url = f"{live_server.url}/services/{service.pk}"
    visit_and_check(operator_page, f"{url}/", "Contoso voice")
    visit_and_check(operator_page, f"{url}/m365/", "M365 Configuration")


def test_confirmations_and_add_customer(operator_page: Page, live_server, customer, m365_tenant):
    """Destructive actions' confirmation pages, the M365 re-initiation form, Add customer with
    its errors."""
    page = operator_page
    invited = invite(customer, short_name="Contoso-02")
    active = activate_known(customer, m365_tenant)
    for path, heading in (
        (f"/invitations/{invited.invitation.pk}/revoke/", "Revoke the invitation for Contoso-02?"),
        (f"/services/{invited.service.pk}/delete/", "Delete service Contoso-02?"),
        (f"/services/{active.pk}/m365/reinitiate/", "Re-initiate Authentication Flow"),
    ):
        visit_and_check(page, live_server.url + path, heading)
    page.goto(f"{live_server.url}/customers/add/")
    assert_accessible(page)
    page.get_by_role("button", name="Add customer").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)


def test_add_direct_routing_with_and_without_errors(operator_page: Page, live_server, customer):
    page = operator_page
    page.goto(f"{live_server.url}/services/add/direct-routing/")
    assert_accessible(page)
    page.get_by_label("Customer").select_option(label="Contoso Ltd")
    page.get_by_role("button", name="Next").click()
    assert_accessible(page)
    page.get_by_label("Unique short name of service").fill("bad name")
    page.get_by_label("Number of licensed users").fill("501")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields below")
    assert_accessible(page)

    page.get_by_label("Full name of service").fill("Contoso Teams voice")
    page.get_by_label("Unique short name of service").fill("Contoso-01")
    page.get_by_label("Hosted Pro").check()
    page.get_by_label("Number of licensed users").fill("25")
    page.get_by_label("Send link to IT administrator for authentication").check()
    page.get_by_label("Admin email").fill("admin@contoso.example")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Service Contoso-01 was created")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("width", [1280, 390])
def test_wizard_steps(page: Page, live_server, customer, m365_tenant, width):
    page.set_viewport_size({"width": width, "height": 900})
    url = f"{live_server.url}/invite/{invite(customer).token}"
    visit_and_check(page, url, "Connect your Microsoft 365 tenant")
    page.get_by_role("link", name="Use App Registration").click()
    assert_accessible(page)

    page.get_by_role("button", name="Start authentication").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct these fields")
    assert_accessible(page)

    page.get_by_label("Tenant ID", exact=True).fill(m365_tenant.tenant_id)
    page.get_by_label("Application (Client) ID", exact=True).fill(m365_tenant.app_id)
    page.get_by_label("Client secret", exact=True).fill("Wx9~not-the-right-secret")
    page.get_by_role("button", name="Start authentication").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Client secret", exact=True).fill(m365_tenant.secret)
    page.get_by_role("button", name="Start authentication").click()
    expect(page.get_by_text("The application registration is valid")).to_be_visible()
    assert_accessible(page)


def test_wizard_dead_links(page: Page, live_server, customer):
    invited = invite(customer)
    expire(invited.invitation)
    url = f"{live_server.url}/invite/"
    visit_and_check(page, url + invited.token, "This invitation has expired")
    visit_and_check(page, url + "q" * 43, "This link is not valid")


@pytest.mark.parametrize("width", [1280, 390])
def test_hierarchy_operators_and_account_pages(page: Page, live_server, provider, width):
    """A system admin's pages: Providers, Channels, Operators, Account, and the add forms with
    their errors shown."""
    from onramp.accounts.models import Operator

    admin = Operator.objects.create_user(
        "root@onramp.example", PASSWORD, role="admin", scope="system"
    )
    signed_in(page.context, live_server, admin)
    page.set_viewport_size({"width": width, "height": 900})
    for path, heading in (
        ("/providers/", "Providers"),
        ("/channels/", "Channels"),
        ("/operators/", "Operators"),
        ("/account/", "Account"),
    ):
        visit_and_check(page, live_server.url + path, heading)
    for path, heading, submit in (
        ("/providers/add/", "Add provider", "Add provider"),
        ("/channels/add/", "Add channel", "Add channel"),
        ("/operators/invite/", "Invite operator", "Send invitation"),
    ):
        visit_and_check(page, live_server.url + path, heading)
        page.get_by_role("button", name=submit).click()
        expect(page.get_by_role("alert")).to_contain_text("Please correct the fields below")
        assert_accessible(page)


def test_second_factor_steps(page: Page, live_server, operator):
    """First sign-in: enrolment (QR code, key, code field), with a wrong code; then the code
    step of a later sign-in."""
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill(operator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your second factor")
    assert_accessible(page)
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)

    page.context.clear_cookies()
    totp_device(operator)
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill(operator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    visit_and_check(page, page.url, "Second factor")
