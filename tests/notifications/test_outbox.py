"""The email outbox against real SMTP servers: delivered once, retried, or failed for good."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from onramp.audit.models import AuditEvent
from onramp.invitations.models import Invitation
from onramp.notifications.models import OutboxMessage
from onramp.notifications.selectors import Delivery, delivery_of
from onramp.notifications.services import outbox_deliver, outbox_due_ids
from onramp.notifications.tasks import sweep_outbox
from tests.conftest import free_port

pytestmark = pytest.mark.django_db(transaction=True)


class Rejecting:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 mailbox unavailable"


@pytest.fixture
def rejecting_smtp(settings):
    port = free_port()
    controller = Controller(Rejecting(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    yield
    controller.stop()


@pytest.fixture
def smtp_down(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_TIMEOUT = 2


def test_invitation_email_is_delivered_once_and_wiped(invite, smtp_settings, smtp_server):
    _, invitation, token = invite()
    message = OutboxMessage.objects.get(invitation=invitation)
    assert token not in message.payload_sealed
    assert outbox_deliver(str(message.pk)) == "sent"
    assert outbox_deliver(str(message.pk)) == "skipped"
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["Subject"] == (
        "Northwind Voice: activate Microsoft Teams calling for Contoso-01"
    )
    assert received["To"] == "admin@contoso.example"
    text, html = (
        part.get_payload(decode=True).decode().replace("\r\n", "\n")
        for part in received.get_payload()
    )
    link = f"http://127.0.0.1:8000/invite/{token}"
    assert f"Click here to activate your tenant:\n{link}" in text
    assert f'href="{link}"' in html and "Click here to activate your tenant</a>" in html
    for needed in (
        "Organization.Read.All",
        "Application.Read.All",
        "User.ReadWrite.All",
        "Domain.ReadWrite.All",
        "Teams Administrator",
        "Northwind Voice",
        "Contoso Ltd",
    ):
        assert needed in text and needed in html
    message.refresh_from_db()
    assert (message.status, message.payload_sealed, message.attempts) == ("sent", "", 1)
    assert delivery_of(Invitation.objects.get(pk=invitation.pk)) == Delivery(
        sent=True, send_count=1, last_error=""
    )
    assert AuditEvent.objects.filter(action="invitation.emailed").count() == 1


def test_smtp_down_keeps_the_message_and_retries_with_backoff(
    invite, smtp_down, settings, smtp_server
):
    _, invitation, _ = invite()
    message = OutboxMessage.objects.get(invitation=invitation)
    assert outbox_deliver(str(message.pk)) == "queued"
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.payload_sealed != ""
    assert message.next_attempt_at > timezone.now() + timedelta(seconds=25)
    assert delivery_of(Invitation.objects.get(pk=invitation.pk)) == Delivery(
        sent=False,
        send_count=1,
        last_error="the mail server could not be reached (ConnectionRefusedError)",
    )
    assert outbox_due_ids() == []  # not before the backoff
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    settings.EMAIL_PORT = smtp_server.port  # the server is back
    assert sweep_outbox() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert delivery_of(Invitation.objects.get(pk=invitation.pk)) == Delivery(
        sent=True, send_count=2, last_error=""
    )
    assert len(smtp_server.messages) == 1


def test_permanent_rejection_stops_and_shows(invite, rejecting_smtp):
    _, invitation, _ = invite()
    message = OutboxMessage.objects.get(invitation=invitation)
    assert outbox_deliver(str(message.pk)) == "failed"
    message.refresh_from_db()
    assert (message.status, message.payload_sealed) == ("failed", "")
    assert (
        delivery_of(Invitation.objects.get(pk=invitation.pk)).last_error
        == "the mail server refused the recipient (550)"
    )
    assert AuditEvent.objects.filter(action="invitation.email_failed").count() == 1
    assert sweep_outbox() == 0


def test_attempts_are_capped(invite, smtp_down, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    _, invitation, _ = invite()
    message = OutboxMessage.objects.get(invitation=invitation)
    assert outbox_deliver(str(message.pk)) == "queued"
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbox_deliver(str(message.pk)) == "failed"
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 2)


def test_a_worker_that_died_mid_send_is_retried_after_its_lease(invite, smtp_settings, smtp_server):
    _, invitation, _ = invite()
    message = OutboxMessage.objects.get(invitation=invitation)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="sending", lease_until=timezone.now() + timedelta(seconds=60)
    )
    assert outbox_deliver(str(message.pk)) == "skipped"  # another worker holds the lease
    OutboxMessage.objects.filter(pk=message.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert outbox_due_ids() == [str(message.pk)]
    assert sweep_outbox() == 1
    assert len(smtp_server.messages) == 1


def test_the_delivery_task_commits_with_its_message(invite, actor, customer):
    """One commit holds the outbox row and its task; a rolled-back write leaves neither."""
    from django.db import transaction
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    from onramp.services.onboarding import service_create
    from onramp.services.services import ServiceRequest

    invite()
    message = OutboxMessage.objects.get()
    tasks = [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]
    assert [(t["func"], t["args"]) for t in tasks] == [
        ("onramp.notifications.tasks.deliver_outbox_message", (str(message.pk),))
    ]

    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        service_create(
            actor=actor,
            customer=customer,
            request=ServiceRequest(
                short_name="Gone-01",
                full_name="",
                license_type="hosted-pro",
                licensed_users=5,
                method="invitation",
                admin_email="admin@contoso.example",
            ),
        )
        assert OrmQ.objects.count() == 2  # queued inside the transaction, not after it
        raise Abandon
    assert OutboxMessage.objects.count() == 1
    assert OrmQ.objects.count() == 1
