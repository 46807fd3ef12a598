"""/services/{id}/m365: the configuration, live validation, secret renewal, expiry entered by
hand and re-initiation — against the real sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from onramp.connections.models import TenantConnection, ValidationRun
from onramp.core.crypto import secret_box
from onramp.invitations.models import Invitation
from tests.api.helpers import db_state, error, new_secret
from tests.factories import ServiceFactory
from tests.m365.conftest import ALL_PERMISSIONS

pytestmark = pytest.mark.django_db

NULL_CONFIG = {
    "method": None,
    "tenant_id": None,
    "application_id": None,
    "client_secret_hint": None,
    "client_secret_expires_at": None,
    "client_secret_expiry_source": None,
    "client_secret_days_until_expire": None,
    "granted_permissions": [],
    "assigned_roles": [],
    "authenticated_by": None,
    "authenticated_at": None,
    "last_validation": None,
    "credential_kind": None,
    "certificate_thumbprint_sha256": None,
    "certificate_expires_at": None,
    "signed_in_upn": None,
    "application_object_id": None,
}


def z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_configuration_of_a_service_without_connection(api, invited):
    response = api.get(f"/services/{invited['id']}/m365")
    assert response.json() == {"service_id": invited["id"], **NULL_CONFIG}


def test_configuration_of_an_active_service(api, active, m365_tenant, operator):
    config = api.get(f"/services/{active['id']}/m365").json()
    connection = TenantConnection.objects.get()
    assert config == {
        "service_id": active["id"],
        "method": "app-registration",
        "tenant_id": m365_tenant.tenant_id,
        "application_id": m365_tenant.app_id,
        "client_secret_hint": m365_tenant.secret[:3],
        "client_secret_expires_at": z(m365_tenant.secret_expires),
        "client_secret_expiry_source": "microsoft",
        "client_secret_days_until_expire": 180,
        "granted_permissions": sorted(ALL_PERMISSIONS),
        "assigned_roles": ["Teams Administrator"],
        "authenticated_by": operator.email,
        "authenticated_at": z(connection.authenticated_at),
        "last_validation": active["validation"],
        "credential_kind": "secret",
        "certificate_thumbprint_sha256": None,
        "certificate_expires_at": None,
        "signed_in_upn": None,
        "application_object_id": None,
    }
    assert m365_tenant.secret not in str(config)


def test_days_until_expire_count_whole_utc_days_from_today(api, active):
    today = timezone.now().astimezone(UTC).date()
    for days in (0, 1, 29, -1, -40):
        moment = datetime(today.year, today.month, today.day, 23, 59, tzinfo=UTC) + timedelta(days)
        TenantConnection.objects.update(secret_expires_at=moment)
        config = api.get(f"/services/{active['id']}/m365").json()
        assert config["client_secret_days_until_expire"] == days
        assert config["client_secret_expires_at"] == z(moment)


def test_validate_live(api, active):
    response = api.post(f"/services/{active['id']}/m365/validate")
    assert response.status_code == 200
    validation = response.json()
    assert (validation["ok"], validation["reason"]) == (True, None)
    assert ValidationRun.objects.filter(trigger="manual").count() == 1
    config = api.get(f"/services/{active['id']}/m365").json()
    assert config["last_validation"] == validation


def test_validate_reports_failing_checks_with_200(api, active, m365_tenant, sandbox):
    sandbox.admin.update_application(
        m365_tenant.tenant_id, m365_tenant.app_id, permissions=ALL_PERMISSIONS[:3]
    )
    response = api.post(f"/services/{active['id']}/m365/validate")
    assert response.status_code == 200
    validation = response.json()
    assert (validation["ok"], validation["reason"]) == (False, "missing_permissions")
    assert validation["missing_permissions"] == ["Domain.ReadWrite.All"]
    assert TenantConnection.objects.get().granted_permissions == sorted(ALL_PERMISSIONS[:3])


def test_validate_while_microsoft_throttles_is_503(api, active, sandbox):
    sandbox.admin.set_faults(status=429, retry_after=45, paths="graph")
    before = db_state()
    response = api.post(f"/services/{active['id']}/m365/validate")
    assert error(response) == (503, "microsoft_unavailable", None)
    assert response["Retry-After"] == "45"
    assert response.json()["validation"]["reason"] == "throttled"
    assert db_state() == before


def test_validate_without_a_connection_is_409(api, invited):
    before = db_state()
    response = api.post(f"/services/{invited['id']}/m365/validate")
    assert error(response) == (409, "invalid_state", None)
    assert response.json()["detail"] == "The service has no tenant connection yet."
    assert db_state() == before


def test_renew_the_secret(api, active, m365_tenant, sandbox):
    renewed = new_secret(sandbox, m365_tenant, days=365)
    response = api.put(
        f"/services/{active['id']}/m365/secret", {"client_secret": f"  {renewed['secret_text']}\n"}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"m365", "validation"}
    assert body["validation"]["ok"] is True
    assert body["m365"]["client_secret_hint"] == renewed["hint"]
    assert body["m365"]["client_secret_days_until_expire"] == 365
    assert body["m365"]["client_secret_expiry_source"] == "microsoft"
    assert body["m365"]["last_validation"] == body["validation"]
    assert renewed["secret_text"] not in response.content.decode()
    assert secret_box().open(TenantConnection.objects.get().secret_sealed) == renewed["secret_text"]


def test_renewal_is_not_blocked_by_an_unrelated_failing_check(api, active, m365_tenant, sandbox):
    sandbox.admin.update_application(m365_tenant.tenant_id, m365_tenant.app_id, roles=[])
    renewed = new_secret(sandbox, m365_tenant)
    response = api.put(
        f"/services/{active['id']}/m365/secret", {"client_secret": renewed["secret_text"]}
    )
    assert response.status_code == 200
    assert response.json()["validation"]["reason"] == "missing_permissions"
    assert response.json()["m365"]["client_secret_hint"] == renewed["hint"]


def test_a_secret_microsoft_refuses_is_not_stored(api, active):
    stored = TenantConnection.objects.get().secret_sealed
    response = api.put(f"/services/{active['id']}/m365/secret", {"client_secret": "nope~wrong"})
    assert error(response) == (422, "validation_failed", None)
    assert response.json()["validation"]["reason"] == "invalid_client_secret"
    assert "nope~wrong" not in response.content.decode()
    assert TenantConnection.objects.get().secret_sealed == stored
    assert ValidationRun.objects.filter(trigger="renewal", ok=False).count() == 1


def test_renewal_refusals(api, active, invited, sandbox):
    path = f"/services/{active['id']}/m365/secret"
    before = db_state()
    assert error(api.put(path, {"client_secret": "   "})) == (
        422,
        "invalid_input",
        {"client_secret": ["Enter the new client secret's value."]},
    )
    assert error(api.put(path, {})) == (
        422,
        "invalid_input",
        {"client_secret": ["This field is required."]},
    )
    assert error(api.put(path, {"client_secret": 12345}))[:2] == (400, "malformed_request")
    assert error(api.put(path, {"client_secret": "abc", "hint": "abc"}))[:2] == (
        400,
        "malformed_request",
    )
    response = api.put(f"/services/{invited['id']}/m365/secret", {"client_secret": "abc~def"})
    assert error(response) == (409, "invalid_state", None)
    sandbox.admin.set_faults(status=503, paths="token")
    response = api.put(path, {"client_secret": "abc~def"})
    assert error(response) == (503, "microsoft_unavailable", None)
    assert db_state() == before


def test_expiry_known_from_microsoft_cannot_be_entered(api, active):
    before = db_state()
    response = api.put(
        f"/services/{active['id']}/m365/secret-expiry", {"expires_at": "2030-01-31T00:00:00Z"}
    )
    assert error(response) == (409, "invalid_state", None)
    assert response.json()["detail"] == (
        "Microsoft reports this secret's expiry date; it cannot be entered by hand."
    )
    assert db_state() == before


def test_expiry_entered_when_microsoft_cannot_tell(api, active, m365_tenant, sandbox):
    sandbox.admin.update_application(
        m365_tenant.tenant_id,
        m365_tenant.app_id,
        permissions=[p for p in ALL_PERMISSIONS if p != "Application.Read.All"],
    )
    renewed = new_secret(sandbox, m365_tenant)
    response = api.put(
        f"/services/{active['id']}/m365/secret", {"client_secret": renewed["secret_text"]}
    )
    assert response.status_code == 200
    assert response.json()["m365"]["client_secret_expires_at"] is None
    assert response.json()["m365"]["client_secret_expiry_source"] is None
    path = f"/services/{active['id']}/m365/secret-expiry"
    for bad in (20300131, "next tuesday", None):
        assert error(api.put(path, {"expires_at": bad}))[:2] == (400, "malformed_request"), bad
    expires = (timezone.now() + timedelta(days=90)).replace(hour=12, minute=0, second=0)
    response = api.put(path, {"expires_at": expires.strftime("%Y-%m-%dT%H:%M:%S")})
    assert response.status_code == 200
    config = response.json()
    assert config["client_secret_expires_at"] == z(expires)
    assert config["client_secret_expiry_source"] == "operator"
    assert config["client_secret_days_until_expire"] == 90
    response = api.put(path, {"expires_at": "2031-02-03T04:05:06+02:00"})
    assert response.json()["client_secret_expires_at"] == "2031-02-03T02:05:06Z"


def test_reinitiate_issues_a_new_invitation_and_keeps_the_connection(api, active, m365_tenant):
    path = f"/services/{active['id']}/m365/reinitiate"
    response = api.post(path, {"admin_email": " New.Admin@Contoso.example"})
    assert response.status_code == 201
    invitation = response.json()
    assert invitation["status"] == "pending"
    assert invitation["admin_email"] == "new.admin@contoso.example"
    assert invitation["link"].startswith("http://127.0.0.1:8000/invite/")
    service = api.get(f"/services/{active['id']}").json()
    assert service["status"] == "active"
    assert service["invitation"]["id"] == invitation["id"]
    assert api.get(f"/services/{active['id']}/m365").json()["tenant_id"] == m365_tenant.tenant_id
    before = db_state()
    response = api.post(path, {"admin_email": "other@contoso.example"})
    assert error(response) == (409, "invalid_state", None)
    assert response.json()["detail"] == (
        "The service already has an open invitation; resend it instead."
    )
    assert error(api.post(path, {"admin_email": "nope"})) == (
        422,
        "invalid_input",
        {"admin_email": ["Enter a valid email address."]},
    )
    assert db_state() == before


def test_reinitiate_after_the_open_invitation_expired(api, invited):
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.post(
        f"/services/{invited['id']}/m365/reinitiate", {"admin_email": "admin@contoso.example"}
    )
    assert response.status_code == 201
    assert list(Invitation.objects.order_by("created_at").values_list("status", flat=True)) == [
        "expired",
        "pending",
    ]


def test_customer_operator_maintains_but_does_not_reinitiate(
    customer_api, active, m365_tenant, sandbox
):
    service_id = active["id"]
    assert customer_api.get(f"/services/{service_id}/m365").status_code == 200
    assert customer_api.post(f"/services/{service_id}/m365/validate").status_code == 200
    renewed = new_secret(sandbox, m365_tenant)
    response = customer_api.put(
        f"/services/{service_id}/m365/secret", {"client_secret": renewed["secret_text"]}
    )
    assert response.status_code == 200
    before = db_state()
    response = customer_api.post(
        f"/services/{service_id}/m365/reinitiate", {"admin_email": "admin@contoso.example"}
    )
    assert error(response) == (403, "forbidden", None)
    assert db_state() == before


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59-05:00",  # year 10000 in UTC
        "0001-01-01T00:00:00+05:00",  # before year 1 in UTC
        "3000-01-01T00:00:00Z",
        "1999-12-31T23:59:59Z",
    ],
)
def test_an_expiry_outside_the_accepted_years_is_422_and_changes_nothing(api, customer, value):
    service = ServiceFactory(connected=True, customer=customer)
    before = db_state()
    response = api.put(f"/services/{service.pk}/m365/secret-expiry", {"expires_at": value})
    assert error(response) == (
        422,
        "invalid_input",
        {"expires_at": ["Enter a date from 2000-01-01 to 2999-12-31 (UTC)."]},
    )
    assert db_state() == before
