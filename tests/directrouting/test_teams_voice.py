"""The ``teams_voice`` step: the generated PowerShell (interactive sign-in to the customer's
tenant, no key or token, idempotent Get-/New-/Set-, the route to the service's sub-domains) and
the step waiting for the operator's confirmation."""

from __future__ import annotations

import re

import pytest

from onramp.audit.models import AuditEvent
from onramp.core.actors import Actor
from onramp.core.errors import Forbidden, InvalidState
from onramp.directrouting import machine
from onramp.directrouting.machine import provisioning_step_run
from onramp.directrouting.selectors import teams_script_for
from onramp.directrouting.services import provisioning_propose, provisioning_teams_script_confirm
from onramp.directrouting.teams_script import TeamsVoicePlan, quoted, teams_voice_script
from tests.api.helpers import db_state
from tests.clock import PINNED
from tests.factories import OperatorFactory, ProviderFactory, ServiceFactory

pytestmark = pytest.mark.django_db

TENANT = "6f3c2a51-0d4e-4b8a-9c1f-2e7d5b8a9c10"


@pytest.fixture
def service(db):
    provider = ProviderFactory(sbc_domains=["sbc.northwind.example", "sbc2.northwind.example"])
    return ServiceFactory(connected=True, short_name="Contoso-01", customer__provider=provider)


@pytest.fixture
def ops(service):
    return Actor.for_operator(
        OperatorFactory(role="operator", scope="provider", provider=service.provider)
    )


def script() -> str:
    return teams_voice_script(
        TeamsVoicePlan(
            tenant_id=TENANT,
            label="contoso-01",
            subdomains=["contoso-01.sbc.northwind.example", "contoso-01.sbc2.northwind.example"],
            service_name="Contoso-01",
        )
    )


def test_the_script_signs_in_interactively_to_the_customers_tenant():
    text = script()
    assert f"$TenantId = '{TENANT}'" in text
    assert "Connect-MicrosoftTeams -TenantId $TenantId | Out-Null" in text
    connect = [line for line in text.splitlines() if "Connect-MicrosoftTeams" in line]
    assert connect == ["Connect-MicrosoftTeams -TenantId $TenantId | Out-Null"]
    for credential in ("-AccessTokens", "-CertificateThumbprint", "-ApplicationId", "Bearer"):
        assert credential not in text


def test_the_script_reads_before_every_write():
    text = script()
    gets = re.findall(r"Get-Cs\w+", text)
    writes = re.findall(r"(?:New|Set)-Cs\w+", text)
    assert gets == [
        "Get-CsOnlinePstnUsage",
        "Get-CsOnlineVoiceRoute",
        "Get-CsOnlineVoiceRoutingPolicy",
    ]
    assert writes == [
        "Set-CsOnlinePstnUsage",
        "New-CsOnlineVoiceRoute",
        "Set-CsOnlineVoiceRoute",
        "New-CsOnlineVoiceRoutingPolicy",
        "Set-CsOnlineVoiceRoutingPolicy",
    ]
    for write in writes:  # each write sits after the read of the same object
        noun = write.split("-", 1)[1]
        assert text.index(f"Get-{noun}") < text.index(write)


def test_the_route_uses_the_services_subdomains_as_derived_trunks():
    text = script()
    assert (
        "$Gateways = @('contoso-01.sbc.northwind.example', 'contoso-01.sbc2.northwind.example')"
        in text
    )
    assert text.count("-OnlinePstnGatewayList $Gateways") == 2
    assert "$PstnUsage = 'Onramp-contoso-01'" in text
    assert "Grant-CsOnlineVoiceRoutingPolicy -PolicyName $Policy -Global" in text
    assert "New-CsOnlinePSTNGateway" not in text  # derived trunks: never in the customer tenant


def test_quoting_expands_nothing():
    assert quoted("it's $x") == "'it''s $x'"


def test_the_service_script_holds_its_tenant_and_nothing_secret(service):
    provisioning_propose(service=service)
    text = teams_script_for(service)
    connection = service.connection
    assert f"$TenantId = '{connection.tenant_id}'" in text
    assert "@('contoso-01.sbc.northwind.example', 'contoso-01.sbc2.northwind.example')" in text
    assert connection.client_id not in text


def test_no_script_for_a_service_that_is_not_active(db):
    with pytest.raises(InvalidState):
        teams_script_for(ServiceFactory())


def reach_teams_voice(run):
    run.steps.exclude(name__in=["teams_voice", "numbers"]).update(status="done", attempts=1)
    run.steps.filter(name="teams_voice").update(next_attempt_at=PINNED)


def test_the_step_waits_for_the_operator_then_finishes(service, ops, enqueued):
    run = provisioning_propose(service=service)
    reach_teams_voice(run)
    step = provisioning_step_run(provisioning_id=str(run.pk), name="teams_voice")
    assert (step.status, step.message) == (
        "waiting",
        "Download the Teams voice script, run it in PowerShell as a Teams Administrator of the "
        "customer's tenant, then confirm that it ran.",
    )
    run.refresh_from_db()
    assert run.status == "waiting"

    provisioning_teams_script_confirm(actor=ops, service=service)
    assert enqueued[-1] == (machine.STEP_TASK, str(run.pk), "teams_voice")
    step = provisioning_step_run(provisioning_id=str(run.pk), name="teams_voice")
    assert (step.status, step.message) == (
        "done",
        "An operator confirmed the Teams voice script ran (2026-06-15 10:00 UTC).",
    )
    actions = list(
        AuditEvent.objects.filter(action__startswith="direct_routing.")
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["direct_routing.teams_script_confirmed", "direct_routing.step_done"]

    before = db_state()  # confirming again changes nothing
    provisioning_teams_script_confirm(actor=ops, service=service)
    assert db_state() == before


def test_confirming_before_teams_activation_is_refused(service, ops, enqueued):
    provisioning_propose(service=service)
    before = db_state()
    with pytest.raises(InvalidState) as refused:
        provisioning_teams_script_confirm(actor=ops, service=service)
    assert refused.value.detail.startswith("The Teams voice script can be confirmed once Teams")
    assert db_state() == before
    assert enqueued == []


def test_a_monitor_may_not_confirm(service):
    run = provisioning_propose(service=service)
    reach_teams_voice(run)
    monitor = OperatorFactory(role="monitor", scope="provider", provider=service.provider)
    before = db_state()
    with pytest.raises(Forbidden):
        provisioning_teams_script_confirm(actor=Actor.for_operator(monitor), service=service)
    assert db_state() == before
