"""The one place that enqueues background work, so the engine (django-q2) can change.

Tasks take ids only (never secrets) and are enqueued after the surrounding transaction commits,
or, for the outbox, inside it (the ORM broker stores tasks in the same database).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

# django-q2 stops a task at its timeout and kills its process 3 s later at most; the rest is for
# the clocks of different hosts.
STEP_LEASE_MARGIN = timedelta(seconds=10)


def enqueue_in_transaction(task_path: str, *args: Any) -> None:
    """Enqueue as part of the current transaction: with the ORM broker the task row commits or
    rolls back with the rows it refers to, so a write costs one commit instead of two and no
    crash between commit and enqueue can lose the task."""
    from django_q.tasks import async_task

    async_task(task_path, *args)


def enqueue_on_commit(task_path: str, *args: Any) -> None:
    def send() -> None:
        from django_q.tasks import async_task

        async_task(task_path, *args)

    transaction.on_commit(send)


def step_lease() -> timedelta:
    """How long a step a task took stays that task's (a step machine's ``running`` lease): the
    task timeout and a margin, since a task cannot run past its timeout. A worker that died
    mid-step leaves it due again after this, before its task is handed out again (the task lease
    is more than twice the timeout), so the redelivered task takes it up; the sweep otherwise."""
    return timedelta(seconds=settings.TASK_TIMEOUT_SECONDS) + STEP_LEASE_MARGIN
