"""API test helpers: a JSON client per operator (bearer token), the operators of every role and
scope, services in each state built through the API itself, and a whole-database snapshot to
prove that a refused request changed nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from onramp.accounts.models import ApiToken, Operator, OperatorSetup
from onramp.accounts.services import token_create
from onramp.audit.models import AuditEvent
from onramp.audit.services import Actor
from onramp.connections.models import TenantConnection, ValidationRun
from onramp.health.models import Alert, ValidationJob
from onramp.invitations.models import Invitation
from onramp.invitations.services import invitation_by_token
from onramp.notifications.models import OutboxMessage
from onramp.services.models import Service
from onramp.services.onboarding import invitation_authenticate
from onramp.tenancy.models import Channel, Customer, Provider

BASE = "/api/v1"


@dataclass
class Api:
    """Calls /api/v1 with one operator's token; bodies are JSON unless ``raw`` is given."""

    token: str
    operator: Operator | None = None

    def _client(self) -> Client:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return Client(headers=headers)

    def call(self, method: str, path: str, body: Any = None, **kw: Any):
        client = self._client()
        send = getattr(client, method)
        if method in ("get", "delete") and body is None:
            return send(BASE + path, **kw)
        data = json.dumps(body) if not isinstance(body, str | bytes) else body
        kw.setdefault("content_type", "application/json")
        return send(BASE + path, data, **kw)

    def get(self, path: str, params: dict | None = None, **kw: Any):
        return self._client().get(BASE + path, params or {}, **kw)

    def post(self, path: str, body: Any = None, **kw: Any):
        return self.call("post", path, {} if body is None else body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any):
        return self.call("put", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any):
        return self.call("patch", path, body, **kw)

    def delete(self, path: str, **kw: Any):
        return self.call("delete", path, **kw)


def token_for(operator: Operator, **kw: Any) -> str:
    return token_create(actor=Actor.system(), operator=operator, **kw).value


def make_operator(email: str, role: str, scope: str, **fields: Any) -> Operator:
    """API callers use tokens: no password (hashing one costs a third of a second)."""
    return Operator.objects.create_user(email, None, role=role, scope=scope, **fields)


@pytest.fixture
def api(operator) -> Api:
    """The provider-scoped operator (role operator) of tests.conftest."""
    return Api(token_for(operator), operator)


@pytest.fixture
def anonymous(db) -> Api:
    return Api("")


@pytest.fixture
def monitor_api(provider) -> Api:
    monitor = make_operator("monitor@northwind.example", "monitor", "provider", provider=provider)
    return Api(token_for(monitor), monitor)


@pytest.fixture
def customer_api(customer) -> Api:
    """An operator scoped to the one customer: maintains its services, creates nothing."""
    op = make_operator(
        "it@contoso.example", "operator", "customer", provider=customer.provider, customer=customer
    )
    return Api(token_for(op), op)


@pytest.fixture
def system_api(db) -> Api:
    admin = make_operator("root@onramp.example", "admin", "system")
    return Api(token_for(admin), admin)


@pytest.fixture
def admin_api(provider) -> Api:
    """An admin of the provider: everything, including its operators."""
    admin = make_operator("admin@northwind.example", "admin", "provider", provider=provider)
    return Api(token_for(admin), admin)


@pytest.fixture
def channel_admin_api(channel) -> Api:
    op = make_operator(
        "admin@reseller.example", "admin", "channel", provider=channel.provider, channel=channel
    )
    return Api(token_for(op), op)


@pytest.fixture
def customer_admin_api(customer) -> Api:
    op = make_operator(
        "admin@contoso.example", "admin", "customer", provider=customer.provider, customer=customer
    )
    return Api(token_for(op), op)


@pytest.fixture
def channel(provider) -> Channel:
    return Channel.objects.create(provider=provider, name="Reseller East")


@pytest.fixture
def channel_api(channel) -> Api:
    op = make_operator(
        "east@reseller.example", "operator", "channel", provider=channel.provider, channel=channel
    )
    return Api(token_for(op), op)


@pytest.fixture
def other_provider(db) -> Provider:
    return Provider.objects.create(name="Southwind Telecom")


@pytest.fixture
def other_customer(other_provider) -> Customer:
    return Customer.objects.create(provider=other_provider, name="Tailspin Toys")


@pytest.fixture
def other_api(other_provider) -> Api:
    """An admin of a second provider: sees none of the first provider's objects."""
    op = make_operator("admin@southwind.example", "admin", "provider", provider=other_provider)
    return Api(token_for(op), op)


def service_body(customer: Customer, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_id": str(customer.pk),
        "short_name": "Contoso-01",
        "full_name": "Contoso main office",
        "license_type": "hosted-pro",
        "licensed_users": 25,
        "connection": {"method": "invitation", "admin_email": "admin@contoso.example"},
    }
    body.update(overrides)
    return body


def app_registration(tenant, secret: str | None = None, **overrides: Any) -> dict[str, Any]:
    return {
        "method": "app-registration",
        "tenant_id": tenant.tenant_id,
        "client_id": tenant.app_id,
        "client_secret": tenant.secret if secret is None else secret,
        **overrides,
    }


def link_token(link: str) -> str:
    return link.rsplit("/", 1)[1]


def wizard_success(link: str, tenant) -> None:
    """What the customer's admin does in the public wizard (through the domain service)."""
    invitation = invitation_by_token(link_token(link))
    result = invitation_authenticate(
        invitation=invitation,
        tenant_id=tenant.tenant_id,
        client_id=tenant.app_id,
        client_secret=tenant.secret,
    )
    assert result.ok, result.message


@pytest.fixture
def invited(api, customer) -> dict[str, Any]:
    """A service created with the invitation option (awaiting authentication)."""
    response = api.post("/services", service_body(customer))
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def authenticated(invited, m365_tenant) -> dict[str, Any]:
    """The invited service after the admin's wizard success (invitation authenticated)."""
    wizard_success(invited["invitation"]["link"], m365_tenant)
    return invited


@pytest.fixture
def active(api, customer, m365_tenant) -> dict[str, Any]:
    """A service created active with known app-registration credentials."""
    body = service_body(customer, short_name="Contoso-AR", connection=app_registration(m365_tenant))
    response = api.post("/services", body)
    assert response.status_code == 201, response.content
    return response.json()


SNAPSHOT_MODELS = (
    Provider,
    Channel,
    Customer,
    Operator,
    Service,
    TenantConnection,
    Invitation,
    ValidationRun,
    AuditEvent,
    OutboxMessage,
    ApiToken,
    OperatorSetup,
    ValidationJob,
    Alert,
)
# Using a token stamps its last_used_at: that alone is no change.
SNAPSHOT_IGNORED = frozenset({"last_used_at"})


def db_state() -> dict[str, list[tuple]]:
    """Every row of every domain table."""
    state = {}
    for model in SNAPSHOT_MODELS:
        names = [
            f.attname for f in model._meta.concrete_fields if f.attname not in SNAPSHOT_IGNORED
        ]
        state[model.__name__] = sorted(
            map(repr, model.objects.order_by().values_list(*names))  # type: ignore[arg-type]
        )
    return state


def error(response) -> tuple[int, str, dict | None]:
    body = response.json()
    assert set(body) <= {"detail", "code", "errors", "validation"}, body
    assert body["detail"]
    return response.status_code, body["code"], body.get("errors")
