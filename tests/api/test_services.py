"""POST/GET/DELETE /services: both connection methods against the real sandbox, every rule of
the request, the short-name uniqueness, scope and roles."""

from __future__ import annotations

import unicodedata

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onramp.audit.models import AuditEvent
from onramp.connections.models import TenantConnection, ValidationRun
from onramp.core.crypto import secret_box
from onramp.invitations.models import Invitation
from onramp.notifications.models import OutboxMessage
from onramp.services.models import Service
from tests.api.helpers import TIMESTAMP, app_registration, db_state, error, service_body

pytestmark = pytest.mark.django_db

CHECKS = ["tenant", "credentials", "tenant_match", "permissions", "teams_access", "organization",
          "secret_expiry"]  # fmt: skip
WHITESPACE = "Spaces and other whitespace are not allowed."
LICENSE = "Choose Hosted Essentials+ or Hosted Pro."
NO_CUSTOMER = "No such customer."
NO_SECRET = "Enter the client secret's value."
LONG_SECRET = "Use at most 255 characters."
PRINTABLE = "Use printable characters only (no line breaks or control characters)."


def test_create_with_an_invitation(api, customer, provider):
    body = service_body(customer, full_name=None)
    body["connection"]["admin_email"] = " Admin@Contoso.example "
    response = api.post("/services", body)
    assert response.status_code == 201
    created = response.json()
    service = Service.objects.get()
    invitation = Invitation.objects.get()
    link = created["invitation"].pop("link")
    token = link.rsplit("/", 1)[1]
    assert link == f"http://127.0.0.1:8000/invite/{token}" and len(token) == 43
    assert created == {
        "id": str(service.pk),
        "customer_id": str(customer.pk),
        "provider_id": str(provider.pk),
        "short_name": "Contoso-01",
        "full_name": "Contoso-01",
        "license_type": "hosted-pro",
        "licensed_users": 25,
        "status": "awaiting-authentication",
        "connection_ok": None,
        "created_at": created["created_at"],
        "invitation": {
            "id": str(invitation.pk),
            "service_id": str(service.pk),
            "customer_id": str(customer.pk),
            "short_name": "Contoso-01",
            "full_name": "Contoso-01",
            "admin_email": "admin@contoso.example",
            "status": "pending",
            "email_sent": False,
            "email_send_count": 0,
            "email_last_error": None,
            "created_at": created["invitation"]["created_at"],
            "expires_at": created["invitation"]["expires_at"],
            "device_authenticated": False,
            "authenticated_at": None,
            "authenticated_method": None,
            "tenant_id": None,
            "client_id": None,
            "signed_in_upn": None,
            "application_object_id": None,
        },
        "validation": None,
    }
    assert TIMESTAMP.fullmatch(created["created_at"])
    assert created["invitation"]["expires_at"] == invitation.expires_at.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    mail = OutboxMessage.objects.get()
    assert (mail.kind, mail.to_email, mail.status, mail.invitation_id) == (
        "invitation",
        "admin@contoso.example",
        "queued",
        invitation.pk,
    )
    assert token not in mail.payload_sealed
    assert [
        e.action for e in AuditEvent.objects.exclude(action="token.created").order_by("id")
    ] == [
        "service.created",
        "invitation.created",
    ]
    assert token not in str([e.changes for e in AuditEvent.objects.all()])


def test_create_with_an_invitation_reads_nothing_back_from_the_outbox(api, customer):
    """The invitation's email was only just queued: its delivery is known without a query."""
    outbox = OutboxMessage._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        created = api.post("/services", service_body(customer)).json()
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and outbox in q["sql"]]
    assert reads == []
    delivery = {k: created["invitation"][k] for k in ("email_sent", "email_send_count")}
    assert delivery == {"email_sent": False, "email_send_count": 0}
    assert OutboxMessage.objects.get().attempts == 0


def test_the_link_is_never_shown_again(api, invited):
    link = invited["invitation"]["link"]
    for path in (
        f"/services/{invited['id']}",
        "/services",
        f"/invitations/{invited['invitation']['id']}",
        "/invitations",
    ):
        response = api.get(path)
        assert response.status_code == 200
        assert link.rsplit("/", 1)[1] not in response.content.decode()
        assert b'"link"' not in response.content


def test_create_with_app_registration_is_active_with_its_validation(api, customer, m365_tenant):
    body = service_body(customer, connection=app_registration(m365_tenant))
    response = api.post("/services", body)
    assert response.status_code == 201
    created = response.json()
    assert created["status"] == "active"
    assert created["invitation"] is None
    validation = created["validation"]
    assert validation["ok"] is True
    assert validation["reason"] is None
    assert validation["message"] == "The application registration is valid."
    assert [c["name"] for c in validation["checks"]] == CHECKS
    assert all(c["ok"] for c in validation["checks"])
    assert validation["tenant"] == {
        "id": m365_tenant.tenant_id,
        "display_name": "Contoso Ltd",
        "default_domain": m365_tenant.default_domain,
    }
    assert validation["missing_permissions"] == []
    assert validation["client_secret_expires_at"] == m365_tenant.secret_expires.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert validation["client_secret_days_until_expire"] == 180
    assert TIMESTAMP.fullmatch(validation["validated_at"])
    assert m365_tenant.secret not in response.content.decode()
    connection = TenantConnection.objects.get()
    assert (connection.tenant_id, connection.client_id) == (
        m365_tenant.tenant_id,
        m365_tenant.app_id,
    )
    assert ValidationRun.objects.get().trigger == "create"
    assert not Invitation.objects.exists() and not OutboxMessage.objects.exists()


def test_secret_with_whitespace_is_trimmed(api, customer, m365_tenant):
    connection = app_registration(m365_tenant, secret=f" \t{m365_tenant.secret}  \n")
    response = api.post("/services", service_body(customer, connection=connection))
    assert response.status_code == 201
    assert response.json()["validation"]["ok"] is True
    stored = TenantConnection.objects.get()
    assert secret_box().open(stored.secret_sealed) == m365_tenant.secret
    assert stored.secret_hint == m365_tenant.secret[:3]


def test_tenant_domain_is_accepted_and_resolved(api, customer, m365_tenant):
    connection = app_registration(m365_tenant, tenant_id=m365_tenant.default_domain.upper())
    response = api.post("/services", service_body(customer, connection=connection))
    assert response.status_code == 201
    assert TenantConnection.objects.get().tenant_id == m365_tenant.tenant_id


def test_failed_validation_creates_nothing(api, customer, m365_tenant):
    before = db_state()
    connection = app_registration(m365_tenant, secret="wrong-secret-value")
    response = api.post("/services", service_body(customer, connection=connection))
    assert error(response) == (422, "validation_failed", None)
    body = response.json()
    assert body["detail"] == body["validation"]["message"]
    assert body["validation"]["ok"] is False
    assert body["validation"]["reason"] == "invalid_client_secret"
    assert [(c["name"], c["ok"]) for c in body["validation"]["checks"]][:2] == [
        ("tenant", True),
        ("credentials", False),
    ]
    assert "wrong-secret-value" not in response.content.decode()
    assert db_state() == before


def test_tenant_mismatch_with_the_customers_tenant_creates_nothing(api, customer, m365_tenant):
    customer.azure_tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    customer.save()
    before = db_state()
    response = api.post(
        "/services", service_body(customer, connection=app_registration(m365_tenant))
    )
    assert error(response) == (422, "validation_failed", None)
    assert response.json()["validation"]["reason"] == "tenant_mismatch"
    assert db_state() == before


def test_throttled_microsoft_is_503_with_retry_after_and_creates_nothing(
    api, customer, m365_tenant, sandbox
):
    sandbox.admin.set_faults(status=429, retry_after=30, paths="graph")
    before = db_state()
    response = api.post(
        "/services", service_body(customer, connection=app_registration(m365_tenant))
    )
    assert error(response) == (503, "microsoft_unavailable", None)
    assert response["Retry-After"] == "30"
    assert response.json()["validation"]["reason"] == "throttled"
    assert response.json()["validation"]["ok"] is False
    assert db_state() == before


def test_unreachable_microsoft_is_503_without_retry_after(api, customer, m365_tenant, sandbox):
    sandbox.admin.set_faults(status=503, paths="all")
    before = db_state()
    response = api.post(
        "/services", service_body(customer, connection=app_registration(m365_tenant))
    )
    assert error(response) == (503, "microsoft_unavailable", None)
    assert response.json()["validation"]["reason"] == "microsoft_unavailable"
    assert not response.has_header("Retry-After")
    assert db_state() == before


@pytest.mark.parametrize(
    "first,second",
    [
        ("Acme", "acme"),
        ("ÄÖÜ-gmbh", "äöü-GMBH"),
        ("Café-01", unicodedata.normalize("NFD", "CAFÉ-01")),
        ("Contoso-01", " contoso-01 "),
    ],
)
def test_duplicate_short_name(api, customer, first, second):
    assert api.post("/services", service_body(customer, short_name=first)).status_code == 201
    before = db_state()
    response = api.post("/services", service_body(customer, short_name=second))
    assert error(response) == (
        422,
        "invalid_input",
        {"short_name": ["Another service of this provider already uses this short name."]},
    )
    assert db_state() == before


def test_same_short_name_under_another_provider_is_fine(api, customer, other_api, other_customer):
    assert api.post("/services", service_body(customer, short_name="Acme")).status_code == 201
    response = other_api.post("/services", service_body(other_customer, short_name="ACME"))
    assert response.status_code == 201


@pytest.mark.parametrize(
    "overrides,errors",
    [
        ({"licensed_users": 0}, {"licensed_users": ["Enter a whole number from 1 to 500."]}),
        ({"licensed_users": 501}, {"licensed_users": ["Enter a whole number from 1 to 500."]}),
        ({"licensed_users": -3}, {"licensed_users": ["Enter a whole number from 1 to 500."]}),
        ({"licensed_users": 10**30}, {"licensed_users": ["Enter a whole number from 1 to 500."]}),
        ({"short_name": "ab"}, {"short_name": ["Use 3 to 15 characters (this has 2)."]}),
        ({"short_name": "x" * 16}, {"short_name": ["Use 3 to 15 characters (this has 16)."]}),
        ({"short_name": "a.b/c"}, {"short_name": ["Remove these characters: . /"]}),
        ({"short_name": "AUDIT"}, {"short_name": ["'AUDIT' is a reserved word."]}),
        ({"short_name": "a\u00a0bc"}, {"short_name": [WHITESPACE]}),
        ({"full_name": "x" * 201}, {"full_name": ["Use at most 200 characters."]}),
        ({"full_name": "Contoso\r\nClick https://evil.example"}, {"full_name": [PRINTABLE]}),
        ({"full_name": "Contoso\x1b[2J"}, {"full_name": [PRINTABLE]}),
        ({"license_type": "hosted-basic"}, {"license_type": [LICENSE]}),
        (
            {"connection": {"method": "invitation", "admin_email": "not-an-email"}},
            {"connection.admin_email": ["Enter a valid email address."]},
        ),
        ({"customer_id": "not-a-uuid"}, {"customer_id": [NO_CUSTOMER]}),
        ({"customer_id": "72f988bf-86f1-41af-91ab-2d7cd011db47"}, {"customer_id": [NO_CUSTOMER]}),
    ],
)
def test_rules_of_the_request(api, customer, overrides, errors):
    before = db_state()
    response = api.post("/services", service_body(customer, **overrides))
    assert error(response) == (422, "invalid_input", errors)
    assert response.json()["detail"] == "Some fields are not valid."
    assert db_state() == before


def test_every_broken_rule_is_reported_at_once(api, customer):
    body = service_body(customer, short_name="a", licensed_users=0, license_type="x")
    body["connection"]["admin_email"] = ""
    assert set(error(api.post("/services", body))[2]) == {
        "short_name",
        "licensed_users",
        "license_type",
        "connection.admin_email",
    }


@pytest.mark.parametrize(
    "fields,errors",
    [
        (
            {"tenant_id": "not a guid!"},
            {
                "connection.tenant_id": [
                    "Enter the Directory (tenant) ID — a GUID such as "
                    "72f988bf-86f1-41af-91ab-2d7cd011db47 — or a tenant domain such as "
                    "contoso.onmicrosoft.com."
                ]
            },
        ),
        (
            {"tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db4"},
            {
                "connection.tenant_id": [
                    "Enter the Directory (tenant) ID — a GUID such as "
                    "72f988bf-86f1-41af-91ab-2d7cd011db47 — or a tenant domain such as "
                    "contoso.onmicrosoft.com."
                ]
            },
        ),
        (
            {"client_id": "1234"},
            {
                "connection.client_id": [
                    "Enter the Application (client) ID: a GUID such as "
                    "1b730954-1685-4b74-9bfd-dac224a7b894."
                ]
            },
        ),
        (
            {"client_id": "{1b730954-1685-4b74-9bfd-dac224a7b894}"},
            {
                "connection.client_id": [
                    "Enter the Application (client) ID: a GUID such as "
                    "1b730954-1685-4b74-9bfd-dac224a7b894."
                ]
            },
        ),
        ({"client_secret": "   "}, {"connection.client_secret": [NO_SECRET]}),
        ({"client_secret": "s" * 256}, {"connection.client_secret": [LONG_SECRET]}),
    ],
)
def test_malformed_credentials_are_refused_before_asking_microsoft(
    api, customer, sandbox, fields, errors
):
    before = db_state()
    connection = {
        "method": "app-registration",
        "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "client_id": "1b730954-1685-4b74-9bfd-dac224a7b894",
        "client_secret": "abc~secret",
        **fields,
    }
    response = api.post("/services", service_body(customer, connection=connection))
    assert error(response) == (422, "invalid_input", errors)
    assert sandbox.admin.requests_served() == []
    assert db_state() == before


def test_list_filters_and_get(api, customer, provider):
    from onramp.tenancy.models import Customer

    fabrikam = Customer.objects.create(provider=provider, name="Fabrikam")
    first = api.post("/services", service_body(customer, short_name="Contoso-01")).json()
    second = api.post("/services", service_body(fabrikam, short_name="Fabrikam-01")).json()
    api.post(f"/invitations/{second['invitation']['id']}/revoke")
    listed = api.get("/services").json()
    assert [s["short_name"] for s in listed["items"]] == ["Fabrikam-01", "Contoso-01"]
    assert listed["next"] is None
    by_customer = api.get("/services", {"customer_id": str(customer.pk)}).json()["items"]
    assert [s["id"] for s in by_customer] == [first["id"]]
    disconnected = api.get("/services", {"status": "disconnected"}).json()["items"]
    assert [(s["id"], s["status"]) for s in disconnected] == [(second["id"], "disconnected")]
    assert disconnected[0]["invitation"]["status"] == "revoked"
    assert api.get("/services", {"status": "active"}).json()["items"] == []
    assert error(api.get("/services", {"status": "asleep"}))[:2] == (422, "invalid_input")
    assert error(api.get("/services", {"customer_id": "x"}))[:2] == (400, "malformed_request")
    one = api.get(f"/services/{first['id']}").json()
    first["invitation"].pop("link")
    assert one == {k: v for k, v in first.items() if k != "validation"}


def test_delete_a_service_that_never_became_active(api, customer, invited):
    response = api.delete(f"/services/{invited['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Service.objects.exists() and not Invitation.objects.exists()
    assert AuditEvent.objects.filter(action="service.deleted").count() == 1
    assert error(api.get(f"/services/{invited['id']}")) == (404, "not_found", None)
    again = api.post("/services", service_body(customer, short_name="CONTOSO-01"))
    assert again.status_code == 201


def test_delete_an_active_service_is_409(api, active):
    before = db_state()
    response = api.delete(f"/services/{active['id']}")
    assert error(response) == (409, "invalid_state", None)
    assert response.json()["detail"] == "An active service cannot be deleted."
    assert db_state() == before


def test_customer_operator_may_not_create_or_delete(customer_api, customer, invited):
    before = db_state()
    assert error(customer_api.post("/services", service_body(customer, short_name="Own-1"))) == (
        403,
        "forbidden",
        None,
    )
    assert error(customer_api.delete(f"/services/{invited['id']}")) == (403, "forbidden", None)
    assert db_state() == before
    assert [s["id"] for s in customer_api.get("/services").json()["items"]] == [invited["id"]]
