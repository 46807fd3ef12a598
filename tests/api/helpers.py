"""API test helpers: a JSON client per operator (bearer token), request bodies, the admin's
wizard success, a walk through a list's pages, bulk rows, and a whole-database snapshot to prove
that a refused request changed nothing."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from onramp.accounts.models import ApiToken, Operator, OperatorSetup
from onramp.accounts.services import token_create
from onramp.audit.models import AuditEvent
from onramp.connections.models import TenantConnection, ValidationRun
from onramp.core.actors import Actor
from onramp.health.models import Alert, ValidationJob
from onramp.invitations.models import Invitation
from onramp.invitations.services import invitation_by_token
from onramp.notifications.models import OutboxMessage
from onramp.services.models import Service
from onramp.services.onboarding import invitation_authenticate
from onramp.tenancy.models import Channel, Customer, Provider
from tests.factories import InvitationFactory, OperatorFactory, ServiceFactory

BASE = "/api/v1"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


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


def api_as(**operator: Any) -> Api:
    """A caller: a new operator (``OperatorFactory`` arguments: email, role, scope, where) and
    its token."""
    op = OperatorFactory(**operator)
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


def walk(api: Api, path: str, **params: Any) -> list[list[dict]]:
    """Every page of a list, following ``next``."""
    pages, cursor = [], None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        body = api.get(path, query).json()
        assert set(body) == {"items", "next"}
        pages.append(body["items"])
        cursor = body["next"]
        if cursor is None:
            return pages


def csv_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return b"".join(response.streaming_content).decode()


def add_services(customer: Customer, count: int, start: int = 0) -> None:
    """Services, each with its newest invitation, written directly (no email, no audit)."""
    now = timezone.now()
    services = Service.objects.bulk_create(
        ServiceFactory.build(customer=customer, short_name=f"S{n:05d}")
        for n in range(start, start + count)
    )
    Invitation.objects.bulk_create(
        InvitationFactory.build(service=service, created_at=now) for service in services
    )


def new_secret(sandbox, tenant, days: int = 365) -> dict:
    """A further client secret of the tenant's app in the sandbox, valid ``days``."""
    end = timezone.now().replace(microsecond=0) + timedelta(days=days)
    return sandbox.admin.add_secret(
        tenant.tenant_id, tenant.app_id, end_date_time=end.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
