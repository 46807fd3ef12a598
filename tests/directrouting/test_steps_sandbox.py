"""The steps in the customer's tenant against the real sandbox over HTTPS and the real Knot
server: a run from ``plan`` to ``teams_voice``, each step idempotent, and each failure the
issue lists leaving a step an operator understands and can retry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onramp.audit.models import AuditEvent
from onramp.core.actors import Actor
from onramp.directrouting.dns import Rfc2136Backend, TxtRecord
from onramp.directrouting.dns_settings import dns_settings_set
from onramp.directrouting.machine import provisioning_step_run
from onramp.directrouting.models import Provisioning, StepStatus
from onramp.directrouting.services import (
    provisioning_numbers_set,
    provisioning_sku_confirm,
    provisioning_start,
    provisioning_teams_activation_confirm,
    provisioning_teams_script_confirm,
)
from tests.directrouting.conftest import E3, PHONE, TEAMS_READ, ZONE, use_knot
from tests.m365.conftest import ALL_PERMISSIONS

pytestmark = pytest.mark.django_db

SUBDOMAIN = f"contoso-01.{ZONE}"
USER = f"teams-activation@{SUBDOMAIN}"


def run_due(run: Provisioning, name: str):  # the clock ticks on from PINNED
    """Make the step due now and run it, as a worker would."""
    run.steps.filter(name=name).update(next_attempt_at=run.created_at)
    step = provisioning_step_run(provisioning_id=str(run.pk), name=name)
    assert step is not None, name
    return step


def test_a_run_from_plan_to_teams_voice(world, knot):
    sandbox, tenant, service, ops = world
    run = provisioning_start(actor=ops, service=service)
    assert run_due(run, "plan").status == "done"

    preflight = run_due(run, "preflight")
    assert (preflight.status, preflight.message) == (
        "waiting",
        "Confirm the license for the activation user: Onramp proposes ENTERPRISEPACK (5 free). "
        "It takes a paid seat.",
    )
    assert preflight.detail["proposed"] == "ENTERPRISEPACK"
    assert preflight.detail["teams_phone_units"] == 2
    assert preflight.detail["warnings"] == [
        "The tenant has 2 Teams Phone licenses for 3 licensed users: 1 more is needed before "
        "every user can have a number."
    ]
    provisioning_sku_confirm(actor=ops, service=service, sku="ENTERPRISEPACK")
    preflight = run_due(run, "preflight")
    assert preflight.status == "done"
    assert preflight.message == "Activation user's license: ENTERPRISEPACK (5 free)."

    assert run_due(run, "domain").message == f"Added to the tenant: {SUBDOMAIN}."
    record = run_due(run, "dns_record")
    assert record.status == "done"
    [published] = record.detail["records"]
    assert published["name"] == SUBDOMAIN and published["value"].startswith("MS=ms")
    assert f'{SUBDOMAIN}. 3600 IN TXT "{published["value"]}"' in knot.records()

    assert run_due(run, "domain_verified").message == f"Verified: {SUBDOMAIN}."
    user = run_due(run, "activation_user")
    assert user.message == f"Activation users with ENTERPRISEPACK: {USER}."
    assert run_due(run, "teams_activation").message == f"Teams activated: {USER}."

    voice = run_due(run, "teams_voice")
    assert voice.status == "waiting"
    provisioning_teams_script_confirm(actor=ops, service=service)
    assert run_due(run, "teams_voice").status == "done"

    seen = sandbox.admin.tenant(tenant.tenant_id)
    assert {"id": SUBDOMAIN, "is_verified": True} in seen["domains"]
    users = [u for u in seen["users"] if u["user_principal_name"] == USER]
    assert [u["assigned_licenses"] for u in users] == [["ENTERPRISEPACK"]]
    done = AuditEvent.objects.filter(action="direct_routing.step_done")
    assert sorted(e.changes["new"]["step"] for e in done) == sorted(
        [
            "plan",
            "preflight",
            "domain",
            "dns_record",
            "domain_verified",
            "activation_user",
            "teams_activation",
            "teams_voice",
        ]
    )


def advance(run, *names):
    for name in names:
        step = run_due(run, name)
        assert step.status == "done", (name, step.message)


def test_every_step_run_again_creates_nothing_twice(world, knot):
    sandbox, tenant, service, ops = world
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    names = ["plan", "preflight", "domain", "dns_record", "domain_verified", "activation_user"]
    advance(run, *names)
    first = sandbox.admin.tenant(tenant.tenant_id)
    records = knot.records()
    run.steps.filter(name__in=names).update(status="pending")
    advance(run, *names)
    again = sandbox.admin.tenant(tenant.tenant_id)
    assert (again["domains"], again["users"]) == (first["domains"], first["users"])
    assert [r for r in knot.records() if " SOA " not in r] == [
        r for r in records if " SOA " not in r
    ]
    assert run.steps.get(name="domain").message == f"Already in the tenant: {SUBDOMAIN}."


def test_a_run_asks_microsoft_nothing_twice(world):
    """Round trips are what 1,000 services wait on: the tenant's OpenID configuration is fetched
    once for every step's token, and a user created with its usage location is not patched."""
    sandbox, tenant, service, ops = world
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan", "preflight", "domain", "dns_record", "domain_verified", "activation_user")
    served = [
        (r["method"], r["path"].replace(tenant.tenant_id, "T").replace(SUBDOMAIN, "D"))
        for r in sandbox.admin.requests_served()
    ]
    user_id = sandbox.admin.tenant(tenant.tenant_id)["users"][-1]["id"]
    token = ("POST", "/T/oauth2/v2.0/token")
    assert served == [
        ("GET", "/T/v2.0/.well-known/openid-configuration"),
        token,
        ("GET", "/graph/v1.0/subscribedSkus"),
        token,
        ("GET", "/graph/v1.0/domains/D"),
        ("POST", "/graph/v1.0/domains"),
        token,
        ("GET", "/graph/v1.0/domains/D"),
        ("GET", "/graph/v1.0/domains/D/verificationDnsRecords"),
        token,
        ("GET", "/graph/v1.0/domains/D"),
        ("POST", "/graph/v1.0/domains/D/verify"),
        token,
        ("GET", "/graph/v1.0/subscribedSkus"),
        ("GET", "/graph/v1.0/users/teams-activation@D"),
        ("POST", "/graph/v1.0/users"),
        ("POST", f"/graph/v1.0/users/{user_id}/assignLicense"),
    ]


def test_an_activation_user_found_without_usage_location_is_given_one(world):
    """Microsoft licenses no user without a usage location (the sandbox refuses it too)."""
    sandbox, tenant, service, ops = world
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan", "preflight", "domain", "dns_record", "domain_verified")
    user_id = sandbox.admin.create_user(tenant.tenant_id, USER, "Passw0rd!2026")["id"]
    advance(run, "activation_user")
    patched = [r["path"] for r in sandbox.admin.requests_served() if r["method"] == "PATCH"]
    assert patched == [f"/graph/v1.0/users/{user_id}"]
    users = sandbox.admin.tenant(tenant.tenant_id)["users"]
    assert [u["assigned_licenses"] for u in users if u["id"] == user_id] == [["ENTERPRISEPACK"]]


def test_a_domain_verified_in_another_tenant_stops_the_domain_step(world):
    sandbox, tenant, service, ops = world
    sandbox.admin.create_tenant("Fabrikam", domains=["fabrikam.example", SUBDOMAIN])
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan", "preflight")
    before = sandbox.admin.tenant(tenant.tenant_id)["domains"]
    step = run_due(run, "domain")
    assert (step.status, step.message) == (
        "failed",
        f"The domain {SUBDOMAIN} is already verified in another Microsoft 365 tenant. Remove it "
        "from that tenant (or ask Microsoft support to release it), then retry.",
    )
    assert sandbox.admin.tenant(tenant.tenant_id)["domains"] == before
    assert run.steps.get(name="domain_verified").status == "pending"


def test_no_free_teams_license_stops_preflight(world):
    sandbox, tenant, service, ops = world
    sandbox.admin.set_skus(tenant.tenant_id, [{**E3, "prepaid_units": 0}, PHONE])
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan")
    step = run_due(run, "preflight")
    assert (step.status, step.message) == (
        "failed",
        "No license with Microsoft Teams has a free unit in the customer's tenant, and the "
        "activation user needs one: free or buy one (Microsoft 365 admin center → Billing → "
        "Licenses), then retry.",
    )
    assert step.detail["candidates"] == []


def test_no_country_on_the_customer_stops_the_activation_user(world):
    sandbox, tenant, service, ops = world
    service.customer.country = ""
    service.customer.save()
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan", "preflight", "domain", "dns_record", "domain_verified")
    before = sandbox.admin.tenant(tenant.tenant_id)["users"]
    step = run_due(run, "activation_user")
    assert (step.status, step.message) == (
        "failed",
        f"The customer {service.customer.name} has no country: set it on the customer (Microsoft "
        "needs it as the usage location to license a user), then retry.",
    )
    assert sandbox.admin.tenant(tenant.tenant_id)["users"] == before


def test_the_dns_server_refusing_names_the_reason(world, knot):
    _sandbox, _tenant, service, ops = world
    use_knot(service.provider, knot, key_secret="d3JvbmctMzItYnl0ZS1zZWNyZXQtZm9yLXRzaWcta2V5IQ==")
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan", "preflight", "domain")
    step = run_due(run, "dns_record")
    assert step.status == "failed"
    assert "TSIG" in step.message
    assert [r for r in knot.records() if " TXT " in r] == []


def test_verification_waits_while_dns_propagates_then_gives_up(world, clock, settings):
    _sandbox, _tenant, service, ops = world
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan", "preflight", "domain")
    run.steps.filter(name="dns_record").update(
        status="done", attempts=1, finished_at=run.created_at
    )  # published nowhere
    step = run_due(run, "domain_verified")
    assert (step.status, step.message) == (
        "waiting",
        f"Waiting for DNS to propagate: Microsoft has not found the record of {SUBDOMAIN} yet.",
    )
    assert timedelta(minutes=2) <= step.next_attempt_at - run.created_at < timedelta(minutes=3)
    clock.advance(timedelta(hours=settings.DOMAIN_VERIFY_HOURS))
    step = run_due(run, "domain_verified")
    assert (step.status, step.message) == (
        "failed",
        f"Microsoft has not found the verification record of {SUBDOMAIN} in 24 hours: check "
        "that the TXT record is published in the public DNS, then retry.",
    )


def test_teams_activation_waits_then_the_operator_marks_it_done(world):
    sandbox, tenant, service, ops = world
    sandbox.admin.set_teams_activation(tenant.tenant_id, 3600)
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan", "preflight", "domain", "dns_record", "domain_verified", "activation_user")
    step = run_due(run, "teams_activation")
    assert (step.status, step.message) == (
        "waiting",
        f"Teams has not activated {USER} yet; Microsoft can take up to 48 hours. Onramp keeps "
        "checking; you may also mark it done.",
    )
    provisioning_teams_activation_confirm(actor=ops, service=service, reclaim_license=True)
    step = run_due(run, "teams_activation")
    assert step.status == "done"
    assert step.message.endswith("The activation users' ENTERPRISEPACK licenses were removed.")
    users = sandbox.admin.tenant(tenant.tenant_id)["users"]
    assert [u["assigned_licenses"] for u in users if u["user_principal_name"] == USER] == [[]]


def test_throttling_is_retried_with_retry_after(world):
    sandbox, _tenant, service, ops = world
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan")
    sandbox.admin.set_faults(status=429, rate=1.0, retry_after=120, paths="graph")
    try:
        step = run_due(run, "preflight")
    finally:
        sandbox.admin.clear_faults()
    assert step.status == StepStatus.PENDING
    assert timedelta(seconds=120) <= step.next_attempt_at - run.created_at < timedelta(minutes=3)
    assert step.message.startswith("Microsoft is throttling requests")


def rerun_after_killed_worker(run: Provisioning, name: str):
    """The step left running by a worker that died, its lease run out; a worker takes it."""
    run.steps.filter(name=name).update(
        status="running", attempts=1, next_attempt_at=run.created_at - timedelta(seconds=1)
    )
    return provisioning_step_run(provisioning_id=str(run.pk), name=name)


def test_a_worker_killed_mid_step_leaves_it_retryable(world):
    sandbox, tenant, service, ops = world
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan", "preflight")
    step = rerun_after_killed_worker(run, "domain")
    assert (step.status, step.attempts) == ("done", 2)
    domains = [d["id"] for d in sandbox.admin.tenant(tenant.tenant_id)["domains"]]
    assert domains.count(SUBDOMAIN) == 1


NUMBERS_READ = "TeamsTelephoneNumber.ReadWrite.All"


def reach_numbers(world, rows):
    sandbox, tenant, service, ops = world
    sandbox.admin.update_application(
        tenant.tenant_id,
        tenant.app_id,
        permissions=[*ALL_PERMISSIONS, TEAMS_READ, NUMBERS_READ],
    )
    sandbox.admin.set_skus(tenant.tenant_id, [{**E3, "service_plans": ["TEAMS1", "MCOEV"]}, PHONE])
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan", "preflight", "domain", "dns_record", "domain_verified")
    advance(run, "activation_user", "teams_activation")
    provisioning_teams_script_confirm(actor=ops, service=service)
    advance(run, "teams_voice")
    provisioning_numbers_set(actor=ops, service=service, rows=rows)
    return run


def test_numbers_are_assigned_and_checked_row_by_row(world):
    sandbox, tenant, service, ops = world
    unlicensed = f"nophone@{tenant.default_domain}"
    sandbox.admin.create_user(tenant.tenant_id, unlicensed, "Passw0rd!2026", usage_location="GB")
    rows = [
        {"user_principal_name": USER, "phone_number": "+442071234567"},
        {"user_principal_name": f"ghost@{tenant.default_domain}", "phone_number": "+442071234568"},
        {"user_principal_name": unlicensed, "phone_number": "+442071234569"},
    ]
    run = reach_numbers(world, rows)
    step = run_due(run, "numbers")
    assert step.status == "failed"
    assert [(r["status"], r["message"]) for r in step.detail["rows"]] == [
        ("assigned", f"+442071234567 is assigned to {USER}."),
        ("failed", f"There is no user ghost@{tenant.default_domain} in the customer's tenant."),
        (
            "failed",
            f"{unlicensed} has no Teams Phone license, which a Direct Routing number needs.",
        ),
    ]
    assert step.message.startswith("2 of 3 numbers were not assigned; the first: There is no")

    provisioning_numbers_set(actor=ops, service=service, rows=rows[:1])  # corrected list
    step = run_due(run, "numbers")
    assert (step.status, step.message) == ("done", "Assigned 1 number.")
    run.refresh_from_db()
    assert run.status == "done"


def test_no_numbers_skips_the_step_and_the_run_is_done(world):
    _sandbox, _tenant, _service, _ops = world
    run = reach_numbers(world, [])
    step = run_due(run, "numbers")
    assert (step.status, step.message) == (
        "skipped",
        "No numbers to assign: this step is optional.",
    )
    run.refresh_from_db()
    assert run.status == "done"


def test_the_license_is_reclaimed_after_teams_activated_on_its_own(world):
    sandbox, tenant, service, ops = world
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan", "preflight", "domain", "dns_record", "domain_verified")
    advance(run, "activation_user", "teams_activation")
    provisioning_teams_activation_confirm(actor=ops, service=service, reclaim_license=True)
    step = run_due(run, "teams_activation")
    assert step.status == "done"
    assert step.message.endswith("The activation users' ENTERPRISEPACK licenses were removed.")
    users = sandbox.admin.tenant(tenant.tenant_id)["users"]
    assert [u["assigned_licenses"] for u in users if u["user_principal_name"] == USER] == [[]]
    run.refresh_from_db()
    assert (run.reclaim_license, run.teams_activation_confirmed_at is not None) == (True, True)


def test_the_manual_backend_shows_the_record_then_waits_for_it(world, knot):
    _sandbox, _tenant, service, ops = world
    dns_settings_set(
        actor=Actor.system(),
        provider=service.provider,
        backend="manual",
        settings={"zone": ZONE, "resolver": f"{knot.host}:{knot.port}"},
    )
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan", "preflight", "domain")
    step = run_due(run, "dns_record")
    [record] = step.detail["records"]
    assert (step.status, step.message) == (
        "waiting",
        "Publish these records in your DNS; Onramp looks for them every few minutes: "
        f'{SUBDOMAIN}. 3600 IN TXT "{record["value"]}"',
    )
    Rfc2136Backend(knot.settings()).publish(TxtRecord(SUBDOMAIN, record["value"]))  # by hand
    step = run_due(run, "dns_record")
    assert (step.status, step.message) == (
        "done",
        f"Published: {SUBDOMAIN} TXT {record['value']}.",
    )
    assert run_due(run, "domain_verified").status == "done"


def test_the_activation_password_is_never_kept(world, monkeypatch, caplog):
    import logging

    from tests.security.scan import every_stored_value

    caplog.set_level(logging.DEBUG)
    made = []
    monkeypatch.setattr(
        "onramp.m365.provisioning.activation_password",
        lambda: made.append(1) or "Known-Activation-Pa55!",
    )
    _sandbox, _tenant, service, ops = world
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan", "preflight", "domain", "dns_record", "domain_verified")
    advance(run, "activation_user")
    assert made == [1]  # the user was created with it
    assert "Known-Activation-Pa55!" not in every_stored_value() + caplog.text
