"""The one place that enqueues background work, so the engine (django-q2) can change.

Tasks take ids only (never secrets) and are enqueued after the surrounding transaction commits,
or, for the outbox, inside it (the ORM broker stores tasks in the same database).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction


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
