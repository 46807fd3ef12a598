"""Bearer tokens: no, bad, expired or revoked token → 401 ``not_authenticated``, everywhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from onramp.accounts.models import ApiToken
from onramp.accounts.services import token_revoke
from onramp.audit.models import AuditEvent
from onramp.core.actors import Actor
from tests.api.helpers import Api, db_state, error, service_body, token_for

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("post", "/customers"),
    ("get", "/customers"),
    ("get", "/customers/{id}"),
    ("patch", "/customers/{id}"),
    ("post", "/services"),
    ("get", "/services"),
    ("get", "/services/{id}"),
    ("delete", "/services/{id}"),
    ("get", "/invitations"),
    ("get", "/invitations/{id}"),
    ("post", "/invitations/{id}/resend"),
    ("post", "/invitations/{id}/revoke"),
    ("post", "/invitations/{id}/add"),
    ("get", "/services/{id}/m365"),
    ("post", "/services/{id}/m365/validate"),
    ("put", "/services/{id}/m365/secret"),
    ("put", "/services/{id}/m365/secret-expiry"),
    ("post", "/services/{id}/m365/reinitiate"),
]
NOT_AUTHENTICATED = {
    "detail": "Send a valid API token: Authorization: Bearer <token>.",
    "code": "not_authenticated",
}


def _call(api: Api, method: str, path: str, ids: dict):
    path = path.format(id=ids.get(path.split("/")[1], "0"))
    if method in ("get", "delete"):
        return getattr(api, method)(path)
    return getattr(api, method)(path, {})


@pytest.fixture
def ids(invited) -> dict[str, str]:
    return {
        "customers": invited["customer_id"],
        "services": invited["id"],
        "invitations": invited["invitation"]["id"],
    }


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_every_endpoint_needs_a_token(anonymous, ids, method, path):
    before = db_state()
    response = _call(anonymous, method, path, ids)
    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert db_state() == before


@pytest.mark.parametrize(
    "header",
    [
        "Bearer onr_not-a-real-token",
        "Bearer ",
        "Bearer",
        "Basic b25yXzpwYXNzd29yZA==",
        "onr_no-scheme",
        "Bearer " + "onr_" + "x" * 200,
    ],
)
def test_bad_tokens_are_refused(customer, header):
    from django.test import Client

    response = Client(headers={"Authorization": header}).get("/api/v1/customers")
    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


def test_a_valid_token_works_and_the_scheme_is_case_insensitive(api, customer):
    from django.test import Client

    response = Client(headers={"Authorization": f"bearer {api.token}"}).get("/api/v1/customers")
    assert response.status_code == 200
    assert [c["name"] for c in response.json()["items"]] == ["Contoso Ltd"]
    assert api.token not in response.content.decode()


def test_revoked_token_is_refused(api, operator, customer):
    assert api.get("/customers").status_code == 200
    token_revoke(actor=Actor.system(), token=ApiToken.objects.get(operator=operator))
    response = api.get("/customers")
    assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED)


def test_expired_token_is_refused(operator, customer):
    api = Api(token_for(operator, expires_days=1))
    assert api.get("/customers").status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.get("/customers")
    assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED)


def test_token_of_a_deactivated_operator_is_refused(api, operator, customer):
    operator.is_active = False
    operator.save()
    assert api.get("/customers").status_code == 401


def test_refused_write_changes_nothing(customer):
    before = db_state()
    response = Api("onr_wrong").post("/services", service_body(customer))
    assert error(response) == (401, "not_authenticated", None)
    assert db_state() == before
    assert not AuditEvent.objects.filter(action="service.created").exists()


def test_writes_are_audited_as_done_by_token(api, operator, customer):
    response = api.post("/customers", {"name": "Fabrikam"})
    assert response.status_code == 201
    event = AuditEvent.objects.get(action="customer.created", target_id=response.json()["id"])
    assert (event.actor_type, event.actor_id, event.actor_label) == (
        "token",
        str(operator.pk),
        "ops@northwind.example",
    )
    assert api.token not in str(event.changes)
