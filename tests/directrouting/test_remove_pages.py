"""Remove Direct Routing on the service's Direct Routing tab: the button, its confirmation page,
the steps backwards on the tab, the teardown script, and each refusal changing nothing."""

from __future__ import annotations

import pytest

from onramp.audit.models import AuditEvent
from onramp.directrouting.models import FORWARD_STEPS, REMOVAL_STEPS, Provisioning
from onramp.directrouting.services import provisioning_propose
from onramp.services.models import Service
from tests.api.helpers import db_state
from tests.directrouting.test_pages import finish, tab_url
from tests.factories import ServiceFactory
from tests.pages.helpers import visible_text
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(customer):
    return ServiceFactory(connected=True, short_name="Contoso-01", customer=customer)


@pytest.fixture
def started(service, enqueued):
    run = provisioning_propose(service=service)
    finish(run, "plan", "preflight")
    return run


def test_no_remove_button_before_any_step_ran(ops_client, service):
    provisioning_propose(service=service)
    assert "Remove Direct Routing" not in visible_text(ops_client.get(tab_url(service)))
    before = db_state()
    refused = ops_client.post(tab_url(service, "remove/"))
    assert refused.status_code == 409
    assert "there is nothing to remove" in visible_text(refused)
    assert db_state() == before


def test_remove_is_confirmed_then_runs_the_steps_backwards(ops_client, service, started, enqueued):
    tab = visible_text(ops_client.get(tab_url(service)))
    assert "Remove Direct Routing" in tab
    confirm = ops_client.get(tab_url(service, "remove/"))
    assert confirm.status_code == 200
    text = visible_text(confirm)
    assert "Remove Direct Routing from Contoso-01?" in text
    assert "The sub-domains contoso-01.sbc.northwind.example are removed from the tenant." in text
    assert Provisioning.objects.get(pk=started.pk).status == "not-started"  # a GET writes nothing

    done = ops_client.post(tab_url(service, "remove/"))
    assert (done.status_code, done["Location"]) == (302, tab_url(service))
    tab = visible_text(ops_client.get(tab_url(service)))
    assert "Direct Routing is being removed from the customer's tenant." in tab
    for name in ("Numbers unassigned", "Activation user deleted", "Domain removed"):
        assert f"{name} Pending" in tab
    assert "Domain Skipped Stopped: Direct Routing is being removed." in tab
    assert "Start provisioning" not in tab and "Remove Direct Routing" not in tab
    for gone in ("Save numbers", "Download script", "Mark Teams activation done"):
        assert gone not in tab  # provisioning stopped: only removal's actions
    assert [
        e.action for e in AuditEvent.objects.filter(action__startswith="direct_routing.re")
    ] == ["direct_routing.remove_started"]


def test_the_teardown_script_is_downloaded_and_confirmed(ops_client, service, started):
    ops_client.post(tab_url(service, "remove/"))
    script = ops_client.get(tab_url(service, "teams-teardown-script/"))
    assert script["Content-Disposition"] == (
        'attachment; filename="onramp-teams-teardown-contoso-01.ps1"'
    )
    assert "Remove-CsOnlineVoiceRoutingPolicy -Identity $Policy" in script.content.decode()
    started.steps.filter(name="teams_teardown").update(status="waiting", attempts=1)
    assert "Confirm the teardown script ran" in visible_text(ops_client.get(tab_url(service)))
    assert ops_client.post(tab_url(service, "teams-teardown-confirmation/")).status_code == 302
    started.refresh_from_db()
    assert started.teams_teardown_confirmed_at is not None


def test_remove_while_a_step_runs_is_refused_on_the_page(ops_client, service, started):
    started.steps.filter(name="domain").update(status="running", attempts=1)
    assert "Remove Direct Routing" not in visible_text(ops_client.get(tab_url(service)))
    before = db_state()
    refused = ops_client.post(tab_url(service, "remove/"))
    assert refused.status_code == 409
    assert "The step 'Domain' is running" in visible_text(refused)
    assert db_state() == before


def test_a_monitor_may_not_remove(client, monitor, service, started):
    sign_in(client, monitor)
    assert "Remove Direct Routing" not in visible_text(client.get(tab_url(service)))
    before = db_state()
    for tail in ("remove/", "teams-teardown-confirmation/"):
        assert client.post(tab_url(service, tail)).status_code == 403
    assert db_state() == before


def test_another_providers_service_is_not_found(ops_client):
    other = ServiceFactory(connected=True, short_name="Other-01")
    for tail in ("remove/", "teams-teardown-script/"):
        assert ops_client.get(tab_url(other, tail)).status_code == 404
    assert ops_client.post(tab_url(other, "remove/")).status_code == 404


def removed(ops_client, service, run) -> None:
    """Removal begun on the tab and every removal step finished."""
    ops_client.post(tab_url(service, "remove/"))
    finish(run, *REMOVAL_STEPS)
    Provisioning.objects.filter(pk=run.pk).update(status="removed")


def test_a_removed_service_is_provisioned_again_from_the_tab(
    ops_client, service, started, enqueued
):
    removed(ops_client, service, started)
    tab = visible_text(ops_client.get(tab_url(service)))
    assert "Provision again" in tab and "Start provisioning" not in tab
    enqueued.clear()
    assert ops_client.post(tab_url(service, "start/")).status_code == 302
    run = Provisioning.objects.get(pk=started.pk)
    assert run.status == "not-started"
    assert list(run.steps.values_list("name", flat=True)) == list(FORWARD_STEPS)
    assert enqueued == [("onramp.directrouting.tasks.run_step", str(run.pk), "plan")]
    assert AuditEvent.objects.filter(action="direct_routing.started").count() == 1


def test_no_provision_again_while_the_service_is_being_decommissioned(ops_client, service, started):
    removed(ops_client, service, started)
    Service.objects.filter(pk=service.pk).update(decommission_requested_at=started.created_at)
    assert "Provision again" not in visible_text(ops_client.get(tab_url(service)))
    before = db_state()
    refused = ops_client.post(tab_url(service, "start/"))
    assert refused.status_code == 409
    assert "The service is being decommissioned: provisioning cannot go on." in visible_text(
        refused
    )
    assert db_state() == before
