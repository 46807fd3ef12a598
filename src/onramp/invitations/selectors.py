"""Reads of invitations, always scoped to the caller."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from onramp.accounts.models import Operator
from onramp.accounts.scoping import owned_scope
from onramp.core.lookup import get_or_not_found
from onramp.invitations.models import OPEN_STATUSES, Invitation, InvitationStatus
from onramp.notifications.selectors import with_delivery


def invitations_visible(operator: Operator) -> QuerySet[Invitation]:
    """Filtered on the invitation's own provider / customer columns, so the sorted indexes on
    ``(provider | customer, -created_at, -id)`` serve a page without a join or a sort."""
    return with_delivery(
        Invitation.objects.select_related("service", "customer")
        .filter(owned_scope(operator))
        .order_by("-created_at", "-id")
    )


def invitation_get(operator: Operator, invitation_id: object) -> Invitation:
    return get_or_not_found(invitations_visible(operator), invitation_id, "invitation")


def with_status(queryset: QuerySet[Invitation], status: str) -> QuerySet[Invitation]:
    """Filter by the effective status: ``expired`` is computed from ``expires_at``."""
    now = timezone.now()
    if status == InvitationStatus.EXPIRED:
        return queryset.filter(
            Q(status=InvitationStatus.EXPIRED) | Q(status__in=OPEN_STATUSES, expires_at__lte=now)
        )
    if status in OPEN_STATUSES:
        return queryset.filter(status=status, expires_at__gt=now)
    return queryset.filter(status=status)


def pending_invitations(operator: Operator) -> QuerySet[Invitation]:
    """What Pending Invitations lists: every invitation not completed (newest first)."""
    return invitations_visible(operator).exclude(status=InvitationStatus.COMPLETED)
