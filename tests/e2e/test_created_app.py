"""Create the app registration for me, in a real browser: the live server, the real worker
running the steps, the sandbox's sign-in pages over HTTPS. A Global Administrator signs in
through the redirect, approves, watches the progress page (Microsoft's replicas taking 20 s to
accept the new app); the operator then completes Add → Next. Another signs in on another
device. Screenshots of each step go to test-results/screenshots/."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from onramp.createdapp.models import AppCreation
from onramp.services.models import Service
from tests.cli.conftest import Background
from tests.clock import Clock
from tests.conftest import PASSWORD as OPERATOR_PASSWORD
from tests.createdapp.conftest import REQUIRED, CustomerTenant, grants_of, make_tenant
from tests.e2e.test_seed_flow import shot
from tests.pages.test_accessibility import assert_accessible
from tests.sandbox.flows import PASSWORD
from tests.signin import sign_in_browser
from tests.wizard.conftest import Link, make_link  # noqa: F401 - the invitation link fixture

NAME = "Contoso voice connector"


@pytest.fixture
def clock() -> Clock:
    """The worker runs in a process of its own, on the wall clock: so does this test."""
    return Clock.wall()


@pytest.fixture
def browser_context_args(browser_context_args):
    """The sandbox's certificate comes from its own CA, which this browser does not know."""
    return {**browser_context_args, "ignore_https_errors": True}


@dataclass
class World:
    tenant: CustomerTenant
    link: Link
    before: list[dict]
    worker: Background

    def ours(self, sandbox) -> list[dict]:
        return [
            a for a in sandbox.admin.applications(self.tenant.tenant_id) if a not in self.before
        ]


@pytest.fixture
def world(live_server, settings, sandbox, microsoft_settings, make_link, database, background):  # noqa: F811
    """The sign-in app and the customer tenant, a worker pointed at the sandbox, a link."""
    sandbox.admin.set_clock(None)
    settings.PUBLIC_URL = live_server.url
    tenant = make_tenant(sandbox, settings)
    worker = background(
        ["worker"],
        database.env
        | {
            "ONRAMP_PUBLIC_URL": live_server.url,
            **sandbox.onramp_env,
            "ONRAMP_SIGN_IN_CLIENT_ID": tenant.sign_in_client_id,
            "ONRAMP_SIGN_IN_CLIENT_SECRET": tenant.sign_in_secret,
        },
        name="worker",
    )
    link = make_link(short_name="Contoso-HQ", full_name="Contoso head office")
    return World(tenant, link, sandbox.admin.applications(tenant.tenant_id), worker)


def assert_exactly_one_app(world: World, sandbox) -> None:
    ours = world.ours(sandbox)
    assert len(ours) == 1, ours
    (app,) = ours
    assert app["display_name"] == NAME
    assert sorted(app["permissions"]) == sorted(REQUIRED)
    assert app["roles"] == ["Teams Administrator"]
    assert len(app["key_credentials"]) == 1 and app["password_credentials"] == []
    assert grants_of(sandbox, world.tenant) == []
    assert AppCreation.objects.get().token_sealed == ""


@pytest.mark.django_db(transaction=True)
def test_a_global_administrator_creates_the_app_and_the_operator_adds_it(
    page: Page, live_server, sandbox, operator, world
):
    tenant, link, before, worker = world.tenant, world.link, world.before, world.worker

    # 1. The admin opens the link and chooses Create the app registration for me.
    page.goto(f"{live_server.url}{link.path}")
    shot(page, "created-1-landing")
    page.get_by_role("link", name="Create the app registration for me").click()
    page.get_by_label("Name of the app registration").fill(NAME)
    shot(page, "created-2-name")
    page.get_by_role("button", name="Sign in with Microsoft").click()

    # 2. Microsoft's sign-in and consent pages (the sandbox's).
    page.locator("input[name='loginfmt']").fill(tenant.users["ga"])
    page.get_by_role("button", name="Next").click()
    page.locator("input[name='passwd']").fill(PASSWORD)
    shot(page, "created-3-microsoft-sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Consent on behalf of your organization").check()
    shot(page, "created-4-consent")
    page.get_by_role("button", name="Accept").click()

    # 3. Back on Onramp: the tenant and what will be created; approve; progress; done.
    expect(
        page.get_by_role("heading", name="Create the app registration in Contoso")
    ).to_be_visible()
    expect(page.get_by_text(tenant.default_domain).first).to_be_visible()
    assert sandbox.admin.applications(tenant.tenant_id) == before
    shot(page, "created-5-review")
    sandbox.admin.set_faults(replication_delay_ms=20_000)  # Microsoft's replicas take 20 s
    page.get_by_role("button", name="Create the app registration").click()
    expect(page.get_by_role("status").first).to_be_visible()
    shot(page, "created-6-progress")
    expect(page.get_by_role("heading", name="The application registration is valid")).to_be_visible(
        timeout=90_000
    )
    shot(page, "created-7-done")
    waited = AppCreation.objects.get().steps.get(name="replication")
    assert waited.attempts > 1 and waited.status == "done"  # waited out, not a failure

    assert_exactly_one_app(world, sandbox)

    # 4. The operator sees Device Authenticated: Yes, clicks Add and Next.
    page.context.clear_cookies()
    sign_in_browser(page, live_server.url, operator.email, OPERATOR_PASSWORD, operator)
    page.goto(f"{live_server.url}/invitations/")
    row = page.get_by_role("row").filter(has_text="Contoso-HQ")
    expect(row.locator('[data-label="Device Authenticated"] .badge')).to_have_text("Yes")
    expect(row.get_by_text(tenant.users["ga"])).to_be_visible()
    shot(page, "created-8-pending-invitations")
    row.get_by_role("link", name="Add Contoso-HQ").click()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("M365 Configuration").first).to_be_visible()
    expect(page.locator("#m365-method")).to_have_text("App registration created by Onramp")
    shot(page, "created-9-m365-configuration")
    assert Service.objects.get().status == "active"
    assert len([a for a in sandbox.admin.applications(tenant.tenant_id) if a not in before]) == 1
    assert worker.stop() == 0


@pytest.mark.django_db(transaction=True)
def test_a_global_administrator_creates_the_app_signing_in_on_another_device(
    page: Page, live_server, sandbox, world
):
    # axe is injected as a script: this browser context lets it past the pages' CSP.
    browser = page.context.browser
    page = browser.new_context(ignore_https_errors=True, bypass_csp=True).new_page()
    page.goto(f"{live_server.url}{world.link.path}?method=created-app")
    assert_accessible(page)
    page.get_by_role("link", name="Sign in on another device").click()
    page.get_by_label("Name of the app registration").fill(NAME)
    page.get_by_role("button", name="Sign in on another device").click()
    code = page.locator(".wz-code").inner_text().strip()
    expect(page.get_by_role("status")).to_contain_text("Waiting for you to sign in")
    assert_accessible(page)
    shot(page, "created-device-1-code")

    # The other device: Microsoft's device login page (the sandbox's).
    device = browser.new_context(ignore_https_errors=True).new_page()
    device.goto(f"{sandbox.url}/devicelogin")
    device.locator("input[name='otc']").fill(code)
    device.get_by_role("button", name="Next").click()
    device.locator("input[name='loginfmt']").fill(world.tenant.users["ga"])
    device.get_by_role("button", name="Next").click()
    device.locator("input[name='passwd']").fill(PASSWORD)
    device.get_by_role("button", name="Sign in").click()
    device.get_by_label("Consent on behalf of your organization").check()
    device.get_by_role("button", name="Accept").click()
    shot(device, "created-device-2-other-device")

    # Back on the first device, the page refreshed itself into the review.
    button = page.get_by_role("button", name="Create the app registration")
    expect(button).to_be_visible(timeout=30_000)
    assert_accessible(page)
    button.click()
    expect(page.get_by_role("status").first).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_role("heading", name="The application registration is valid")).to_be_visible(
        timeout=90_000
    )
    assert_accessible(page)
    shot(page, "created-device-3-done")
    assert_exactly_one_app(world, sandbox)
    assert world.worker.stop() == 0
