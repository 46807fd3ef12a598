"""Writes for Direct Routing services and their tenant connection (SPEC.md steps 2, 7, 8).

Every function: keyword-only arguments, Microsoft asked before any transaction, one transaction
for the change and its audit event, row locks where two operators can race.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from onramp.audit.services import Actor, audit_record
from onramp.core import short_names
from onramp.core.crypto import secret_box
from onramp.core.errors import InvalidInput, InvalidState, ValidationFailed
from onramp.core.validators import client_id_error, email_error, tenant_id_error
from onramp.invitations.models import OPEN_STATUSES, Invitation, InvitationStatus
from onramp.invitations.services import (
    CREDENTIAL_FIELDS,
    IssuedInvitation,
    held_secret,
    invitation_issue,
)
from onramp.m365.results import ValidationResult
from onramp.services.models import (
    MAX_LICENSED_USERS,
    NEVER_ACTIVE,
    ExpirySource,
    LicenseType,
    Service,
    ServiceStatus,
    TenantConnection,
    ValidationRun,
    ValidationTrigger,
)
from onramp.services.validation import (
    connection_facts,
    raise_unless_answered,
    raise_unless_ok,
    sealed_credentials,
    validate_live,
    validation_run_store,
)
from onramp.tenancy.models import Customer

FULL_NAME_MAX = 200


@dataclass
class ServiceRequest:
    """What the Add Service form and ``POST /services`` submit (values already trimmed)."""

    short_name: str
    full_name: str
    license_type: str
    licensed_users: Any
    method: str  # "invitation" | "app-registration"
    admin_email: str = ""
    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)


@dataclass(frozen=True)
class CreatedService:
    service: Service
    issued: IssuedInvitation | None = None
    validation: ValidationResult | None = None


def service_request_errors(customer: Customer, request: ServiceRequest) -> dict[str, list[str]]:
    """Every rule the request breaks, by field; the database constraint backs up uniqueness."""
    errors: dict[str, list[str]] = {}
    name_errors = short_names.short_name_errors(request.short_name)
    if (
        not name_errors
        and Service.objects.filter(
            provider_id=customer.provider_id,
            short_name_key=short_names.short_name_key(request.short_name),
        ).exists()
    ):
        name_errors = [_DUPLICATE_NAME]
    if name_errors:
        errors["short_name"] = name_errors
    if len(request.full_name) > FULL_NAME_MAX:
        errors["full_name"] = [f"Use at most {FULL_NAME_MAX} characters."]
    if request.license_type not in LicenseType.values:
        errors["license_type"] = ["Choose Hosted Essentials+ or Hosted Pro."]
    users = request.licensed_users
    if (
        isinstance(users, bool)
        or not isinstance(users, int)
        or not 1 <= users <= MAX_LICENSED_USERS
    ):
        errors["licensed_users"] = [f"Enter a whole number from 1 to {MAX_LICENSED_USERS}."]
    if request.method == "invitation":
        if problem := email_error(request.admin_email):
            errors["admin_email"] = [problem]
    elif request.method == "app-registration":
        for name, check in (("tenant_id", tenant_id_error), ("client_id", client_id_error)):
            if problem := check(getattr(request, name)):
                errors[name] = [problem]
        if not request.client_secret:
            errors["client_secret"] = ["Enter the client secret's value."]
        elif len(request.client_secret) > 255:
            errors["client_secret"] = ["Use at most 255 characters."]
    else:
        errors["method"] = ["Choose how to connect to the tenant."]
    return errors


_DUPLICATE_NAME = "Another service of this provider already uses this short name."


def service_create(*, actor: Actor, customer: Customer, request: ServiceRequest) -> CreatedService:
    """Create a service with an invitation, or with known credentials validated live first."""
    errors = service_request_errors(customer, request)
    if errors:
        raise InvalidInput(errors)
    result = None
    if request.method == "app-registration":
        result = validate_live(
            tenant=request.tenant_id,
            client_id=request.client_id,
            client_secret=request.client_secret,
            expected_tenant_id=customer.azure_tenant_id,
        )
        raise_unless_ok(result)
    try:
        with transaction.atomic():
            return _create(actor, customer, request, result)
    except IntegrityError:
        raise InvalidInput({"short_name": [_DUPLICATE_NAME]}) from None


def _create(
    actor: Actor, customer: Customer, request: ServiceRequest, result: ValidationResult | None
) -> CreatedService:
    name = short_names.normalize(request.short_name)
    service = Service.objects.create(
        provider=customer.provider,
        customer=customer,
        short_name=name,
        short_name_key=short_names.short_name_key(name),
        full_name=request.full_name or name,
        license_type=request.license_type,
        licensed_users=request.licensed_users,
        status=ServiceStatus.AWAITING if result is None else ServiceStatus.ACTIVE,
        created_by=actor.operator,
        activated_at=None if result is None else timezone.now(),
    )
    audit_record(
        actor=actor,
        action="service.created",
        target=service,
        provider_id=service.provider_id,
        customer_id=customer.pk,
        new={
            "short_name": name,
            "full_name": service.full_name,
            "license_type": service.license_type,
            "licensed_users": service.licensed_users,
            "status": service.status,
            "method": request.method,
        },
    )
    if result is None:
        issued = invitation_issue(actor=actor, service=service, admin_email=request.admin_email)
        return CreatedService(service, issued=issued)
    _connection_store(
        service,
        actor=actor,
        tenant_id=result.tenant.id if result.tenant else request.tenant_id,
        client_id=request.client_id,
        client_secret=request.client_secret,
        result=result,
    )
    validation_run_store(
        result=result, trigger=ValidationTrigger.CREATE, actor=actor, service=service
    )
    audit_record(
        actor=actor,
        action="service.activated",
        target=service,
        provider_id=service.provider_id,
        customer_id=customer.pk,
        new={"status": ServiceStatus.ACTIVE, "tenant_id": service.connection.tenant_id},
    )
    return CreatedService(service, validation=result)


def _connection_store(
    service: Service,
    *,
    actor: Actor,
    tenant_id: str,
    client_id: str,
    client_secret: str | None,
    result: ValidationResult,
    sealed: dict[str, str] | None = None,
) -> TenantConnection:
    facts = connection_facts(result)
    expiry_source = ExpirySource.MICROSOFT if "secret_expires_at" in facts else ""
    facts.setdefault("secret_expires_at", None)
    connection, _ = TenantConnection.objects.update_or_create(
        service=service,
        defaults={
            "method": "app-registration",
            "tenant_id": tenant_id,
            "client_id": client_id,
            **(sealed or sealed_credentials(client_secret or "")),
            **facts,
            "secret_expiry_source": expiry_source,
            "authenticated_by": actor.label,
            "authenticated_at": result.validated_at,
        },
    )
    service.connection = connection
    return connection


def service_delete(*, actor: Actor, service: Service) -> None:
    """Only a service that never became active; its name is released, its invitation dies."""
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=service.pk)
        if service.status not in NEVER_ACTIVE:
            raise InvalidState("An active service cannot be deleted.")
        audit_record(
            actor=actor,
            action="service.deleted",
            target=service,
            provider_id=service.provider_id,
            customer_id=service.customer_id,
            old={"short_name": service.short_name, "status": service.status},
        )
        service.delete()


def service_activate(*, actor: Actor, invitation: Invitation) -> tuple[Service, ValidationResult]:
    """Add: validate the received credentials live again, then complete the onboarding."""
    invitation = Invitation.objects.select_related("service__customer").get(pk=invitation.pk)
    _require_addable(invitation)
    service = invitation.service
    result = validate_live(
        tenant=invitation.tenant_id,
        client_id=invitation.client_id,
        client_secret=held_secret(invitation),
        expected_tenant_id=service.customer.azure_tenant_id,
    )
    raise_unless_answered(result)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        service = Service.objects.select_for_update().get(pk=invitation.service_id)
        _require_addable(invitation)
        validation_run_store(
            result=result, trigger=ValidationTrigger.ADD, actor=actor, service=service
        )
        if result.ok:
            _complete(actor, invitation, service, result)
    if not result.ok:
        raise ValidationFailed(result)
    service.refresh_from_db()
    return service, result


def _complete(
    actor: Actor, invitation: Invitation, service: Service, result: ValidationResult
) -> None:
    connection = _connection_store(
        service,
        actor=actor,
        tenant_id=invitation.tenant_id,
        client_id=invitation.client_id,
        client_secret=None,
        result=result,
        sealed={
            "secret_sealed": invitation.secret_sealed,
            "secret_key_id": invitation.secret_key_id,
            "secret_hint": invitation.secret_hint,
        },
    )
    connection.authenticated_by = invitation.admin_email
    connection.authenticated_at = invitation.authenticated_at or result.validated_at
    connection.save(update_fields=["authenticated_by", "authenticated_at"])
    old_status = service.status
    service.status = ServiceStatus.ACTIVE
    service.activated_at = service.activated_at or timezone.now()
    service.save(update_fields=["status", "activated_at"])
    invitation.status = InvitationStatus.COMPLETED
    invitation.completed_at = timezone.now()
    invitation.secret_sealed = ""
    invitation.save(update_fields=["status", "completed_at", "secret_sealed"])
    audit_record(
        actor=actor,
        action="service.activated",
        target=service,
        provider_id=service.provider_id,
        customer_id=service.customer_id,
        old={"status": old_status},
        new={
            "status": service.status,
            "invitation": str(invitation.pk),
            "tenant_id": invitation.tenant_id,
            "client_id": invitation.client_id,
        },
    )


def _require_addable(invitation: Invitation) -> None:
    status = invitation.effective_status(timezone.now())
    if status != InvitationStatus.AUTHENTICATED:
        raise InvalidState(
            f"Only an authenticated, unexpired invitation can be added; this one is {status}."
        )


def _require_connection(service: Service) -> TenantConnection:
    try:
        return TenantConnection.objects.get(service=service)
    except TenantConnection.DoesNotExist:
        raise InvalidState("The service has no tenant connection yet.") from None


def connection_validate(
    *, actor: Actor, service: Service, trigger: str = ValidationTrigger.MANUAL
) -> ValidationRun:
    """Validate Authentication: re-run every check live and keep the run."""
    connection = _require_connection(service)
    result = validate_live(
        tenant=connection.tenant_id,
        client_id=connection.client_id,
        client_secret=secret_box().open(connection.secret_sealed),
        expected_tenant_id=service.customer.azure_tenant_id,
    )
    raise_unless_answered(result)
    with transaction.atomic():
        connection = TenantConnection.objects.select_for_update().get(service=service)
        if result.credentials_accepted:
            _refresh_facts(connection, result)
        return validation_run_store(result=result, trigger=trigger, actor=actor, service=service)


def _refresh_facts(connection: TenantConnection, result: ValidationResult) -> None:
    """Keep what Microsoft told us. An operator's expiry stays until Microsoft can tell it; a
    date Microsoft can no longer tell (Application.Read.All withdrawn) is kept as the last known
    one, and the operator may then enter it by hand."""
    for name, value in connection_facts(result).items():
        setattr(connection, name, value)
    if result.client_secret_expires_at is not None:
        connection.secret_expiry_source = ExpirySource.MICROSOFT
    elif connection.secret_expiry_source == ExpirySource.MICROSOFT:
        connection.secret_expiry_source = ""
    connection.save()


def connection_replace_secret(
    *, actor: Actor, service: Service, client_secret: str
) -> tuple[TenantConnection, ValidationResult]:
    """Store a renewed secret once Microsoft issues a token with it for the same tenant and
    application; other failing checks are reported but do not block the renewal."""
    client_secret = client_secret.strip()
    if not client_secret or len(client_secret) > 255:
        raise InvalidInput({"client_secret": ["Enter the new client secret's value."]})
    connection = _require_connection(service)
    result = validate_live(
        tenant=connection.tenant_id,
        client_id=connection.client_id,
        client_secret=client_secret,
        expected_tenant_id=service.customer.azure_tenant_id,
    )
    raise_unless_answered(result)
    same_tenant = result.tenant is not None and result.tenant.id == connection.tenant_id
    with transaction.atomic():
        connection = TenantConnection.objects.select_for_update().get(service=service)
        validation_run_store(
            result=result, trigger=ValidationTrigger.RENEWAL, actor=actor, service=service
        )
        if result.credentials_accepted and same_tenant:
            old = {
                "secret_hint": connection.secret_hint,
                "secret_expires_at": _iso(connection.secret_expires_at),
            }
            for name, value in sealed_credentials(client_secret).items():
                setattr(connection, name, value)
            connection.secret_expires_at = None
            connection.secret_expiry_source = ""
            _refresh_facts(connection, result)
            audit_record(
                actor=actor,
                action="connection.secret_replaced",
                target=service,
                provider_id=service.provider_id,
                customer_id=service.customer_id,
                old=old,
                new={
                    "secret_hint": connection.secret_hint,
                    "secret_expires_at": _iso(connection.secret_expires_at),
                },
            )
            return connection, result
    raise ValidationFailed(result)


def connection_set_expiry(
    *, actor: Actor, service: Service, expires_at: datetime
) -> TenantConnection:
    """The expiry date entered by hand, only while Microsoft cannot tell it."""
    with transaction.atomic():
        connection = _require_connection(service)
        connection = TenantConnection.objects.select_for_update().get(service=service)
        if connection.secret_expiry_source == ExpirySource.MICROSOFT:
            raise InvalidState(
                "Microsoft reports this secret's expiry date; it cannot be entered by hand."
            )
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        old = {
            "secret_expires_at": _iso(connection.secret_expires_at),
            "secret_expiry_source": connection.secret_expiry_source,
        }
        connection.secret_expires_at = expires_at
        connection.secret_expiry_source = ExpirySource.OPERATOR
        connection.save(update_fields=["secret_expires_at", "secret_expiry_source"])
        audit_record(
            actor=actor,
            action="connection.expiry_entered",
            target=service,
            provider_id=service.provider_id,
            customer_id=service.customer_id,
            old=old,
            new={
                "secret_expires_at": _iso(expires_at),
                "secret_expiry_source": ExpirySource.OPERATOR,
            },
        )
    return connection


def service_reinitiate(*, actor: Actor, service: Service, admin_email: str) -> IssuedInvitation:
    """Re-initiate Authentication Flow: a new invitation; the current connection stays."""
    admin_email = admin_email.strip()
    if problem := email_error(admin_email):
        raise InvalidInput({"admin_email": [problem]})
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=service.pk)
        now = timezone.now()
        for open_one in Invitation.objects.select_for_update().filter(
            service=service, status__in=OPEN_STATUSES
        ):
            if open_one.effective_status(now) != InvitationStatus.EXPIRED:
                raise InvalidState("The service already has an open invitation; resend it instead.")
            # The expired one is replaced: it can never be added, so it holds nothing any more.
            for field, empty in CREDENTIAL_FIELDS.items():
                setattr(open_one, field, empty)
            open_one.status = InvitationStatus.EXPIRED
            open_one.save()
        if service.status in (ServiceStatus.DISCONNECTED, ServiceStatus.AUTHENTICATED):
            service.status = ServiceStatus.AWAITING
            service.save(update_fields=["status"])
        return invitation_issue(actor=actor, service=service, admin_email=admin_email)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
