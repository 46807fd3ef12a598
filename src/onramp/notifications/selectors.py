"""What the outbox knows about delivering an invitation's emails: the invitation pages and the
API read it here, so only the outbox writes delivery state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Exists,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce

from onramp.notifications.models import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Delivery:
    sent: bool = False
    send_count: int = 0  # attempts over every email of the invitation (resends included)
    last_error: str = ""  # of the latest attempt; empty once one succeeded after it


def with_delivery(invitations: QuerySet) -> QuerySet:
    """Annotates ``email_sent``, ``email_send_count`` and ``email_last_error`` (subqueries on
    the outbox's invitation index: no extra query for a page of any size)."""
    attempted = OutboxMessage.objects.filter(invitation=OuterRef("pk"), attempts__gt=0)
    total = (
        attempted.order_by()
        .values("invitation")
        .annotate(total=Sum("attempts"))
        .values("total")[:1]
    )
    latest = attempted.order_by("-created_at", "-id").values("last_error")[:1]
    return invitations.annotate(
        email_sent=Exists(attempted.filter(status=OutboxStatus.SENT)),
        email_send_count=Coalesce(Subquery(total), Value(0), output_field=IntegerField()),
        email_last_error=Coalesce(Subquery(latest), Value(""), output_field=TextField()),
    )


def delivery_just_queued(invitation: Any) -> None:
    """An invitation whose only email was queued in this transaction: no attempt yet, so
    ``delivery_of`` reads it as ``with_delivery`` would annotate it, without a query."""
    invitation.email_sent, invitation.email_send_count, invitation.email_last_error = False, 0, ""


def delivery_of(invitation: Any) -> Delivery:
    """The invitation's delivery: annotated by ``with_delivery`` when it was read through it
    (a listed page), else read now (an invitation just written)."""
    if hasattr(invitation, "email_send_count"):
        return Delivery(
            invitation.email_sent, invitation.email_send_count, invitation.email_last_error
        )
    sent, count, error = (
        with_delivery(type(invitation).objects.filter(pk=invitation.pk))
        .values_list("email_sent", "email_send_count", "email_last_error")
        .get()
    )
    return Delivery(sent=sent, send_count=count, last_error=error)
