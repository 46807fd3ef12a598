"""The invitation lifecycle (SPEC.md table). Each transition locks the row and re-checks state.

Microsoft is asked before any lock is taken: validate, then lock, re-check, transition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from onramp.audit.services import Actor, audit_record
from onramp.core.crypto import secret_box
from onramp.core.errors import InvalidState
from onramp.core.tokens import new_token, token_hash
from onramp.invitations.emails import invitation_email
from onramp.invitations.models import OPEN_STATUSES, Invitation, InvitationStatus
from onramp.m365.results import ValidationResult
from onramp.notifications.services import outbox_cancel_for_invitation, outbox_enqueue
from onramp.services.models import NEVER_ACTIVE, Service, ServiceStatus, ValidationTrigger
from onramp.services.validation import (
    connection_facts,
    raise_unless_answered,
    sealed_credentials,
    validate_live,
    validation_run_store,
)

RESENDABLE = (*OPEN_STATUSES, InvitationStatus.EXPIRED)
CREDENTIAL_FIELDS = {
    "tenant_id": "",
    "tenant_display_name": "",
    "tenant_default_domain": "",
    "client_id": "",
    "secret_sealed": "",
    "secret_key_id": "",
    "secret_hint": "",
    "secret_expires_at": None,
    "granted_permissions": [],
    "assigned_roles": [],
}


@dataclass(frozen=True)
class IssuedInvitation:
    """An invitation and its link: the only moment the link exists in clear outside the mail."""

    invitation: Invitation
    link: str


def invitation_link(token: str) -> str:
    return f"{settings.PUBLIC_URL}/invite/{token}"


def _audit(actor: Actor, action: str, invitation: Invitation, **changes) -> None:
    service = invitation.service
    audit_record(
        actor=actor,
        action=action,
        target=invitation,
        provider_id=service.provider_id,
        customer_id=service.customer_id,
        **changes,
    )


def _send_link(invitation: Invitation, token: str) -> None:
    subject, text, html = invitation_email(invitation, invitation_link(token))
    outbox_enqueue(
        kind="invitation",
        to_email=invitation.admin_email,
        subject=subject,
        text=text,
        html=html,
        invitation=invitation,
    )


def invitation_issue(*, actor: Actor, service: Service, admin_email: str) -> IssuedInvitation:
    """Create an invitation and queue its email. Runs inside the caller's transaction."""
    token = new_token()
    now = timezone.now()
    invitation = Invitation.objects.create(
        service=service,
        provider_id=service.provider_id,
        customer_id=service.customer_id,
        admin_email=admin_email.strip().lower(),
        token_hash=token_hash(token),
        status=InvitationStatus.PENDING,
        created_at=now,
        expires_at=now + timedelta(hours=settings.INVITATION_TTL_HOURS),
        created_by=actor.operator,
    )
    _send_link(invitation, token)
    _audit(
        actor,
        "invitation.created",
        invitation,
        new={
            "admin_email": invitation.admin_email,
            "expires_at": invitation.expires_at.isoformat(),
            "service": str(service.pk),
        },
    )
    return IssuedInvitation(invitation, invitation_link(token))


def _locked(invitation_id) -> Invitation:
    return (
        Invitation.objects.select_for_update()
        .select_related("service", "service__provider", "service__customer")
        .get(pk=invitation_id)
    )


def _require(invitation: Invitation, allowed: tuple[str, ...], doing: str) -> str:
    status = invitation.effective_status(timezone.now())
    if status not in allowed:
        raise InvalidState(f"An invitation that is {status} cannot be {doing}.")
    return status


def invitation_resend(*, actor: Actor, invitation: Invitation) -> IssuedInvitation:
    """A new link (the old one dies), a new expiry, a new email; held credentials kept."""
    with transaction.atomic():
        invitation = _locked(invitation.pk)
        old_status = _require(invitation, RESENDABLE, "resent")
        token = new_token()
        now = timezone.now()
        old = {"status": old_status, "expires_at": invitation.expires_at.isoformat()}
        invitation.token_hash = token_hash(token)
        invitation.expires_at = now + timedelta(hours=settings.INVITATION_TTL_HOURS)
        invitation.status = (
            InvitationStatus.AUTHENTICATED
            if invitation.holds_credentials
            else InvitationStatus.PENDING
        )
        try:
            with transaction.atomic():
                invitation.save()
        except IntegrityError:
            raise InvalidState(
                "The service already has another open invitation; resend that one instead."
            ) from None
        outbox_cancel_for_invitation(invitation)
        _send_link(invitation, token)
        _audit(
            actor,
            "invitation.resent",
            invitation,
            old=old,
            new={"status": invitation.status, "expires_at": invitation.expires_at.isoformat()},
        )
    return IssuedInvitation(invitation, invitation_link(token))


def invitation_revoke(*, actor: Actor, invitation: Invitation) -> Invitation:
    with transaction.atomic():
        invitation = _locked(invitation.pk)
        old_status = _require(invitation, RESENDABLE, "revoked")
        for field, empty in CREDENTIAL_FIELDS.items():
            setattr(invitation, field, empty)
        invitation.status = InvitationStatus.REVOKED
        invitation.revoked_at = timezone.now()
        invitation.save()
        outbox_cancel_for_invitation(invitation)
        service_change = _move_service(
            invitation.service_id,
            (ServiceStatus.AWAITING, ServiceStatus.AUTHENTICATED),
            ServiceStatus.DISCONNECTED,
        )
        _audit(
            actor,
            "invitation.revoked",
            invitation,
            old={"status": old_status},
            new={"status": invitation.status, **service_change},
        )
    return invitation


def _move_service(service_id, when: tuple[str, ...], status: str) -> dict[str, str]:
    """Move a service along with its invitation; returns the change for the audit event."""
    service = Service.objects.select_for_update().get(pk=service_id)
    if service.status not in when:
        return {}
    service.status = status
    service.save(update_fields=["status"])
    return {"service_status": status}


def invitation_by_token(token: str) -> Invitation | None:
    """Look a link up by the hash of its token: timing reveals nothing about stored tokens."""
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related("service", "service__provider", "service__customer")
        .filter(token_hash=token_hash(token))
        .first()
    )


def invitation_open(*, invitation: Invitation) -> None:
    """Record the first time the admin opens the link."""
    with transaction.atomic():
        updated = Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
            opened_at=timezone.now()
        )
        if updated:
            _audit(Actor.customer_admin(), "invitation.opened", invitation)


class TenantPinned(InvalidState):
    """The wizard was used with a different tenant after the first success."""


def _pinned_message(invitation: Invitation) -> str:
    return (
        f"This invitation is already connected to tenant {invitation.tenant_id}. It cannot "
        "be used for another tenant; ask your provider for a new invitation if the tenant "
        "is wrong. The credentials stored earlier are unchanged."
    )


def invitation_authenticate(
    *, invitation: Invitation, tenant_id: str, client_id: str, client_secret: str
) -> ValidationResult:
    """The admin's credentials from the public wizard: validate live, then hold them.

    Raises InvalidState (link no longer usable, or another tenant than the pinned one),
    MicrosoftUnavailable (nothing changed), or returns the result (ok or not: a failure
    changes nothing but is recorded).
    """
    _require(invitation, OPEN_STATUSES, "used")
    tenant_id, client_id, client_secret = (
        tenant_id.strip(),
        client_id.strip(),
        client_secret.strip(),
    )
    if invitation.tenant_id and _is_other_guid(tenant_id, invitation.tenant_id):
        raise TenantPinned(_pinned_message(invitation))
    service = invitation.service
    result = validate_live(
        tenant=tenant_id,
        client_id=client_id,
        client_secret=client_secret,
        expected_tenant_id=service.customer.azure_tenant_id,
    )
    raise_unless_answered(result)
    admin = Actor.customer_admin()
    with transaction.atomic():
        invitation = _locked(invitation.pk)
        _require(invitation, OPEN_STATUSES, "used")
        resolved = result.tenant.id if result.tenant else tenant_id.lower()
        if invitation.tenant_id and resolved != invitation.tenant_id:
            raise TenantPinned(_pinned_message(invitation))
        validation_run_store(
            result=result, trigger=ValidationTrigger.WIZARD, actor=admin, invitation=invitation
        )
        if not result.ok:
            _audit(
                admin,
                "invitation.rejected",
                invitation,
                new={"reason": result.reason, "tenant_id": resolved, "client_id": client_id},
            )
            return result
        old_status = invitation.status
        replaced = invitation.holds_credentials
        fields = {
            "tenant_id": resolved,
            "client_id": client_id,
            **connection_facts(result),
            **sealed_credentials(client_secret),
        }
        fields.setdefault("secret_expires_at", None)
        for field, value in fields.items():
            setattr(invitation, field, value)
        invitation.status = InvitationStatus.AUTHENTICATED
        invitation.authenticated_at = result.validated_at
        invitation.authenticated_method = "app-registration"
        invitation.save()
        service_change = _move_service(service.pk, NEVER_ACTIVE, ServiceStatus.AUTHENTICATED)
        _audit(
            admin,
            "invitation.authenticated",
            invitation,
            old={"status": old_status},
            new={
                "status": invitation.status,
                "tenant_id": resolved,
                "client_id": client_id,
                "secret_hint": invitation.secret_hint,
                "credentials_replaced": replaced,
                **service_change,
            },
        )
    return result


def _is_other_guid(entered: str, pinned: str) -> bool:
    import uuid

    try:
        return str(uuid.UUID(entered)) != pinned
    except ValueError:
        return False


def held_secret(invitation: Invitation) -> str:
    return secret_box().open(invitation.secret_sealed)
