"""Direct Routing end to end (issue 12, Proof): in a real browser against the live server, a
real ``onramp worker`` process running every step, the sandbox over HTTPS standing in for the
customer's tenant and the real Knot server as the provider's DNS. An active service is
provisioned from ``plan`` to ``teams_voice`` confirmed, a number is assigned from a CSV file,
then the service is decommissioned. The zone and the tenant are inspected at each stage: the
records, the domain, the activation user and the app are there, then gone. Screenshots go to
test-results/screenshots/direct-routing-e2e-*.png."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from onramp.audit.models import AuditEvent
from onramp.directrouting.models import FORWARD_STEPS, REMOVAL_STEPS
from onramp.services.models import Service
from tests.cli.conftest import background, database, sqlite_template  # noqa: F401 - shared
from tests.clock import Clock
from tests.conftest import PASSWORD
from tests.directrouting.conftest import E3, INITIAL, PHONE, TEAMS_READ, ZONE, use_knot
from tests.directrouting.test_decommission_sandbox import created_app, may_delete_itself
from tests.directrouting.test_steps_sandbox import NUMBERS_READ
from tests.factories import ServiceFactory
from tests.m365.conftest import ALL_PERMISSIONS, make_tenant
from tests.pages.browser import shoot
from tests.signin import sign_in_browser

pytestmark = pytest.mark.django_db(transaction=True)

SUBDOMAIN = f"contoso-01.{ZONE}"
USER = f"teams-activation@{SUBDOMAIN}"
NUMBER = "+442071234567"
A_MINUTE = 60_000  # ms: a step the worker picks up and runs


@pytest.fixture
def clock() -> Clock:
    """The worker runs in a process of its own, on the wall clock: so does this test."""
    return Clock.wall()


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def tenant_and_service(sandbox, microsoft_settings, knot, provider, customer):
    """A customer tenant whose app (made by Onramp, owning itself) may do every step and delete
    itself, Teams activating users at once, the provider's zone in Knot, an active service."""
    sandbox.admin.set_clock(None)
    tenant = make_tenant(sandbox, permissions=[*ALL_PERMISSIONS, TEAMS_READ, NUMBERS_READ])
    sandbox.admin.set_skus(tenant.tenant_id, [{**E3, "service_plans": ["TEAMS1", "MCOEV"]}, PHONE])
    sandbox.admin.set_dns(f"{knot.host}:{knot.port}")
    provider.sbc_domain, provider.sbc_domains = ZONE, [ZONE]
    provider.save()
    use_knot(provider, knot)
    customer.country = "GB"
    customer.save()
    service = ServiceFactory(
        connected=True, tenant=tenant, short_name="Contoso-01", licensed_users=2, customer=customer
    )
    app = created_app(sandbox, tenant, service)
    may_delete_itself(sandbox, tenant, app, "Application.ReadWrite.OwnedBy")
    yield tenant, service
    sandbox.admin.set_dns(None)


@pytest.fixture
def worker(database, background, sandbox, live_server):  # noqa: F811
    process = background(
        ["worker"],
        database.env
        | {
            "ONRAMP_PUBLIC_URL": live_server.url,
            **sandbox.onramp_env,
        },
        name="worker",
    )
    yield process
    assert process.stop() == 0, process.output()


def step_badge(page: Page, name: str):
    return page.locator(f"#step-{name} .badge")


def txt_records(knot) -> list[str]:
    return [record for record in knot.records() if " TXT " in record]


def test_provisioned_numbered_and_decommissioned_by_the_worker(
    page: Page, live_server, sandbox, knot, operator, tenant_and_service, worker, tmp_path
):
    tenant, service = tenant_and_service
    before = sandbox.admin.tenant(tenant.tenant_id)
    assert (before["users"], len(before["applications"])) == ([], 1)
    sign_in_browser(page, live_server.url, operator.email, PASSWORD, operator)
    page.goto(f"{live_server.url}/services/{service.pk}/")
    page.get_by_role("link", name="Direct Routing").click()
    expect(page.locator("#dr-subdomains")).to_have_text(SUBDOMAIN)
    shoot(page, "direct-routing-e2e-1-proposed", "wide")

    # Start: plan and preflight run in the worker; the license waits for the operator.
    page.get_by_role("button", name="Start provisioning").click()
    expect(step_badge(page, "preflight")).to_have_text("Waiting", timeout=A_MINUTE)
    expect(page.get_by_label("Activation user's license")).to_have_value("ENTERPRISEPACK")
    shoot(page, "direct-routing-e2e-2-confirm-license", "wide")
    page.get_by_role("button", name="Confirm license").click()

    # Domain, TXT record, verification, activation user, Teams activation; then the script.
    expect(step_badge(page, "teams_voice")).to_have_text("Waiting", timeout=A_MINUTE)
    for name in ("domain", "dns_record", "domain_verified", "activation_user", "teams_activation"):
        expect(step_badge(page, name)).to_have_text("Done")
    shoot(page, "direct-routing-e2e-3-teams-voice-script", "wide")
    [record] = txt_records(knot)
    assert record.startswith(f'{SUBDOMAIN}. 3600 IN TXT "MS=ms')
    seen = sandbox.admin.tenant(tenant.tenant_id)
    assert seen["domains"] == [*before["domains"], {"id": SUBDOMAIN, "is_verified": True}]
    assert [(u["user_principal_name"], u["assigned_licenses"]) for u in seen["users"]] == [
        (USER, ["ENTERPRISEPACK"])
    ]
    assert seen["applications"] == before["applications"]

    with page.expect_download() as download:
        page.get_by_role("link", name="Download script").click()
    script = open(download.value.path(), encoding="utf-8").read()
    assert f"$Gateways = @('{SUBDOMAIN}')" in script
    assert f"$TenantId = '{tenant.tenant_id}'" in script

    # Numbers from a CSV file a spreadsheet exported, saved before the script is confirmed.
    csv = tmp_path / "numbers.csv"
    csv.write_text(f"User principal name,Phone number\n{USER},{NUMBER}\n", encoding="utf-8")
    page.get_by_label("Or a CSV file").set_input_files(csv)
    page.get_by_role("button", name="Save numbers").click()
    expect(page.get_by_role("status").first).to_contain_text("The numbers were saved")
    page.get_by_role("button", name="Confirm the script ran").click()
    expect(page.locator(".dr-head .badge")).to_have_text("Done", timeout=A_MINUTE)
    expect(page.locator(".dr-numbers")).to_contain_text(f"{NUMBER} is assigned to {USER}.")
    shoot(page, "direct-routing-e2e-4-provisioned", "wide")
    [user] = sandbox.admin.tenant(tenant.tenant_id)["users"]
    assert sandbox.admin.tenant(tenant.tenant_id)["telephone_numbers"] == [
        {"telephone_number": NUMBER, "assigned_to": user["id"]}
    ]

    # Decommission: removal runs backwards; the teardown script waits for the operator.
    page.goto(f"{live_server.url}/services/{service.pk}/")
    page.get_by_role("link", name="Decommission").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Decommission Contoso-01?")
    shoot(page, "direct-routing-e2e-5-decommission", "wide")
    page.get_by_role("button", name="Decommission").click()
    page.get_by_role("link", name="Direct Routing").click()
    expect(step_badge(page, "teams_teardown")).to_have_text("Waiting", timeout=A_MINUTE)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download teardown script").click()
    assert download.value.suggested_filename == "onramp-teams-teardown-contoso-01.ps1"
    page.get_by_role("button", name="Confirm the teardown script ran").click()
    expect(page.locator(".dr-head .badge")).to_have_text("Removed", timeout=A_MINUTE)
    shoot(page, "direct-routing-e2e-6-removed", "wide")

    page.goto(f"{live_server.url}/services/{service.pk}/")
    finished = (
        "Decommissioned: Onramp holds no credentials for this tenant any more, and the app "
        "registration it created was deleted."
    )
    deadline = time.monotonic() + 60  # the worker's finishing task, right after removal
    while finished not in page.locator("main").inner_text() and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    expect(page.locator("main")).to_contain_text(finished)
    shoot(page, "direct-routing-e2e-7-decommissioned", "wide")

    # Nothing left: no record in the zone, no domain, user, number or app in the tenant.
    assert [r for r in knot.records() if " SOA " not in r] == [
        r for r in INITIAL if " SOA " not in r
    ]
    assert sandbox.admin.tenant(tenant.tenant_id) == {**before, "applications": []}
    gone = Service.objects.get(pk=service.pk)
    assert (gone.status, gone.app_to_delete) == ("decommissioned", {})
    assert (gone.connection.client_id, gone.connection.secret_sealed) == ("", "")
    done = AuditEvent.objects.filter(action="direct_routing.step_done", target_id=str(service.pk))
    assert sorted(e.changes["new"]["step"] for e in done) == sorted(
        [*FORWARD_STEPS, *REMOVAL_STEPS]
    )
    assert not AuditEvent.objects.filter(action="direct_routing.step_failed").exists()
