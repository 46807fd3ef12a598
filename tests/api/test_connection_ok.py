"""The service object's ``connection_ok`` (CONTRACT §4): the last validation's outcome for an
active service, null before any and for a service that is not active; a transient answer
(throttled, unreachable) is not an outcome and never flips it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ServiceFactory, ValidationRunFactory

pytestmark = pytest.mark.django_db


def runs(service, *outcomes: tuple[bool, str]):
    now = timezone.now()
    for age, (ok, reason) in enumerate(reversed(outcomes)):
        ValidationRunFactory(
            service=service, ok=ok, reason=reason, validated_at=now - timedelta(minutes=age)
        )
    return service


def test_connection_ok_of_each_service(api, customer):
    def active(name, *outcomes):
        service = ServiceFactory(connected=True, customer=customer, short_name=name)
        return runs(service, *outcomes)

    active("passed", (False, "missing_permissions"), (True, ""))
    active("failed", (True, ""), (False, "invalid_client_secret"))
    active("throttled", (True, ""), (False, "throttled"))
    active("unreachable", (False, "missing_permissions"), (False, "microsoft_unavailable"))
    active("only-transient", (False, "throttled"))
    active("never")
    runs(
        ServiceFactory(customer=customer, short_name="disconnected", status="disconnected"),
        (False, "invalid_client_secret"),
    )
    ServiceFactory(customer=customer, short_name="waiting")
    expected = {
        "passed": True,
        "failed": False,
        "throttled": True,
        "unreachable": False,
        "only-transient": None,
        "never": None,
        "disconnected": None,
        "waiting": None,
    }
    items = api.get("/services", {"limit": 500}).json()["items"]
    listed = {item["short_name"]: item["connection_ok"] for item in items}
    assert listed == expected
    for item in items:
        one = api.get(f"/services/{item['id']}").json()
        assert one == item
        assert type(one["connection_ok"]) is type(expected[item["short_name"]])


def test_a_live_validation_sets_it(api, active, m365_tenant, sandbox):
    assert active["connection_ok"] is True
    service = active["id"]
    assert api.get(f"/services/{service}").json()["connection_ok"] is True
    sandbox.admin.update_application(m365_tenant.tenant_id, m365_tenant.app_id, roles=[])
    assert api.post(f"/services/{service}/m365/validate").json()["ok"] is False
    assert api.get(f"/services/{service}").json()["connection_ok"] is False
    sandbox.admin.set_faults(status=503, paths="token")
    assert api.post(f"/services/{service}/m365/validate").status_code == 503
    assert api.get(f"/services/{service}").json()["connection_ok"] is False


def test_the_service_schema_documents_it(db):
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]["Service"]
    assert schema["properties"]["connection_ok"] == {
        "anyOf": [{"type": "boolean"}, {"type": "null"}],
        "title": "Connection Ok",
        "description": "The last validation's outcome for an active service (null before any, "
        "and for a service that is not active); a transient answer (throttled, unreachable) "
        "does not change it.",
    }
    assert "connection_ok" in schema["required"]
