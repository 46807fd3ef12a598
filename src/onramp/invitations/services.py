"""The invitation lifecycle (SPEC.md table). Each transition locks the row and re-checks state.

Microsoft is asked before any lock is taken: validate, then lock, re-check, transition.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from onramp.accounts.scoping import require_actor
from onramp.audit.services import audit_record
from onramp.core.actors import Actor
from onramp.core.errors import InvalidState
from onramp.core.tokens import new_token, token_hash
from onramp.invitations.emails import invitation_email
from onramp.invitations.models import (
    OPEN_STATUSES,
    Invitation,
    InvitationStatus,
    SupersededLink,
)
from onramp.notifications.services import outbox_cancel_for_invitation, outbox_enqueue

RESENDABLE = (*OPEN_STATUSES, InvitationStatus.EXPIRED)


@dataclass(frozen=True)
class IssuedInvitation:
    """An invitation and its link: the only moment the link exists in clear outside the mail."""

    invitation: Invitation
    link: str


def invitation_link(token: str) -> str:
    return f"{settings.PUBLIC_URL}/invite/{token}"


def invitation_audit(actor: Actor, action: str, invitation: Invitation, **changes) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=invitation,
        provider_id=invitation.provider_id,
        customer_id=invitation.customer_id,
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


def invitation_issue(*, actor: Actor, service: Any, admin_email: str) -> IssuedInvitation:
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
    invitation_audit(
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


def invitation_locked(invitation_id) -> Invitation:
    return (
        Invitation.objects.select_for_update()
        .select_related("service", "service__provider", "service__customer")
        .get(pk=invitation_id)
    )


def invitation_require(invitation: Invitation, allowed: tuple[str, ...], doing: str) -> str:
    status = invitation.effective_status(timezone.now())
    if status not in allowed:
        raise InvalidState(f"An invitation that is {status} cannot be {doing}.")
    return status


def invitation_resend(*, actor: Actor, invitation: Invitation) -> IssuedInvitation:
    """A new link (the old one dies), a new expiry, a new email; held credentials kept."""
    require_actor(actor, "invitation.manage")
    with transaction.atomic():
        invitation = invitation_locked(invitation.pk)
        old_status = invitation_require(invitation, RESENDABLE, "resent")
        token = new_token()
        now = timezone.now()
        old = {"status": old_status, "expires_at": invitation.expires_at.isoformat()}
        SupersededLink.objects.create(
            token_hash=invitation.token_hash, invitation=invitation, superseded_at=now
        )
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
        invitation_audit(
            actor,
            "invitation.resent",
            invitation,
            old=old,
            new={"status": invitation.status, "expires_at": invitation.expires_at.isoformat()},
        )
    return IssuedInvitation(invitation, invitation_link(token))


def invitation_by_token(token: str) -> Invitation | None:
    """Look a link up by the hash of its token: timing reveals nothing about stored tokens."""
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related("service", "service__provider", "service__customer")
        .filter(token_hash=token_hash(token))
        .first()
    )


def invitation_replaced(token: str) -> Invitation | None:
    """The invitation whose link ``token`` was until a resend replaced it."""
    if not token or len(token) > 100:
        return None
    superseded = (
        SupersededLink.objects.select_related("invitation__service__provider")
        .filter(token_hash=token_hash(token))
        .first()
    )
    return superseded.invitation if superseded else None


def invitation_open(*, invitation: Invitation) -> None:
    """Record the first time the admin opens the link."""
    with transaction.atomic():
        updated = Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
            opened_at=timezone.now()
        )
        if updated:
            invitation_audit(Actor.customer_admin(), "invitation.opened", invitation)


class TenantPinned(InvalidState):
    """The wizard was used with a different tenant after the first success."""


def pinned_message(invitation: Invitation) -> str:
    return (
        f"This invitation is already connected to tenant {invitation.tenant_id}. It cannot "
        "be used for another tenant; ask your provider for a new invitation if the tenant "
        "is wrong. The credentials stored earlier are unchanged."
    )


def is_other_guid(entered: str, pinned: str) -> bool:
    """True when the admin typed a tenant GUID other than the pinned one (a domain is resolved
    by Microsoft first)."""
    try:
        return str(uuid.UUID(entered)) != pinned
    except ValueError:
        return False
