"""Domain actions for the command-line tests, run as a separate process (``python -m
tests.cli.scenario ACTION [ARG…]``) against the database the commands under test use, so the
test process never shares a connection with them. Prints one JSON document."""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onramp.settings")
import django

django.setup()

from django.utils import timezone  # noqa: E402

from onramp.accounts.models import ApiToken, Operator  # noqa: E402
from onramp.accounts.services import token_authenticate  # noqa: E402
from onramp.audit.models import AuditEvent  # noqa: E402
from onramp.core.actors import Actor  # noqa: E402
from onramp.core.tokens import token_hash  # noqa: E402
from onramp.invitations.models import Invitation  # noqa: E402
from onramp.notifications.models import OutboxMessage  # noqa: E402
from onramp.notifications.selectors import delivery_of  # noqa: E402
from onramp.notifications.tasks import sweep_outbox  # noqa: E402
from onramp.services.onboarding import service_create  # noqa: E402
from onramp.services.services import ServiceRequest  # noqa: E402
from onramp.tenancy.models import Customer, Provider  # noqa: E402

PASSWORD = "correct horse battery staple 42"


def invite(admin_email: str, customer_name: str = "", operator_email: str = "") -> dict:
    """An invitation made the way the Add Service form makes it; the mail is queued on commit."""
    if customer_name:
        customer = Customer.objects.get(name=customer_name)
        operator = Operator.objects.get(email=operator_email)
    else:
        provider = Provider.objects.create(name="Northwind Voice")
        customer = Customer.objects.create(provider=provider, name="Contoso Ltd")
        operator = Operator.objects.create_user(
            "ops@northwind.example", PASSWORD, role="operator", scope="provider", provider=provider
        )
    created = service_create(
        actor=Actor.for_operator(operator),
        customer=customer,
        request=ServiceRequest(
            short_name="Contoso-01",
            full_name="",
            license_type="hosted-pro",
            licensed_users=25,
            method="invitation",
            admin_email=admin_email,
        ),
    )
    invitation = created.issued.invitation
    return {
        "invitation_id": str(invitation.pk),
        "link": created.issued.link,
        "message_id": str(invitation.emails.get().pk),
    }


def invitation(invitation_id: str) -> dict:
    delivery = delivery_of(Invitation.objects.get(pk=invitation_id))
    return {
        "email_sent": delivery.sent,
        "email_send_count": delivery.send_count,
        "email_last_error": delivery.last_error,
    }


def outbox(message_id: str) -> dict:
    row = OutboxMessage.objects.get(pk=message_id)
    return {
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "next_attempt_at": row.next_attempt_at.timestamp(),
        "sealed": bool(row.payload_sealed),
    }


def backoff_elapsed(message_id: str) -> dict:
    """Moves the message's next attempt to now: the backoff has passed."""
    OutboxMessage.objects.filter(pk=message_id).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    return {}


def sweep() -> dict:
    return {"swept": sweep_outbox()}


def counts() -> dict:
    return {
        "providers": Provider.objects.count(),
        "operators": Operator.objects.count(),
        "tokens": ApiToken.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def provider(provider_id: str) -> dict:
    row = Provider.objects.get(pk=provider_id)
    event = AuditEvent.objects.get(target_id=provider_id)
    return {
        "name": row.name,
        "sbc_domain": row.sbc_domain,
        "audit": [event.action, event.actor_type],
    }


def operator(operator_id: str, password: str) -> dict:
    row = Operator.objects.get(pk=operator_id)
    event = AuditEvent.objects.get(target_id=operator_id)
    return {
        "email": row.email,
        "role": row.role,
        "scope": row.scope,
        "provider_id": str(row.provider_id) if row.provider_id else None,
        "customer_id": str(row.customer_id) if row.customer_id else None,
        "password_ok": row.check_password(password),
        "second_factor_exempt": row.second_factor_exempt,
        "audit": [event.action, event.actor_type, json.dumps(event.changes)],
    }


def token(value: str) -> dict:
    authenticated = token_authenticate(value)
    row = ApiToken.objects.get(token_hash=token_hash(value))
    event = AuditEvent.objects.get(target_id=str(row.pk))
    days = round((row.expires_at - row.created_at) / timedelta(days=1)) if row.expires_at else None
    return {
        "operator": authenticated.email if authenticated else None,
        "name": row.name,
        "expires_in_days": days,
        "audit": [event.action, event.actor_type, json.dumps(event.changes)],
    }


def schedules() -> list:
    from django_q.models import Schedule

    return [
        [row.name, row.func, row.schedule_type, row.minutes, row.repeats]
        for row in Schedule.objects.order_by("pk")
    ]


ACTIONS = {
    "schedules": schedules,
    "invite": invite,
    "invitation": invitation,
    "outbox": outbox,
    "backoff-elapsed": backoff_elapsed,
    "sweep": sweep,
    "counts": counts,
    "provider": provider,
    "operator": operator,
    "token": token,
}

if __name__ == "__main__":
    print(json.dumps(ACTIONS[sys.argv[1]](*sys.argv[2:])))
