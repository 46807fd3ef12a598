"""The writes that move a service and its invitation together (SPEC.md lifecycle table):
create, authenticate (the wizard), revoke, activate (Add → Next) and re-initiate.

Microsoft is asked before any transaction; then the rows are locked, the state re-checked and
the one transition made, with its audit events in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from onramp.accounts.scoping import require_actor
from onramp.audit.services import audit_record
from onramp.connections.live import raise_unless_answered, raise_unless_ok, validate_live
from onramp.connections.models import ConnectionMethod, ValidationTrigger
from onramp.connections.services import (
    connection_store,
    credentials_hold,
    held_credential,
    validation_run_store,
)
from onramp.core import short_names
from onramp.core.actors import Actor
from onramp.core.errors import InvalidInput, InvalidState, ValidationFailed
from onramp.core.validators import email_error
from onramp.invitations.models import OPEN_STATUSES, Invitation, InvitationStatus
from onramp.invitations.services import (
    RESENDABLE,
    IssuedInvitation,
    TenantPinned,
    invitation_audit,
    invitation_issue,
    invitation_locked,
    invitation_require,
    is_other_guid,
    pinned_message,
)
from onramp.m365.credentials import ClientSecret, Credential
from onramp.m365.results import ValidationResult
from onramp.notifications.selectors import delivery_just_queued
from onramp.notifications.services import outbox_cancel_for_invitation
from onramp.services.models import NEVER_ACTIVE, Service, ServiceStatus
from onramp.services.services import DUPLICATE_NAME, ServiceRequest, service_request_errors
from onramp.tenancy.models import Customer


@dataclass(frozen=True)
class CreatedService:
    service: Service
    issued: IssuedInvitation | None = None
    validation: ValidationResult | None = None


def service_create(*, actor: Actor, customer: Customer, request: ServiceRequest) -> CreatedService:
    """Create a service with an invitation, or with known credentials validated live first."""
    require_actor(actor, "service.create")
    errors = service_request_errors(customer, request)
    if errors:
        raise InvalidInput(errors)
    result = None
    if request.method == ConnectionMethod.APP_REGISTRATION:
        result = validate_live(
            tenant=request.tenant_id,
            client_id=request.client_id,
            credential=ClientSecret(request.client_secret),
            expected_tenant_id=customer.azure_tenant_id,
        )
        raise_unless_ok(result)
    try:
        with transaction.atomic():
            return _create(actor, customer, request, result)
    except IntegrityError:
        raise InvalidInput({"short_name": [DUPLICATE_NAME]}) from None


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
        delivery_just_queued(issued.invitation)
        return CreatedService(service, issued=issued)
    connection_store(
        service=service,
        tenant_id=result.tenant.id if result.tenant else request.tenant_id,
        client_id=request.client_id,
        credential=ClientSecret(request.client_secret),
        result=result,
        authenticated_by=actor.label,
        authenticated_at=result.validated_at,
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


def _move_service(service_id, when: tuple[str, ...], status: str) -> dict[str, str]:
    """Move a service along with its invitation; returns the change for the audit event."""
    service = Service.objects.select_for_update().get(pk=service_id)
    if service.status not in when:
        return {}
    service.status = status
    service.save(update_fields=["status"])
    return {"service_status": status}


def invitation_authenticate(
    *, invitation: Invitation, tenant_id: str, client_id: str, client_secret: str
) -> ValidationResult:
    """The admin's credentials from the public wizard: validate live, then hold them.

    Raises InvalidState (link no longer usable, or another tenant than the pinned one),
    MicrosoftUnavailable (nothing changed), or returns the result (ok or not: a failure
    changes nothing but is recorded).
    """
    invitation_require(invitation, OPEN_STATUSES, "used")
    tenant_id, client_id, client_secret = (
        tenant_id.strip(),
        client_id.strip(),
        client_secret.strip(),
    )
    if invitation.tenant_id and is_other_guid(tenant_id, invitation.tenant_id):
        raise TenantPinned(pinned_message(invitation))
    result = validate_live(
        tenant=tenant_id,
        client_id=client_id,
        credential=ClientSecret(client_secret),
        expected_tenant_id=invitation.service.customer.azure_tenant_id,
    )
    raise_unless_answered(result)
    return credentials_received(
        invitation=invitation,
        tenant_id=tenant_id,
        client_id=client_id,
        credential=ClientSecret(client_secret),
        result=result,
    )


def credentials_received(
    *,
    invitation: Invitation,
    tenant_id: str,
    client_id: str,
    credential: Credential,
    result: ValidationResult,
    method: str = ConnectionMethod.APP_REGISTRATION,
    created_app: dict[str, str] | None = None,
) -> ValidationResult:
    """Record a live validation of credentials the admin gave (or Onramp created for them,
    ``created_app``: who signed in and the application's object id): a rejection is recorded,
    accepted credentials are held and the invitation becomes authenticated. Raises
    InvalidState (link no longer usable, or another tenant than the pinned one)."""
    admin = Actor.customer_admin()
    with transaction.atomic():
        invitation = invitation_locked(invitation.pk)
        invitation_require(invitation, OPEN_STATUSES, "used")
        resolved = result.tenant.id if result.tenant else tenant_id.lower()
        if invitation.tenant_id and resolved != invitation.tenant_id:
            raise TenantPinned(pinned_message(invitation))
        validation_run_store(
            result=result, trigger=ValidationTrigger.WIZARD, actor=admin, invitation=invitation
        )
        if not result.ok:
            invitation_audit(
                admin,
                "invitation.rejected",
                invitation,
                new={"reason": result.reason, "tenant_id": resolved, "client_id": client_id},
            )
            return result
        old_status = invitation.status
        replaced = invitation.holds_credentials
        credentials_hold(
            invitation,
            tenant_id=resolved,
            client_id=client_id,
            credential=credential,
            result=result,
        )
        for name, value in (created_app or {}).items():
            setattr(invitation, name, value)
        invitation.status = InvitationStatus.AUTHENTICATED
        invitation.authenticated_at = result.validated_at
        invitation.authenticated_method = method
        invitation.save()
        service_change = _move_service(
            invitation.service_id, NEVER_ACTIVE, ServiceStatus.AUTHENTICATED
        )
        invitation_audit(
            admin,
            "invitation.authenticated",
            invitation,
            old={"status": old_status},
            new={
                "status": invitation.status,
                "method": method,
                "tenant_id": resolved,
                "client_id": client_id,
                "secret_hint": invitation.secret_hint,
                "credentials_replaced": replaced,
                **(created_app or {}),
                **service_change,
            },
        )
    return result


def invitation_revoke(*, actor: Actor, invitation: Invitation) -> Invitation:
    """The link dies and the held credentials are forgotten; a service that never became
    active is disconnected."""
    require_actor(actor, "invitation.manage")
    with transaction.atomic():
        invitation = invitation_locked(invitation.pk)
        old_status = invitation_require(invitation, RESENDABLE, "revoked")
        invitation.clear()
        invitation.status = InvitationStatus.REVOKED
        invitation.revoked_at = timezone.now()
        invitation.save()
        outbox_cancel_for_invitation(invitation)
        service_change = _move_service(
            invitation.service_id,
            (ServiceStatus.AWAITING, ServiceStatus.AUTHENTICATED),
            ServiceStatus.DISCONNECTED,
        )
        invitation_audit(
            actor,
            "invitation.revoked",
            invitation,
            old={"status": old_status},
            new={"status": invitation.status, **service_change},
        )
    return invitation


def service_activate(*, actor: Actor, invitation: Invitation) -> tuple[Service, ValidationResult]:
    """Add: validate the received credentials live again, then complete the onboarding."""
    require_actor(actor, "invitation.manage")
    invitation = Invitation.objects.select_related("service__customer").get(pk=invitation.pk)
    _require_addable(invitation)
    service = invitation.service
    result = validate_live(
        tenant=invitation.tenant_id,
        client_id=invitation.client_id,
        credential=held_credential(invitation),
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
    connection_store(
        service=service,
        tenant_id=invitation.tenant_id,
        client_id=invitation.client_id,
        method=invitation.authenticated_method or ConnectionMethod.APP_REGISTRATION,
        sealed_from=invitation,
        result=result,
        authenticated_by=invitation.admin_email,
        authenticated_at=invitation.authenticated_at or result.validated_at,
    )
    old_status = service.status
    service.status = ServiceStatus.ACTIVE
    service.activated_at = service.activated_at or timezone.now()
    service.save(update_fields=["status", "activated_at"])
    invitation.status = InvitationStatus.COMPLETED
    invitation.completed_at = timezone.now()
    invitation.secret_sealed = invitation.private_key_sealed = ""
    invitation.save(update_fields=["status", "completed_at", "secret_sealed", "private_key_sealed"])
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


def service_reinitiate(*, actor: Actor, service: Service, admin_email: str) -> IssuedInvitation:
    """Re-initiate Authentication Flow: a new invitation; the current connection stays."""
    require_actor(actor, "connection.reinitiate")
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
            open_one.clear()
            open_one.status = InvitationStatus.EXPIRED
            open_one.save()
        if service.status in (ServiceStatus.DISCONNECTED, ServiceStatus.AUTHENTICATED):
            service.status = ServiceStatus.AWAITING
            service.save(update_fields=["status"])
        return invitation_issue(actor=actor, service=service, admin_email=admin_email)
