"""Bulk Provision: services selected on the Services list, one job starting provisioning for
each (a result per service), its progress page, and refusals changing nothing."""

from __future__ import annotations

import pytest

from onramp.directrouting import bulk
from onramp.directrouting.bulk import bulk_provisioning_run
from onramp.directrouting.models import BulkProvisioning, Provisioning
from onramp.directrouting.services import provisioning_propose
from tests.api.helpers import db_state
from tests.factories import ServiceFactory
from tests.pages.helpers import visible_text
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(monkeypatch, enqueued):
    calls: list[tuple] = []
    monkeypatch.setattr(bulk, "enqueue_on_commit", lambda *args: calls.append(args))
    return calls


def test_selected_services_are_provisioned_with_a_result_each(ops_client, customer, jobs):
    one = ServiceFactory(connected=True, short_name="Contoso-01", customer=customer)
    two = ServiceFactory(connected=True, short_name="Contoso-02", customer=customer)
    waiting = ServiceFactory(short_name="Contoso-03", customer=customer)
    listed = ops_client.get("/services/").content.decode()
    assert f'value="{one.pk}" form="bulk-provision"' in listed
    assert f'value="{waiting.pk}" form="bulk-provision"' not in listed  # not active

    # the second one was being removed: refused, the others started
    ops_client.post(f"/services/{two.pk}/direct-routing/start/")
    run = Provisioning.objects.get(service=two)
    run.steps.filter(name="plan").update(status="done", attempts=1)
    ops_client.post(f"/services/{two.pk}/direct-routing/remove/")
    # the third one's Direct Routing was removed: provisioned again only on purpose, one by one
    three = ServiceFactory(connected=True, short_name="Contoso-04", customer=customer)
    provisioning_propose(service=three)
    Provisioning.objects.filter(service=three).update(status="removed")
    chosen = [str(one.pk), str(two.pk), str(three.pk), str(waiting.pk)]
    response = ops_client.post("/services/provision/", {"service": chosen})
    job = BulkProvisioning.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/services/provision/{job.pk}/")
    assert job.service_ids == [str(one.pk), str(two.pk), str(three.pk)]
    assert jobs == [("onramp.directrouting.tasks.bulk_provision", str(job.pk))]
    page = visible_text(ops_client.get(response["Location"]))
    assert "0 of 3 started" in page

    bulk_provisioning_run(job_id=str(job.pk))
    job.refresh_from_db()
    assert job.status == "done"
    assert job.results == {
        str(one.pk): {"status": "started", "message": ""},
        str(two.pk): {
            "status": "refused",
            "message": "Direct Routing is being removed from this service: provisioning can "
            "start again once removal is done.",
        },
        str(three.pk): {
            "status": "refused",
            "message": "Direct Routing was removed from this service: provision it again on its "
            "Direct Routing tab, not in bulk.",
        },
    }
    assert Provisioning.objects.get(service=one).steps.get(name="plan").next_attempt_at
    page = visible_text(ops_client.get(response["Location"]))
    assert "3 of 3 started" in page
    assert bulk_provisioning_run(job_id=str(job.pk)).results == job.results  # once each


def test_nothing_selected_starts_nothing(ops_client, customer, jobs):
    waiting = ServiceFactory(customer=customer)
    before = db_state()
    response = ops_client.post("/services/provision/", {"service": [str(waiting.pk), "x"]})
    assert (response.status_code, response["Location"]) == (302, "/services/")
    assert "Select at least one active service to provision." in visible_text(
        ops_client.get("/services/")
    )
    assert db_state() == before and jobs == []


def test_another_providers_service_is_ignored(ops_client, jobs):
    other = ServiceFactory(connected=True, short_name="Other-01")
    before = db_state()
    ops_client.post("/services/provision/", {"service": [str(other.pk)]})
    assert db_state() == before


def test_a_monitor_may_not_and_a_job_is_its_operators(client, monitor, customer, operator, jobs):
    active = ServiceFactory(connected=True, customer=customer)
    sign_in(client, operator)
    job_url = client.post("/services/provision/", {"service": [str(active.pk)]})["Location"]
    client.logout()
    sign_in(client, monitor)
    assert 'form="bulk-provision"' not in client.get("/services/").content.decode()
    before = db_state()
    assert client.post("/services/provision/", {"service": [str(active.pk)]}).status_code == 403
    assert db_state() == before
    assert client.get(job_url).status_code == 404
