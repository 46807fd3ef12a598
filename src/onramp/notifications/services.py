"""The email outbox: queue inside the business transaction, deliver from the worker.

Delivery guarantee: at least once. A message is claimed with a lease (no lock is held while
talking to SMTP); if a worker dies after the server accepted the message but before it was
marked sent, the lease runs out and the message is sent again — the one duplicate SMTP's
semantics force. A 5xx answer is permanent: the message fails and is not retried. Other
failures are retried with exponential backoff up to OUTBOX_MAX_ATTEMPTS.
"""

from __future__ import annotations

import json
import logging
import smtplib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from onramp.audit.services import audit_record
from onramp.core.actors import Actor
from onramp.core.crypto import secret_box
from onramp.core.tasks import enqueue_in_transaction
from onramp.notifications.models import OutboxMessage, OutboxStatus
from onramp.notifications.selectors import Delivery, delivery_of

logger = logging.getLogger(__name__)
DELIVER_TASK = "onramp.notifications.tasks.deliver_outbox_message"
LEASE_SECONDS = 120


def outbox_enqueue(
    *, kind: str, to_email: str, subject: str, text: str, html: str, invitation: Any = None
) -> OutboxMessage:
    message = OutboxMessage.objects.create(
        kind=kind,
        invitation=invitation,
        to_email=to_email,
        subject=subject,
        payload_sealed=secret_box().seal(json.dumps({"text": text, "html": html})),
        payload_key_id=secret_box().current_key_id,
        next_attempt_at=timezone.now(),
    )
    enqueue_in_transaction(DELIVER_TASK, str(message.pk))
    return message


def outbox_cancel_for_invitation(invitation: Any) -> int:
    """An invitation's unsent mail dies with its link (resend, revoke)."""
    return OutboxMessage.objects.filter(
        invitation=invitation, status__in=[OutboxStatus.QUEUED, OutboxStatus.SENDING]
    ).update(status=OutboxStatus.CANCELLED, payload_sealed="")


def _claim(message_id: str) -> OutboxMessage | None:
    now = timezone.now()
    claimed = (
        OutboxMessage.objects.filter(
            pk=message_id,
            status__in=[OutboxStatus.QUEUED, OutboxStatus.SENDING],
            next_attempt_at__lte=now,
        )
        .exclude(lease_until__gt=now)
        .update(status=OutboxStatus.SENDING, lease_until=now + timedelta(seconds=LEASE_SECONDS))
    )
    return OutboxMessage.objects.get(pk=message_id) if claimed else None


def outbox_deliver(message_id: str) -> str:
    """Send one message if it is due; returns its status afterwards. Idempotent."""
    message = _claim(message_id)
    if message is None:
        return "skipped"
    payload = json.loads(secret_box().open(message.payload_sealed))
    email = EmailMultiAlternatives(
        message.subject, payload["text"], settings.DEFAULT_FROM_EMAIL, [message.to_email]
    )
    email.attach_alternative(payload["html"], "text/html")
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as exc:
        return _record_failure(message, exc)
    return _record_success(message)


def _record_success(message: OutboxMessage) -> str:
    with transaction.atomic():
        before = delivery_of(message.invitation) if message.invitation_id else None
        now = timezone.now()
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxStatus.SENT,
            sent_at=now,
            payload_sealed="",
            lease_until=None,
            attempts=message.attempts + 1,
            last_error="",
        )
        if before is not None:
            _audit_delivery(message, before, sent=True, error="")
    return OutboxStatus.SENT


def _describe(exc: Exception) -> tuple[str, bool]:
    """A short error text for operators, and whether retrying can help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return f"the mail server refused the recipient ({', '.join(map(str, codes))})", False
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"the mail server answered {exc.smtp_code} {text}", exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPException):
        return f"SMTP error: {exc}", True
    return f"the mail server could not be reached ({type(exc).__name__})", True


def _record_failure(message: OutboxMessage, exc: Exception) -> str:
    error, retryable = _describe(exc)
    attempts = message.attempts + 1
    permanent = not retryable or attempts >= settings.OUTBOX_MAX_ATTEMPTS
    delay = settings.OUTBOX_BACKOFF_SECONDS * 2 ** (attempts - 1)
    logger.warning("outbox message %s attempt %s failed: %s", message.pk, attempts, error)
    with transaction.atomic():
        before = delivery_of(message.invitation) if message.invitation_id else None
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxStatus.FAILED if permanent else OutboxStatus.QUEUED,
            attempts=attempts,
            last_error=error,
            lease_until=None,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            payload_sealed="" if permanent else message.payload_sealed,
        )
        if before is not None and permanent:
            _audit_delivery(message, before, sent=False, error=error)
    return OutboxStatus.FAILED if permanent else OutboxStatus.QUEUED


def _audit_delivery(message: OutboxMessage, before: Delivery, *, sent: bool, error: str) -> None:
    """A sent or finally failed invitation email, with the invitation's delivery before and
    after (read from the outbox, which alone holds it)."""
    invitation = message.invitation
    after = delivery_of(invitation)
    audit_record(
        actor=Actor.system(),
        action="invitation.emailed" if sent else "invitation.email_failed",
        target=invitation,
        provider_id=invitation.provider_id,
        customer_id=invitation.customer_id,
        old={"email_sent": before.sent, "email_send_count": before.send_count},
        new={
            "email_sent": after.sent,
            "email_send_count": after.send_count,
            "to": message.to_email,
            **({"error": error} if error else {}),
        },
    )


def outbox_due_ids(limit: int = 500) -> list[str]:
    """Messages waiting for (another) attempt, including those whose worker lease ran out."""
    now = timezone.now()
    return [
        str(pk)
        for pk in OutboxMessage.objects.filter(
            status__in=[OutboxStatus.QUEUED, OutboxStatus.SENDING],
            next_attempt_at__lte=now,
        )
        .exclude(lease_until__gt=now)
        .values_list("pk", flat=True)[:limit]
    ]
