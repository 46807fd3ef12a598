"""``POST /api/v1/services/{id}/decommission`` (CONTRACT §4): 202 for an active service, 409
otherwise with nothing changed; the state read back with ``GET``."""

from __future__ import annotations

import pytest

from onramp.directrouting import decommission
from onramp.directrouting.decommission import decommission_finish
from tests.api.helpers import db_state, error
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finishing(monkeypatch):
    calls: list[tuple] = []
    monkeypatch.setattr(decommission, "enqueue_on_commit", lambda *args: calls.append(args))
    return calls


@pytest.fixture
def unreachable_app(monkeypatch):
    """Microsoft is not part of these tests: the app registration is named, as for an app the
    customer's admin made (the sandbox tests cover the calls)."""
    monkeypatch.setattr(
        decommission,
        "app_deleted_or_named",
        lambda service: {
            "display_name": "",
            "app_id": service.connection.client_id,
            "object_id": None,
        },
    )


@pytest.fixture
def active(customer):
    return ServiceFactory(connected=True, short_name="Contoso-01", customer=customer)


def test_an_active_service_is_decommissioned(api, active, finishing, unreachable_app):
    response = api.post(f"/services/{active.pk}/decommission", {})
    assert response.status_code == 202
    body = response.json()
    assert {k: body[k] for k in ("service_id", "status", "direct_routing", "app_to_delete")} == {
        "service_id": str(active.pk),
        "status": "active",
        "direct_routing": "not-started",
        "app_to_delete": None,
    }
    assert body["requested_at"] is not None and body["decommissioned_at"] is None
    assert finishing == [("onramp.directrouting.tasks.decommission_finish", str(active.pk))]
    decommission_finish(service_id=str(active.pk))
    shown = api.get(f"/services/{active.pk}/decommission").json()
    assert shown["status"] == "decommissioned"
    assert shown["app_to_delete"] == {
        "display_name": "",
        "app_id": active.connection.client_id,
        "object_id": None,
    }
    assert api.get(f"/services/{active.pk}").json()["status"] == "decommissioned"
    again = api.post(f"/services/{active.pk}/decommission", {})
    assert error(again) == (409, "invalid_state", None)
    taken = api.post(
        "/services",
        {
            "customer_id": str(active.customer_id),
            "short_name": "Contoso-01",
            "full_name": "Again",
            "license_type": "hosted-pro",
            "licensed_users": 5,
            "connection": {"method": "invitation", "admin_email": "admin@contoso.example"},
        },
    )
    assert taken.status_code == 422  # the short name stays taken
    assert "short_name" in taken.json()["errors"]


def test_a_service_not_active_is_409_and_nothing_changes(api, customer, finishing):
    waiting = ServiceFactory(customer=customer)
    before = db_state()
    refused = api.post(f"/services/{waiting.pk}/decommission", {})
    assert error(refused) == (409, "invalid_state", None)
    assert refused.json()["detail"] == "Only an active service can be decommissioned."
    assert db_state() == before
    assert finishing == []


def test_a_monitor_may_not_and_another_provider_sees_nothing(
    monitor_api, other_api, active, finishing
):
    before = db_state()
    assert monitor_api.post(f"/services/{active.pk}/decommission", {}).status_code == 403
    assert other_api.post(f"/services/{active.pk}/decommission", {}).status_code == 404
    assert db_state() == before
