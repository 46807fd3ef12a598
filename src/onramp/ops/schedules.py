"""The periodic jobs, kept as django-q2 Schedule rows and (re)written at every worker start.

Idempotent and safe when several workers start at once: the rows are written under a lock
(PostgreSQL advisory lock; SQLite's IMMEDIATE transactions already serialise writers), keyed by
name; stray duplicates of a name and jobs no longer in the code are removed. A restart keeps
each job's next run unless its timing changed (e.g. a new ONRAMP_VALIDATION_SCHEDULE).
"""

from __future__ import annotations

from typing import Any

from croniter import croniter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone
from django_q.models import Schedule

PREFIX = "onramp: "
OUTBOX_SWEEP = PREFIX + "outbox sweep"
VALIDATION = PREFIX + "re-validate connections"
DIRECT_ROUTING_SWEEP = PREFIX + "direct routing sweep"
CREATED_APP_SWEEP = PREFIX + "created app sweep"
RATE_LIMIT_PURGE = PREFIX + "purge rate-limit windows"
_TIMING = ("schedule_type", "minutes", "cron")
_ADVISORY_LOCK_KEY = 0x6F6E72616D70  # "onramp"


def wanted_schedules() -> dict[str, dict[str, Any]]:
    """name -> the Schedule fields it must have."""
    cron = settings.VALIDATION_SCHEDULE
    if not croniter.is_valid(cron):
        raise ImproperlyConfigured(
            f"ONRAMP_VALIDATION_SCHEDULE must be a cron expression such as '0 2 * * *', "
            f"got {cron!r}"
        )
    common = {"repeats": -1, "args": None, "kwargs": None, "cluster": None, "hook": None}
    return {
        OUTBOX_SWEEP: {
            **common,
            "func": "onramp.notifications.tasks.sweep_outbox",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "cron": None,
        },
        DIRECT_ROUTING_SWEEP: {
            **common,
            "func": "onramp.directrouting.tasks.sweep",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "cron": None,
        },
        CREATED_APP_SWEEP: {
            **common,
            "func": "onramp.createdapp.tasks.sweep",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "cron": None,
        },
        VALIDATION: {
            **common,
            "func": "onramp.health.tasks.scheduled_validation",
            "schedule_type": Schedule.CRON,
            "minutes": None,
            "cron": cron,
        },
        RATE_LIMIT_PURGE: {
            **common,
            "func": "onramp.core.ratelimit.purge_expired",
            "schedule_type": Schedule.MINUTES,
            "minutes": 60,
            "cron": None,
        },
    }


def ensure_schedules() -> list[Schedule]:
    """Create or update every periodic job; returns the rows in ``wanted_schedules()`` order."""
    wanted = wanted_schedules()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
        Schedule.objects.filter(name__startswith=PREFIX).exclude(name__in=wanted).delete()
        return [_ensure(name, fields) for name, fields in wanted.items()]


def _ensure(name: str, fields: dict[str, Any]) -> Schedule:
    rows = list(Schedule.objects.filter(name=name).order_by("pk"))
    if len(rows) > 1:
        Schedule.objects.filter(pk__in=[row.pk for row in rows[1:]]).delete()
    defaults = dict(fields)
    if rows and any(getattr(rows[0], key) != fields[key] for key in _TIMING):
        defaults["next_run"] = Schedule(**fields).calculate_next_run(timezone.now())
    schedule, _ = Schedule.objects.update_or_create(name=name, defaults=defaults)
    return schedule
