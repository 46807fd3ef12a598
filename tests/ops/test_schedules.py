"""The periodic jobs are Schedule rows that every worker start writes, idempotently."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django_q.models import Schedule

from onramp.ops.schedules import ensure_schedules

pytestmark = pytest.mark.django_db

PURGE = (
    "onramp: purge rate-limit windows",
    "onramp.core.ratelimit.purge_expired",
    "I",
    60,
    None,
    -1,
)
SWEEP = ("onramp: outbox sweep", "onramp.notifications.tasks.sweep_outbox", "I", 1, None, -1)
DIRECT_ROUTING = (
    "onramp: direct routing sweep",
    "onramp.directrouting.tasks.sweep",
    "I",
    1,
    None,
    -1,
)
CREATED_APP = ("onramp: created app sweep", "onramp.createdapp.tasks.sweep", "I", 1, None, -1)
VALIDATION = (
    "onramp: re-validate connections",
    "onramp.health.tasks.scheduled_validation",
    "C",
    None,
    "0 2 * * *",
    -1,
)


def rows():
    return sorted(
        Schedule.objects.values_list("name", "func", "schedule_type", "minutes", "cron", "repeats"),
        key=str,
    )


def test_ensure_schedules_creates_each_job_once_and_keeps_its_rhythm():
    sweep, _, _, validation, purge = ensure_schedules()
    assert rows() == sorted([SWEEP, DIRECT_ROUTING, CREATED_APP, VALIDATION, PURGE], key=str)
    tomorrow_two = (timezone.now() + timedelta(days=1)).replace(
        hour=2, minute=0, second=0, microsecond=0
    )
    assert validation.next_run in (tomorrow_two, tomorrow_two - timedelta(days=1))
    assert validation.next_run > timezone.now()  # not at once on a fresh install
    ensure_schedules()
    assert rows() == sorted([SWEEP, DIRECT_ROUTING, CREATED_APP, VALIDATION, PURGE], key=str)
    assert Schedule.objects.get(pk=validation.pk).next_run == validation.next_run
    assert Schedule.objects.get(pk=sweep.pk).next_run == sweep.next_run
    assert Schedule.objects.get(pk=purge.pk).next_run == purge.next_run


def test_a_new_validation_schedule_moves_the_next_run(settings):
    [_, _, _, validation, _] = ensure_schedules()
    settings.VALIDATION_SCHEDULE = "30 4 * * 1"
    ensure_schedules()
    moved = Schedule.objects.get(pk=validation.pk)
    assert (moved.cron, moved.next_run.astimezone(UTC).strftime("%a %H:%M")) == (
        "30 4 * * 1",
        "Mon 04:30",
    )


def test_a_bad_validation_schedule_is_refused(settings):
    settings.VALIDATION_SCHEDULE = "at two"
    with pytest.raises(ImproperlyConfigured) as refused:
        ensure_schedules()
    assert str(refused.value) == (
        "ONRAMP_VALIDATION_SCHEDULE must be a cron expression such as '0 2 * * *', got 'at two'"
    )
    assert Schedule.objects.count() == 0


def test_ensure_schedules_repairs_changed_rows_and_drops_duplicates_and_old_jobs():
    for _ in range(2):
        Schedule.objects.create(
            name="onramp: outbox sweep", func="onramp.old.task", schedule_type=Schedule.DAILY
        )
    Schedule.objects.create(name="onramp: retired job", func="x.y", schedule_type=Schedule.DAILY)
    Schedule.objects.create(name="someone else's", func="x.y", schedule_type=Schedule.HOURLY)
    before = timezone.now()
    ensure_schedules()
    assert rows() == sorted(
        [
            SWEEP,
            DIRECT_ROUTING,
            CREATED_APP,
            VALIDATION,
            PURGE,
            ("someone else's", "x.y", "H", None, None, -1),
        ],
        key=str,
    )
    sweep = Schedule.objects.get(name="onramp: outbox sweep")
    assert before + timedelta(seconds=59) < sweep.next_run <= timezone.now() + timedelta(minutes=1)
