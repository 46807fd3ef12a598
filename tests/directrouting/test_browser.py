"""In a real browser: the provider's admin sets the SBC domains and the RFC 2136 backend and
runs Test DNS against the real Knot server; an operator edits the label on the service's Direct
Routing tab, reads the stepper and downloads the Teams script. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from onramp.accounts.models import Operator
from onramp.directrouting.models import Provisioning
from onramp.directrouting.services import provisioning_propose, provisioning_start
from tests.conftest import PASSWORD
from tests.directrouting.conftest import KEY_NAME, KEY_SECRET, ZONE
from tests.directrouting.test_steps_sandbox import run_due
from tests.factories import ServiceFactory
from tests.pages.browser import shoot
from tests.signin import sign_in_browser

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"wide": (1280, 900), "narrow": (390, 844)}


@pytest.fixture(params=list(WIDTHS))
def width(request, page: Page) -> str:
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[request.param], strict=True)))
    return request.param


def test_provider_admin_sets_dns_and_tests_it(page: Page, live_server, provider, knot, width):
    admin = Operator.objects.create_user(
        "admin@northwind.example", PASSWORD, role="admin", scope="provider", provider=provider
    )
    sign_in_browser(page, live_server.url, admin.email, PASSWORD, admin)
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Direct Routing settings")

    page.get_by_role("textbox", name="SBC domains").fill(
        "sbc.northwind.example\nsbc2.northwind.example"
    )
    page.get_by_role("button", name="Save SBC domains").click()
    expect(page.get_by_role("status")).to_contain_text("The SBC domains were saved.")

    page.get_by_role("combobox", name="DNS backend").select_option("rfc2136")
    page.get_by_role("textbox", name="Zone", exact=True).fill(ZONE)
    page.get_by_label("Server (RFC 2136)").fill(knot.host)
    page.get_by_label("Port (RFC 2136)").fill(str(knot.port))
    page.get_by_label("TSIG key name (RFC 2136)").fill(KEY_NAME)
    page.get_by_label("TSIG key secret (RFC 2136)").fill(KEY_SECRET)
    page.get_by_role("button", name="Save DNS backend").click()
    expect(page.get_by_role("status")).to_contain_text("The DNS backend was saved.")
    expect(page.get_by_label("TSIG key secret (RFC 2136)")).to_have_value("")

    page.get_by_role("button", name="Test DNS").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Test DNS passed: The DNS server {knot.host}:{knot.port} created"
    )
    shoot(page, "direct-routing-settings", width)


def test_operator_edits_the_label_and_downloads_the_script(
    page: Page, live_server, operator, customer, width
):
    service = ServiceFactory(connected=True, short_name="Contoso-01", customer=customer)
    run = provisioning_propose(service=service)
    run.steps.filter(name="plan").update(status="done", attempts=1, message="Sub-domains: x.")
    sign_in_browser(page, live_server.url, operator.email, PASSWORD, operator)
    page.goto(f"{live_server.url}/services/")
    page.get_by_role("row").filter(has_text="Contoso-01").get_by_role(
        "link", name="Contoso-01"
    ).click()
    page.get_by_role("link", name="Direct Routing").click()
    expect(page.locator("#dr-label")).to_have_text("contoso-01")

    page.get_by_label("Sub-domain label").fill("bad_label")
    page.get_by_role("button", name="Save label").click()
    expect(page.locator("#id_subdomain_label-error")).to_have_text(
        "Enter a label of letters, digits and inner hyphens."
    )
    page.get_by_label("Sub-domain label").fill("contoso")
    page.get_by_role("button", name="Save label").click()
    expect(page.locator("#dr-label")).to_have_text("contoso")
    expect(page.locator("#dr-subdomains")).to_have_text("contoso.sbc.northwind.example")
    expect(page.locator("#step-plan .badge")).to_have_text("Done")
    expect(page.locator("#step-teams_voice .badge")).to_have_text("Pending")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download script").click()
    assert download.value.suggested_filename == "onramp-teams-voice-contoso.ps1"
    text = open(download.value.path(), encoding="utf-8").read()
    assert "$Gateways = @('contoso.sbc.northwind.example')" in text
    shoot(page, "direct-routing-tab", width)


def test_a_run_through_the_tab_against_the_sandbox(page: Page, live_server, world, width):
    """The operator starts provisioning, confirms the license, downloads and confirms the
    Teams script on the tab; the steps run in between as a worker would run them."""
    _sandbox, _tenant, service, ops = world
    operator = ops.operator
    sign_in_browser(page, live_server.url, operator.email, PASSWORD, operator)
    tab = f"{live_server.url}/services/{service.pk}/direct-routing/"
    page.goto(tab)
    page.get_by_role("button", name="Start provisioning").click()
    expect(page.locator(".dr-progress")).to_have_text(
        "Provisioning is running; this page refreshes itself every few seconds."
    )
    run = Provisioning.objects.get(service=service)
    for name in ("plan", "preflight"):
        run_due(run, name)

    page.goto(tab)
    expect(page.locator("#step-preflight .badge")).to_have_text("Waiting")
    expect(page.get_by_label("Activation user's license")).to_have_value("ENTERPRISEPACK")
    page.get_by_role("button", name="Confirm license").click()
    expect(page.locator(".flashes")).to_contain_text("The activation user's license is")
    for name in ("preflight", "domain", "dns_record", "domain_verified", "activation_user"):
        run_due(run, name)
    for name in ("teams_activation", "teams_voice"):
        run_due(run, name)

    page.goto(tab)
    expect(page.locator("#step-domain_verified .badge")).to_have_text("Done")
    expect(page.locator("#step-teams_voice .badge")).to_have_text("Waiting")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download script").click()
    assert download.value.suggested_filename == "onramp-teams-voice-contoso-01.ps1"
    page.get_by_role("button", name="Confirm the script ran").click()
    expect(page.locator(".flashes")).to_contain_text("The Teams voice script was confirmed")
    run_due(run, "teams_voice")
    run_due(run, "numbers")

    page.goto(tab)
    expect(page.locator(".dr-head .badge")).to_have_text("Done")
    expect(page.locator("#step-numbers .badge")).to_have_text("Skipped")
    shoot(page, "direct-routing-run-done", width)
    page.goto(f"{live_server.url}/services/")
    row = page.get_by_role("row").filter(has_text="Contoso-01")
    expect(row.locator("td[data-label='Direct Routing'] .badge")).to_have_text("Done")


def test_provisioned_then_removed_through_the_tab(page: Page, live_server, world, width):
    """A provisioned service's Direct Routing removed on the tab: the confirmation page, the
    steps backwards (run as a worker would run them), the teardown script downloaded and
    confirmed; the sandbox tenant keeps no sub-domain."""
    sandbox, tenant, service, ops = world
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    for name in ("plan", "preflight", "domain", "dns_record", "domain_verified"):
        run_due(run, name)
    run_due(run, "activation_user")
    operator = ops.operator
    sign_in_browser(page, live_server.url, operator.email, PASSWORD, operator)
    tab = f"{live_server.url}/services/{service.pk}/direct-routing/"
    page.goto(tab)
    page.get_by_role("link", name="Remove Direct Routing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Remove Direct Routing from Contoso-01?"
    )
    shoot(page, "direct-routing-remove-confirm", width)
    page.get_by_role("button", name="Remove Direct Routing").click()
    expect(page.locator(".flashes")).to_contain_text(
        "Direct Routing is being removed from the customer's tenant."
    )
    expect(page.locator(".dr-progress")).to_have_text(
        "Removal is running; this page refreshes itself every few seconds."
    )
    expect(page.locator("#step-teams_activation .badge")).to_have_text("Skipped")
    for name in (
        "numbers_unassigned",
        "activation_user_deleted",
        "domain_removed",
        "dns_record_deleted",
        "teams_teardown",
    ):
        run_due(run, name)

    page.goto(tab)
    expect(page.locator("#step-domain_removed .badge")).to_have_text("Done")
    expect(page.locator("#step-teams_teardown .badge")).to_have_text("Waiting")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download teardown script").click()
    assert download.value.suggested_filename == "onramp-teams-teardown-contoso-01.ps1"
    page.get_by_role("button", name="Confirm the teardown script ran").click()
    expect(page.locator(".flashes")).to_contain_text("The Teams teardown script was confirmed")
    run_due(run, "teams_teardown")

    page.goto(tab)
    expect(page.locator(".dr-head .badge")).to_have_text("Removed")
    shoot(page, "direct-routing-removed", width)
    domains = [d["id"] for d in sandbox.admin.tenant(tenant.tenant_id)["domains"]]
    assert "contoso-01.sbc.northwind.example" not in domains
