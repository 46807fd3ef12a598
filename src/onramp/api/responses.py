"""What the API answers, as CONTRACT.md §4 names it (documents the OpenAPI schema).

Timestamps arrive already formatted (ISO 8601 UTC with ``Z``, see serializers.py).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, create_model

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class Customer(BaseModel):
    id: str
    provider_id: str
    channel_id: str | None
    name: str
    azure_tenant_id: str | None
    contact_email: str | None
    notify_admin_on_expiry: bool
    country: str | None = Field(description="ISO 3166 alpha-2.")
    created_at: Timestamp


class Invitation(BaseModel):
    id: str
    service_id: str
    customer_id: str
    short_name: str
    full_name: str
    admin_email: str
    status: str
    email_sent: bool
    email_send_count: int
    email_last_error: str | None
    created_at: Timestamp
    expires_at: Timestamp
    device_authenticated: bool
    authenticated_at: Timestamp | None
    authenticated_method: str | None
    tenant_id: str | None
    client_id: str | None
    signed_in_upn: str | None = Field(
        description="created-app: who signed in with Microsoft to create the app registration."
    )
    application_object_id: str | None = Field(
        description="created-app: the application's object ID in the customer's tenant."
    )


class InvitationWithLink(Invitation):
    link: str = Field(description="The invitation link; shown only in this response.")


class Check(BaseModel):
    name: str
    ok: bool
    message: str


class Tenant(BaseModel):
    id: str
    display_name: str | None
    default_domain: str | None


class Validation(BaseModel):
    ok: bool
    validated_at: Timestamp
    reason: str | None
    message: str
    tenant: Tenant | None
    missing_permissions: list[str]
    client_secret_expires_at: Timestamp | None
    client_secret_days_until_expire: int | None
    checks: list[Check]


class Job(BaseModel):
    id: str
    kind: str
    status: str = Field(json_schema_extra={"enum": ["queued", "running", "done", "failed"]})
    total: int
    done: int
    ok: int
    failed: int = Field(description="Microsoft answered and a check failed.")
    errors: int = Field(description="No answer could be had (throttled, unreachable).")
    started_at: Timestamp | None
    finished_at: Timestamp | None


class Error(BaseModel):
    detail: str
    code: str
    errors: dict[str, list[str]] | None = Field(None, description="Field problems, by field.")
    validation: Validation | None = Field(
        None, description="With `validation_failed` and `microsoft_unavailable` only."
    )
    job: Job | None = Field(
        None,
        description="With `invalid_state` when a validation job of the scope is already "
        "queued or running: that job.",
    )


class Service(BaseModel):
    id: str
    customer_id: str
    provider_id: str
    short_name: str
    full_name: str
    license_type: str
    licensed_users: int
    status: str
    created_at: Timestamp
    invitation: Invitation | None
    connection_ok: bool | None = Field(
        description="The last validation's outcome for an active service (null before any, and "
        "for a service that is not active); a transient answer (throttled, unreachable) does "
        "not change it."
    )


class AppToDelete(BaseModel):
    display_name: str
    app_id: str
    object_id: str | None


class Decommission(BaseModel):
    service_id: str
    status: str = Field(description="The service's status: `decommissioned` once finished.")
    requested_at: Timestamp | None
    decommissioned_at: Timestamp | None
    direct_routing: str = Field(description="The Direct Routing run's status (`removing` …).")
    app_to_delete: AppToDelete | None = Field(
        description="The app registration the customer's admin must delete (they made it, or "
        "Onramp may not delete it); null when Onramp deleted it or before the end."
    )


class ServiceCreated(Service):
    invitation: InvitationWithLink | None
    validation: Validation | None


class M365(BaseModel):
    service_id: str
    method: str | None
    tenant_id: str | None
    application_id: str | None
    client_secret_hint: str | None
    client_secret_expires_at: Timestamp | None
    client_secret_expiry_source: str | None
    client_secret_days_until_expire: int | None
    granted_permissions: list[str]
    assigned_roles: list[str]
    authenticated_by: str | None
    authenticated_at: Timestamp | None
    last_validation: Validation | None
    credential_kind: str | None
    certificate_thumbprint_sha256: str | None
    certificate_expires_at: Timestamp | None
    signed_in_upn: str | None = Field(
        description="created-app: who signed in with Microsoft to create the app registration."
    )
    application_object_id: str | None = Field(
        description="created-app: the application's object ID in the customer's tenant."
    )


class Activation(BaseModel):
    service: Service
    validation: Validation


class SecretRenewed(BaseModel):
    m365: M365
    validation: Validation


class CustomerPage(BaseModel):
    items: list[Customer]
    next: str | None


class ServicePage(BaseModel):
    items: list[Service]
    next: str | None


class InvitationPage(BaseModel):
    items: list[Invitation]
    next: str | None


class Provider(BaseModel):
    id: str
    name: str
    sbc_domain: str | None
    sbc_domains: list[str]
    created_at: Timestamp


class DnsBackend(BaseModel):
    backend: str | None
    settings: dict[str, str | int] = Field(description="Never the secret settings.")
    secrets_set: list[str] = Field(description="The secret settings held (names only).")


class DnsTestResult(BaseModel):
    ok: bool
    message: str


class DirectRouting(BaseModel):
    service_id: str
    short_name: str
    customer_id: str
    subdomains: list[str]
    status: str


class DirectRoutingStep(BaseModel):
    name: str = Field(description="`plan`, `preflight`, `domain` … `numbers`, in this order.")
    status: str = Field(description="`pending`, `running`, `waiting`, `done`, `failed`, `skipped`")
    message: str
    detail: dict
    updated_at: str | None = Field(description="Null while the run is only proposed.")


class DirectRoutingRun(BaseModel):
    service_id: str
    subdomain: str | None = Field(description="The first of `subdomains`.")
    subdomains: list[str]
    activation_sku: str | None
    status: str
    steps: list[DirectRoutingStep]
    teams_script_confirmed_at: str | None


class Channel(BaseModel):
    id: str
    provider_id: str
    name: str
    max_customers: int | None
    customer_count: int = Field(description="Customers attached to the channel now.")
    created_at: Timestamp


class Operator(BaseModel):
    id: str
    email: str
    role: str
    scope: str = Field(description="`system`, `provider:ID`, `channel:ID` or `customer:ID`.")
    is_active: bool
    created_at: Timestamp


class Token(BaseModel):
    """Never the token's value (it is shown once, when created) nor its hash."""

    id: str
    name: str
    created_at: Timestamp
    expires_at: Timestamp | None
    last_used_at: Timestamp | None
    revoked_at: Timestamp | None


class NewToken(BaseModel):
    id: str
    token: str = Field(description="The token; shown only in this response.")
    expires_at: Timestamp | None


class AuditEvent(BaseModel):
    id: str
    created_at: Timestamp
    actor_type: str = Field(description="`operator`, `token`, `admin` (wizard) or `system`.")
    actor_id: str | None
    actor_label: str | None
    action: str
    target_type: str
    target_id: str
    target_label: str | None
    changes: dict
    request_id: str | None
    client_ip: str | None


class HealthRow(BaseModel):
    service_id: str
    short_name: str
    customer_id: str
    ok: bool | None = Field(description="The last validation's outcome; null: never validated.")
    reason: str | None
    validated_at: Timestamp | None
    client_secret_expires_at: Timestamp | None
    client_secret_days_until_expire: int | None
    band: str = Field(
        json_schema_extra={"enum": ["expired", "critical", "warning", "ok", "unknown"]}
    )
    failing_checks: list[Check]


class Alert(BaseModel):
    kind: str = Field(json_schema_extra={"enum": ["expiry", "failure"]})
    threshold_days: int | None
    sent_at: Timestamp
    recipients: list[str]


def page_of(item: type[BaseModel]) -> type[BaseModel]:
    """``{items: [item], next}``: one named schema per list."""
    items = list[item]  # type: ignore[valid-type]
    return create_model(f"{item.__name__}Page", items=(items, ...), next=(str | None, ...))


ProviderPage = page_of(Provider)
DirectRoutingPage = page_of(DirectRouting)
ChannelPage = page_of(Channel)
OperatorPage = page_of(Operator)
TokenPage = page_of(Token)
AuditEventPage = page_of(AuditEvent)
HealthPage = page_of(HealthRow)
AlertPage = page_of(Alert)


def errors(*statuses: int) -> dict[int, type[BaseModel]]:
    """The error answers an endpoint documents (401 always)."""
    return dict.fromkeys((400, 401, *statuses), Error)
