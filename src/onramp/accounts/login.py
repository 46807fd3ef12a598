"""Sign-in bookkeeping: every outcome is audited, and failed sign-ins are throttled per email
and per client address so a password cannot be guessed from one place or against one account.

Only failures count. While an email or an address is over its limit the password is not even
checked, so a right guess during the lock-out learns nothing and signs nobody in.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from onramp.accounts.models import Operator
from onramp.audit.services import Actor, AuditTarget, audit_record
from onramp.core.models import RateLimitBucket
from onramp.core.ratelimit import hit

WINDOW = 15 * 60
FAILURES_PER_EMAIL = 5
FAILURES_PER_CLIENT = 20


def _keys(email: str, client_ip: str | None) -> list[tuple[str, int]]:
    keys = [(f"login:email:{email}", FAILURES_PER_EMAIL)]
    if client_ip:
        keys.append((f"login:client:{client_ip}", FAILURES_PER_CLIENT))
    return keys


def _window_start(now: datetime) -> datetime:
    """The same epoch-aligned window as core.ratelimit.hit counts in."""
    stamp = int(now.timestamp())
    return datetime.fromtimestamp(stamp - stamp % WINDOW, tz=UTC)


def locked_for(email: str, client_ip: str | None, *, now: datetime | None = None) -> int | None:
    """Seconds until sign-in may be tried again, or None while both counts are under limit.

    Reads the counters without counting: core.ratelimit.hit has no read-only form."""
    now = now or timezone.now()
    start = _window_start(now)
    for key, limit in _keys(email, client_ip):
        count = (
            RateLimitBucket.objects.filter(key=key, window_start=start)
            .values_list("count", flat=True)
            .first()
        )
        if count is not None and count >= limit:
            return max(1, math.ceil((start + timedelta(seconds=WINDOW) - now).total_seconds()))
    return None


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
    """Count the failure against the email and the address, and audit it (never the password
    nor the code). A wrong second-factor code counts exactly like a wrong password."""
    email = email[:254]
    operator = Operator.objects.filter(email=email).first() if email else None
    with transaction.atomic():
        for key, limit in _keys(email, client_ip):
            hit(key, limit, WINDOW)
        audit_record(
            actor=Actor("anonymous", "", email),
            action="login.failed",
            target=AuditTarget("operator", str(operator.pk) if operator else "", email),
            provider_id=operator.provider_id if operator else None,
            customer_id=operator.customer_id if operator else None,
            new={"step": "second factor"} if wrong_code else None,
        )
