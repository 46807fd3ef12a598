"""Decommission on the service page: the button, its confirmation page, refusals (a service not
active, a monitor) changing nothing, and the app registration the admin must delete shown."""

from __future__ import annotations

import pytest

from onramp.directrouting import decommission
from onramp.services.models import Service
from tests.api.helpers import db_state
from tests.factories import ServiceFactory
from tests.pages.helpers import visible_text
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def active(customer, monkeypatch):
    monkeypatch.setattr(decommission, "enqueue_on_commit", lambda *args: None)
    return ServiceFactory(connected=True, short_name="Contoso-01", customer=customer)


def url(service):
    return f"/services/{service.pk}/decommission/"


def test_decommission_is_confirmed_then_under_way(ops_client, active):
    page = visible_text(ops_client.get(f"/services/{active.pk}/"))
    assert "Decommission" in page
    confirm = ops_client.get(url(active))
    assert confirm.status_code == 200
    assert "Decommission Contoso-01?" in visible_text(confirm)
    assert Service.objects.get(pk=active.pk).decommission_requested_at is None
    done = ops_client.post(url(active))
    assert (done.status_code, done["Location"]) == (302, f"/services/{active.pk}/")
    page = visible_text(ops_client.get(f"/services/{active.pk}/"))
    assert "Service Contoso-01 is being decommissioned." in page
    assert "Decommission is under way" in page


def test_the_app_to_delete_is_named_on_the_page(ops_client, active):
    Service.objects.filter(pk=active.pk).update(
        status="decommissioned",
        app_to_delete={"display_name": "Onramp connector", "app_id": "a-1", "object_id": "o-1"},
    )
    page = visible_text(ops_client.get(f"/services/{active.pk}/"))
    assert "App registration to delete" in page
    assert "Display name Onramp connector" in page
    assert "Application (client) ID a-1" in page and "Object ID o-1" in page
    assert (
        "Decommissioned: Onramp holds no credentials for this tenant any more. The audit trail"
        in page
    )


def test_a_service_not_active_is_refused(ops_client, customer):
    waiting = ServiceFactory(customer=customer)
    before = db_state()
    assert ops_client.get(url(waiting)).status_code == 409
    refused = ops_client.post(url(waiting))
    assert refused.status_code == 409
    assert "Only an active service can be decommissioned." in visible_text(refused)
    assert db_state() == before


def test_a_monitor_may_not_decommission(client, monitor, active):
    sign_in(client, monitor)
    before = db_state()
    assert client.post(url(active)).status_code == 403
    assert db_state() == before


def test_another_providers_service_is_not_found(ops_client):
    other = ServiceFactory(connected=True, short_name="Other-01")
    assert ops_client.get(url(other)).status_code == 404
    assert ops_client.post(url(other)).status_code == 404
