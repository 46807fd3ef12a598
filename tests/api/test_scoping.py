"""Scope and role on every endpoint: another provider's operator sees nothing (404, or 422 on
``customer_id``); a monitor reads but every write is 403 and changes nothing."""

from __future__ import annotations

import pytest

from tests.api.helpers import app_registration, db_state, error, service_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(api, customer, authenticated, m365_tenant) -> dict[str, str]:
    """An active service and an authenticated invitation: every action would succeed."""
    body = service_body(customer, short_name="Active-1", connection=app_registration(m365_tenant))
    active = api.post("/services", body).json()
    return {
        "customer": str(customer.pk),
        "active": active["id"],
        "invited": authenticated["id"],
        "invitation": authenticated["invitation"]["id"],
    }


def reads(w: dict[str, str]) -> list[str]:
    return [
        f"/customers/{w['customer']}",
        f"/services/{w['active']}",
        f"/services/{w['invited']}",
        f"/invitations/{w['invitation']}",
        f"/services/{w['active']}/m365",
    ]


def writes(w: dict[str, str]) -> list[tuple[str, str, dict | None]]:
    return [
        ("patch", f"/customers/{w['customer']}", {"name": "Renamed"}),
        ("delete", f"/services/{w['invited']}", None),
        ("post", f"/invitations/{w['invitation']}/resend", {}),
        ("post", f"/invitations/{w['invitation']}/revoke", {}),
        ("post", f"/invitations/{w['invitation']}/add", {}),
        ("post", f"/services/{w['active']}/m365/validate", {}),
        ("put", f"/services/{w['active']}/m365/secret", {"client_secret": "abc~def"}),
        ("put", f"/services/{w['active']}/m365/secret-expiry", {"expires_at": "2030-01-01"}),
        ("post", f"/services/{w['active']}/m365/reinitiate", {"admin_email": "a@contoso.example"}),
    ]


def call(api, method: str, path: str, body):
    return getattr(api, method)(path) if body is None else getattr(api, method)(path, body)


def test_another_providers_operator_sees_nothing(world, other_api, customer, sandbox):
    requests_before = len(sandbox.admin.requests_served())
    before = db_state()
    for path in ("/customers", "/services", "/invitations"):
        assert other_api.get(path).json() == {"items": [], "next": None}
    assert other_api.get("/services", {"customer_id": world["customer"]}).json()["items"] == []
    for path in reads(world):
        assert error(other_api.get(path)) == (404, "not_found", None), path
    for method, path, body in writes(world):
        assert error(call(other_api, method, path, body)) == (404, "not_found", None), path
    response = other_api.post("/services", service_body(customer, short_name="Stolen-1"))
    assert error(response) == (422, "invalid_input", {"customer_id": ["No such customer."]})
    assert db_state() == before
    assert len(sandbox.admin.requests_served()) == requests_before


def test_a_monitor_reads_but_may_not_write(world, monitor_api, customer, sandbox):
    for path in ("/customers", "/services", "/invitations"):
        assert monitor_api.get(path).status_code == 200
    for path in reads(world):
        assert monitor_api.get(path).status_code == 200, path
    requests_before = len(sandbox.admin.requests_served())
    before = db_state()
    assert error(monitor_api.post("/customers", {"name": "Fabrikam"})) == (403, "forbidden", None)
    response = monitor_api.post("/services", service_body(customer, short_name="Mon-1"))
    assert error(response) == (403, "forbidden", None)
    for method, path, body in writes(world):
        response = call(monitor_api, method, path, body)
        assert error(response) == (403, "forbidden", None), path
        assert response.json()["detail"] == "Your role does not allow this action."
    assert db_state() == before
    assert len(sandbox.admin.requests_served()) == requests_before


def test_a_customer_operator_sees_only_its_customer(api, customer, provider, customer_api):
    from onramp.tenancy.models import Customer

    fabrikam = Customer.objects.create(provider=provider, name="Fabrikam")
    theirs = api.post("/services", service_body(fabrikam, short_name="Fab-1")).json()
    ours = api.post("/services", service_body(customer, short_name="Con-1")).json()
    assert [s["id"] for s in customer_api.get("/services").json()["items"]] == [ours["id"]]
    assert [i["id"] for i in customer_api.get("/invitations").json()["items"]] == [
        ours["invitation"]["id"]
    ]
    assert error(customer_api.get(f"/services/{theirs['id']}")) == (404, "not_found", None)
    assert error(customer_api.get(f"/customers/{fabrikam.pk}")) == (404, "not_found", None)
    before = db_state()
    assert error(customer_api.post(f"/invitations/{ours['invitation']['id']}/resend")) == (
        403,
        "forbidden",
        None,
    )
    assert db_state() == before
