"""What clients send: request bodies (strict JSON types, unknown fields refused) and list
parameters. Length limits here only stop absurd input (400); the domain's rules give 422."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    field_validator,
)
from pydantic_core import PydanticCustomError

from onramp.connections.expiry import Band
from onramp.invitations.models import InvitationStatus
from onramp.services.models import LicenseType, ServiceStatus
from onramp.services.services import ServiceRequest

SANITY_MAX = 1000


def _without_nul(value: str) -> str:
    """No text anywhere may hold U+0000: PostgreSQL cannot store it (a 500 otherwise)."""
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "Remove the NUL character (U+0000)")
    return value


NoNul = AfterValidator(_without_nul)


def _iso_8601(value: object) -> object:
    """A date or date and time written out; pydantic alone would also take ``0.5`` as a Unix
    time, which the documented ``date-time`` format does not allow."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("datetime_from_date_parsing", "Use an ISO 8601 date and time")


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_8601)]
Text = Annotated[str, Field(max_length=SANITY_MAX), NoNul]
Secret = Annotated[SecretStr, Field(max_length=SANITY_MAX)]
Id = Annotated[str, Field(max_length=64, description="An id as returned by the API."), NoNul]
CONNECTION_METHODS = frozenset({"invitation", "app-registration"})


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CustomerCreate(Body):
    name: Text
    provider_id: Id | None = Field(None, description="Defaults to the caller's own provider.")
    channel_id: Id | None = Field(None, description="Defaults to the caller's own channel.")
    azure_tenant_id: Text | None = None
    contact_email: Text | None = None
    notify_admin_on_expiry: bool = False
    country: Text | None = Field(
        None, description="ISO 3166 alpha-2: the usage location of users Onramp creates."
    )


class CustomerChange(Body):
    """Only the fields sent change; ``channel_id: null`` takes the customer out of its channel."""

    name: Text | None = None
    channel_id: Id | None = None
    azure_tenant_id: Text | None = None
    contact_email: Text | None = None
    notify_admin_on_expiry: bool = False
    country: Text | None = None


class InvitationConnection(Body):
    method: Literal["invitation"]
    admin_email: Text


class AppRegistrationConnection(Body):
    method: Literal["app-registration"]
    tenant_id: Text = Field(description="A GUID or a tenant domain (contoso.onmicrosoft.com).")
    client_id: Text
    client_secret: Secret


class ServiceCreate(Body):
    customer_id: Id
    short_name: Text
    full_name: Text | None = None
    license_type: str = Field(
        max_length=SANITY_MAX, json_schema_extra={"enum": list(LicenseType.values)}
    )
    licensed_users: int = Field(json_schema_extra={"minimum": 1, "maximum": 500})
    connection: Annotated[
        InvitationConnection | AppRegistrationConnection, Field(discriminator="method")
    ]


class SecretRenewal(Body):
    client_secret: Secret


class ExpiryEntry(Body):
    expires_at: Annotated[datetime, Field(strict=False)] = Field(
        description="ISO 8601 date and time (UTC when no offset is given)."
    )

    @field_validator("expires_at", mode="before")
    @classmethod
    def _text_only(cls, value: object) -> object:
        if not isinstance(value, str):
            raise ValueError("Send an ISO 8601 date and time as a string")
        return value


class Reinitiation(Body):
    admin_email: Text


class ProviderCreate(Body):
    name: Text
    sbc_domain: Text | None = Field(None, description="The provider's SBC domain (DNS name).")


class ProviderChange(Body):
    """Only the fields sent change; ``sbc_domain: null`` clears it."""

    name: Text | None = None
    sbc_domain: Text | None = None
    sbc_domains: list[Text] | None = Field(
        None, max_length=20, description="Every SBC domain (carrier trunk), the first first."
    )


class LabelChange(Body):
    subdomain_label: Text


class DirectRoutingStart(Body):
    activation_sku: Text | None = Field(
        None,
        description="The SKU part number of the activation user's license; Onramp's "
        "proposal when left out.",
    )


class ActivationConfirmation(Body):
    reclaim_license: bool = Field(False, description="Remove the activation users' licenses.")


class NumberRow(Body):
    user_principal_name: Text
    phone_number: Text = Field(description="E.164, such as +442071234567.")


NUMBER_ROWS = TypeAdapter(list[NumberRow])


class DnsChange(Body):
    backend: Text = Field(description="`manual`, `rfc2136` or a dns-lexicon provider name.")
    settings: dict[str, Text | int] = Field(
        max_length=50, description="The backend's settings; secret ones are write-only."
    )


Capacity = Annotated[int, Field(description="At most this many customers; null: no limit.")]


class ChannelCreate(Body):
    name: Text
    provider_id: Id | None = Field(None, description="Defaults to the caller's own provider.")
    max_customers: Capacity | None = None


class ChannelChange(Body):
    """Only the fields sent change; ``max_customers: null`` lifts the limit."""

    name: Text | None = None
    max_customers: Capacity | None = None


class OperatorInvite(Body):
    email: Text
    role: Text = Field(json_schema_extra={"enum": ["admin", "operator", "monitor"]})
    scope: Text = Field(
        description="`system`, `provider:ID`, `channel:ID` or `customer:ID`, within your own."
    )


class OperatorChange(Body):
    """Only the fields sent change."""

    role: Text | None = Field(None, description="`admin`, `operator` or `monitor`.")
    is_active: bool | None = None


class TokenCreate(Body):
    name: Text
    expires_days: int | None = Field(
        None, json_schema_extra={"minimum": 1, "maximum": 3650}, description="Null: never."
    )


class ValidationStart(Body):
    scope: Literal["all", "provider", "customer"] = Field(
        description="`all`: every service (system) or your provider's (provider operators)."
    )
    id: Id | None = Field(None, description="The provider or customer (not with `all`).")


class Page(BaseModel):
    limit: int = Field(50, ge=1, le=500, description="Items per page (1 to 500).")
    cursor: str | None = Field(None, max_length=200, description="`next` of the previous page.")


class ServiceFilters(Page):
    customer_id: UUID | None = None
    status: Literal[tuple(ServiceStatus.values)] | None = None  # type: ignore[valid-type]


class InvitationFilters(Page):
    customer_id: UUID | None = None
    status: Literal[tuple(InvitationStatus.values)] | None = Field(  # type: ignore[valid-type]
        None, description="The effective status: `expired` once `expires_at` has passed."
    )


class Listing(Page):
    format: Literal["json", "csv"] = Field(
        "json", description="`csv`: every matching row (no paging), same columns."
    )


class AuditFilters(Listing):
    target_type: Annotated[str, NoNul] | None = Field(None, max_length=32)
    target_id: Annotated[str, NoNul] | None = Field(None, max_length=64)
    action: Annotated[str, NoNul] | None = Field(None, max_length=64)
    since: IsoDateTime | None = Field(None, description="Events at or after this moment (UTC).")


class HealthFilters(Listing):
    band: Literal[tuple(Band.values)] | None = None  # type: ignore[valid-type]
    customer_id: UUID | None = None


def service_request(payload: ServiceCreate) -> ServiceRequest:
    """The domain's request, trimmed as it expects."""
    connection = payload.connection
    fields: dict[str, str] = {"method": connection.method}
    if isinstance(connection, InvitationConnection):
        fields["admin_email"] = connection.admin_email.strip()
    else:
        fields["tenant_id"] = connection.tenant_id.strip()
        fields["client_id"] = connection.client_id.strip()
        fields["client_secret"] = connection.client_secret.get_secret_value().strip()
    return ServiceRequest(
        short_name=payload.short_name.strip(),
        full_name=(payload.full_name or "").strip(),
        license_type=payload.license_type.strip(),
        licensed_users=payload.licensed_users,
        **fields,
    )
