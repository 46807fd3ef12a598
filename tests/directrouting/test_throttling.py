"""Microsoft throttling across many services (issue 12, "Bad input and failure"): a 429 storm
while a hundred runs are at the domain step, first at the token endpoint, then on Graph. Each
throttled step waits as an operator can read it, no sooner than Retry-After, and every run then
reaches its activation user: none failed.

Driven in-process as workers would (each due step run, the earliest first); when nothing is
due the pinned clock moves on, and the sandbox's clock with it, so that the times its request
log shows are the product's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

import pytest

from onramp.audit.models import AuditEvent
from onramp.core.actors import Actor
from onramp.directrouting.dns_settings import dns_settings_set
from onramp.directrouting.machine import due, provisioning_step_run
from onramp.directrouting.models import Provisioning, ProvisioningStep
from onramp.directrouting.services import provisioning_start
from onramp.sandbox.state import DEFAULT_POWERDNS_KEY
from tests.directrouting.conftest import E3, ZONE
from tests.factories import CustomerFactory, OperatorFactory, ProviderFactory, ServiceFactory
from tests.m365.conftest import make_tenant

pytestmark = pytest.mark.django_db

SERVICES = 100
RETRY_AFTER = 120  # seconds: longer than the first backoff (30 s), so it is what decides
STEPS = ["plan", "preflight", "domain", "dns_record", "domain_verified", "activation_user"]


@pytest.fixture
def runs(sandbox, microsoft_settings, enqueued, clock):
    """A hundred active services, each in a tenant of its own (Microsoft throttles per tenant
    and application), the provider's zone in the sandbox's DNS hosting; runs started with the
    license confirmed."""
    sandbox.admin.create_zone(ZONE)
    provider = ProviderFactory(sbc_domain=ZONE, sbc_domains=[ZONE])
    dns_settings_set(
        actor=Actor.system(),
        provider=provider,
        backend="powerdns",
        settings={
            "zone": ZONE,
            "auth_token": DEFAULT_POWERDNS_KEY,
            "pdns_server": sandbox.url.replace("https://", "http://") + "/powerdns",
        },
    )
    customer = CustomerFactory(provider=provider, country="GB")
    ops = Actor.for_operator(OperatorFactory(provider=provider))
    started = []
    for n in range(SERVICES):
        tenant = make_tenant(sandbox, name=f"Tenant {n:03d}")
        sandbox.admin.set_skus(tenant.tenant_id, [E3])
        service = ServiceFactory(
            connected=True, tenant=tenant, short_name=f"Svc-{n:03d}", customer=customer
        )
        run = provisioning_start(actor=ops, service=service, confirm_sku=True)
        started.append((run, tenant.tenant_id))
    moved(clock, sandbox, clock.now())
    return started


def moved(clock, sandbox, moment: datetime) -> None:
    """The product's clock to ``moment``, then the sandbox's, to the millisecond."""
    clock.set(moment)
    sandbox.admin.set_clock(moment.isoformat())


def retries() -> tuple[datetime, datetime]:
    """When the first and the last throttled step are due again."""
    pending = ProvisioningStep.objects.filter(name="domain", status="pending")
    moments = pending.values_list("next_attempt_at", flat=True)
    return min(moments), max(moments)


def run_due(names: list[str]) -> int:
    """Every step of ``names`` due now, the earliest first, as workers would; how many ran."""
    ran = 0
    while True:
        steps = list(
            ProvisioningStep.objects.filter(due(), name__in=names).order_by("next_attempt_at")[:1]
        )
        if not steps:
            return ran
        provisioning_step_run(provisioning_id=str(steps[0].provisioning_id), name=steps[0].name)
        ran += 1


def clock_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def test_a_429_storm_across_a_hundred_services_is_waited_out(runs, sandbox, clock):
    assert run_due(["plan", "preflight"]) == 2 * SERVICES

    sandbox.admin.set_faults(status=429, retry_after=RETRY_AFTER, paths="token")
    assert run_due(STEPS) == SERVICES  # each domain step: refused its token, nothing else
    throttled = ProvisioningStep.objects.filter(name="domain").select_related("provisioning")
    for step in throttled:
        assert (step.status, step.attempts) == ("pending", 1)
        assert step.next_attempt_at - step.updated_at == timedelta(seconds=RETRY_AFTER)
        assert step.message == (
            "Microsoft is throttling requests (AADSTS90055). Nothing was changed; try again in "
            f"120 seconds. Trying again at {clock_text(step.next_attempt_at)}."
        )
    assert set(Provisioning.objects.values_list("status", flat=True)) == {"running"}

    first, last = retries()
    moved(clock, sandbox, first - timedelta(seconds=1))
    assert run_due(STEPS) == 0  # a second before Retry-After runs out: nothing asks again
    moved(clock, sandbox, last)
    sandbox.admin.set_faults(status=429, retry_after=RETRY_AFTER, paths="graph")
    assert run_due(STEPS) == SERVICES  # now the token comes, and Graph refuses the read
    for step in throttled.all():
        domain = f"{step.provisioning.label}.{ZONE}"
        assert (step.status, step.attempts) == ("pending", 2)
        assert step.next_attempt_at - step.updated_at == timedelta(seconds=RETRY_AFTER)
        assert step.message == (
            f"Microsoft is throttling requests while trying to read the domain {domain}; try "
            f"again in 120 seconds. Trying again at {clock_text(step.next_attempt_at)}."
        )

    sandbox.admin.clear_faults()
    moved(clock, sandbox, retries()[1])
    assert run_due(STEPS) == 4 * SERVICES  # domain to activation user, each once

    finished = ProvisioningStep.objects.filter(name__in=STEPS)
    assert sorted(finished.values_list("name", "status", "attempts").distinct()) == sorted(
        (name, "done", 3 if name == "domain" else 1) for name in STEPS
    )
    assert finished.count() == len(STEPS) * SERVICES
    assert not AuditEvent.objects.filter(action="direct_routing.step_failed").exists()
    done = AuditEvent.objects.filter(action="direct_routing.step_done")
    assert done.count() == len(STEPS) * SERVICES
    for run, tenant_id in runs:
        users = sandbox.admin.tenant(tenant_id)["users"]
        upn = f"teams-activation@{run.label}.{ZONE}"
        assert [u["assigned_licenses"] for u in users if u["user_principal_name"] == upn] == [
            ["ENTERPRISEPACK"]
        ]

    # Retry-After honoured: after each 429 its tenant's next request came 120 s later or more.
    # Identity requests name their tenant; a Graph request is that of the token before it (the
    # driver runs one step at a time); the provider's DNS is not Microsoft.
    by_tenant: dict[str, list[tuple[datetime, int]]] = {}
    tenant = ""
    for served in sandbox.admin.requests_served():
        if served["path"].startswith("/powerdns/"):
            continue
        if not served["path"].startswith("/graph/"):
            tenant = served["path"].split("/")[1]
        moment = datetime.fromisoformat(served["time"].replace("Z", "+00:00"))
        by_tenant.setdefault(tenant, []).append((moment, served["status"]))
    assert len(by_tenant) == SERVICES
    gaps = [
        later - moment
        for answers in by_tenant.values()
        for (moment, status), (later, _) in pairwise(answers)
        if status == 429
    ]
    assert len(gaps) == 2 * SERVICES
    assert min(gaps) >= timedelta(seconds=RETRY_AFTER)
