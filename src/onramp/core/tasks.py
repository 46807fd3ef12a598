"""The one place that enqueues background work, so the engine (django-q2) can change.

Tasks take ids only (never secrets) and are enqueued after the surrounding transaction commits.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction


def enqueue_on_commit(task_path: str, *args: Any) -> None:
    def send() -> None:
        from django_q.tasks import async_task

        async_task(task_path, *args)

    transaction.on_commit(send)
