"""Sign-in bookkeeping: every outcome is audited, and failed sign-ins are throttled so a
password cannot be guessed, without letting a stranger lock an operator out.

Failures count per (email, address) and per address, each a lock-out: a stranger posting wrong
passwords for someone's email locks out only its own address. Failures also count per email
from anywhere; past ``FAILURES_PER_EMAIL`` the email is slowed down rather than locked: one
failure a minute, from whichever address, so guessing from many addresses stays slow while the
owner, from its own address, waits at most a minute.

Only failures count. While a lock-out or the slowdown holds, the password is not even checked,
so a right guess then learns nothing and signs nobody in.
"""

from __future__ import annotations

import math
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from onramp.accounts.models import Operator
from onramp.audit.services import AuditTarget, audit_record
from onramp.core.actors import Actor
from onramp.core.ratelimit import hit, peek

WINDOW = 15 * 60
FAILURES_PER_PAIR = 5
FAILURES_PER_CLIENT = 20
FAILURES_PER_EMAIL = 5  # from anywhere in the window: then the slowdown starts
SLOWDOWN = 60  # seconds: one failure per email in each


def _locks(email: str, client_ip: str | None) -> list[tuple[str, int]]:
    """The lock-out counters (key, failures allowed in WINDOW) of one attempt."""
    keys = [(f"login:pair:{email}|{client_ip or ''}", FAILURES_PER_PAIR)]
    if client_ip:
        keys.append((f"login:client:{client_ip}", FAILURES_PER_CLIENT))
    return keys


def locked_for(email: str, client_ip: str | None, *, now: datetime | None = None) -> int | None:
    """Seconds until sign-in may be tried again from this address, or None."""
    now = now or timezone.now()
    waits = [peek(key, limit, WINDOW, now=now) for key, limit in _locks(email, client_ip)]
    if peek(f"login:email:{email}", FAILURES_PER_EMAIL, WINDOW, now=now):
        waits.append(peek(f"login:email-slow:{email}", 1, SLOWDOWN, now=now))
    seconds = [wait.seconds for wait in waits if wait is not None]
    return max(seconds) if seconds else None


def throttled_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed sign-ins. Try again in {minutes} {unit}."


def login_succeeded(operator: Operator, second_factor: str) -> None:
    """One event per sign-in, once it is complete: after the second factor (``app``,
    ``recovery code``, ``enrolled``), or after the password for the exempt demo operator."""
    audit_record(
        actor=Actor.for_operator(operator),
        action="login.succeeded",
        target=operator,
        provider_id=operator.provider_id,
        customer_id=operator.customer_id,
        new={"second_factor": second_factor},
    )


def login_failed(email: str, client_ip: str | None, *, wrong_code: bool = False) -> None:
    """Count the failure against the (email, address) pair, the address and the email, and
    audit it (never the password nor the code). A wrong second-factor code, or a wrong current
    password on the Account page, counts exactly like a wrong password."""
    email = email[:254]
    operator = Operator.objects.filter(email=email).first() if email else None
    with transaction.atomic():
        for key, limit in _locks(email, client_ip):
            hit(key, limit, WINDOW)
        hit(f"login:email:{email}", FAILURES_PER_EMAIL, WINDOW)
        hit(f"login:email-slow:{email}", 1, SLOWDOWN)
        audit_record(
            actor=Actor("anonymous", "", email),
            action="login.failed",
            target=AuditTarget("operator", str(operator.pk) if operator else "", email),
            provider_id=operator.provider_id if operator else None,
            customer_id=operator.customer_id if operator else None,
            new={"step": "second factor"} if wrong_code else None,
        )
