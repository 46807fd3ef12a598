"""Domain actions and read-outs for the two-worker tests, run as a separate process (``python -m
tests.cli.fleet ACTION``, a JSON argument on stdin) against the database the workers use, so the
test process never shares a connection with them. Prints one JSON document."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from types import SimpleNamespace

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onramp.settings")
import django

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_q.models import Schedule, Task  # noqa: E402

from onramp.audit.models import AuditEvent  # noqa: E402
from onramp.connections.models import TenantConnection, ValidationRun  # noqa: E402
from onramp.core.actors import Actor  # noqa: E402
from onramp.health.models import Alert, ValidationJob  # noqa: E402
from onramp.health.services import validation_job_create, validation_job_enqueue  # noqa: E402
from onramp.notifications.models import OutboxMessage  # noqa: E402
from onramp.notifications.services import outbox_due_ids  # noqa: E402
from onramp.ops.schedules import OUTBOX_SWEEP  # noqa: E402
from onramp.services.models import Service  # noqa: E402
from onramp.services.onboarding import service_create  # noqa: E402
from onramp.services.services import ServiceRequest  # noqa: E402
from onramp.tenancy.models import Customer, Provider  # noqa: E402
from tests.factories import ServiceFactory, TenantConnectionFactory  # noqa: E402

PASSWORD = "correct horse battery staple 42"


def _customer() -> Customer:
    """One provider with one operator (who receives alerts) and one customer."""
    from onramp.accounts.models import Operator

    provider, created = Provider.objects.get_or_create(name="Northwind Voice")
    if created:
        Operator.objects.create_user(
            "ops@northwind.example", PASSWORD, role="operator", scope="provider", provider=provider
        )
    customer, _ = Customer.objects.get_or_create(provider=provider, name="Contoso Ltd")
    return customer


def seed(arg: dict) -> dict:
    """Active services connected to sandbox app registrations: ``count`` services per
    credential set (tenant_id, app_id, secret)."""
    customer = _customer()
    now = timezone.now()
    made = 0
    for credentials in arg["credentials"]:
        tenant = SimpleNamespace(**credentials)
        services = Service.objects.bulk_create(
            ServiceFactory.build(
                customer=customer,
                short_name=f"svc-{made + n:04d}",
                status="active",
                activated_at=now,
            )
            for n in range(credentials["count"])
        )
        TenantConnection.objects.bulk_create(
            TenantConnectionFactory.build(service=service, tenant=tenant) for service in services
        )
        made += len(services)
    return {"services": made}


def job_start(arg: dict) -> dict:
    """A re-validation of every active service, its batches queued for the workers."""
    with transaction.atomic():
        job = validation_job_create(scope="all", created_by="test")
        batches = validation_job_enqueue(job)
    return {"job_id": str(job.pk), "batches": batches}


def job(arg: dict) -> dict:
    row = ValidationJob.objects.get(pk=arg["job_id"])
    runs = ValidationRun.objects.filter(job=row)
    per_service = Counter(runs.values_list("service_id", flat=True))
    return {
        "status": row.status,
        "counts": [row.total, row.done, row.ok, row.failed, row.errors],
        "runs": runs.count(),
        "services_with_runs": len(per_service),
        "most_runs_for_one_service": max(per_service.values(), default=0),
        "reasons": sorted(set(runs.values_list("reason", flat=True))),
        "audit_events": AuditEvent.objects.filter(action="connection.validated").count(),
        "finished_at": row.finished_at.timestamp() if row.finished_at else None,
    }


def services(arg: dict) -> dict:
    return {
        "active": Service.objects.filter(status="active").count(),
        "all": Service.objects.count(),
        "runs": ValidationRun.objects.count(),
    }


def batch_tasks(arg: dict) -> list:
    """django-q2's record of each finished batch task: (success, attempt count)."""
    return sorted(
        [task.success, task.attempt_count]
        for task in Task.objects.filter(func="onramp.health.tasks.run_validation_batch")
    )


def invite_many(arg: dict) -> dict:
    """``count`` invitations made the way the Add Service form makes them; each queues one
    email on commit."""
    from onramp.accounts.models import Operator

    customer = _customer()
    actor = Actor.for_operator(Operator.objects.get(email="ops@northwind.example"))
    for n in range(arg["count"]):
        service_create(
            actor=actor,
            customer=customer,
            request=ServiceRequest(
                short_name=f"inv-{n:03d}",
                full_name="",
                license_type="hosted-pro",
                licensed_users=5,
                method="invitation",
                admin_email=f"admin{n:03d}@contoso.example",
            ),
        )
    return {"queued": OutboxMessage.objects.count()}


def outbox(arg: dict) -> dict:
    rows = OutboxMessage.objects.all()
    return {
        "status": dict(Counter(rows.values_list("status", flat=True))),
        "attempts": dict(Counter(str(n) for n in rows.values_list("attempts", flat=True))),
        "errors": sorted(set(rows.values_list("last_error", flat=True))),
        "sealed": rows.exclude(payload_sealed="").count(),
        "due": len(outbox_due_ids()),
    }


def sweep_due(arg: dict) -> dict:
    """The outbox sweep's next run is now: what the passing of its minute does."""
    Schedule.objects.filter(name=OUTBOX_SWEEP).update(next_run=timezone.now())
    return {}


def alerts(arg: dict) -> list:
    return sorted(
        [alert.service.short_name, alert.kind, alert.threshold_days, alert.recipients]
        for alert in Alert.objects.select_related("service")
    )


def scheduled_jobs(arg: dict) -> list:
    """Jobs the validation schedule created: (minute created, status, counts)."""
    return [
        [f"{row.created_at:%H:%M}", row.status, [row.total, row.done, row.ok]]
        for row in ValidationJob.objects.filter(created_by="schedule").order_by("created_at")
    ]


ACTIONS = {
    "seed": seed,
    "job-start": job_start,
    "job": job,
    "services": services,
    "batch-tasks": batch_tasks,
    "invite-many": invite_many,
    "outbox": outbox,
    "sweep-due": sweep_due,
    "alerts": alerts,
    "scheduled-jobs": scheduled_jobs,
}

if __name__ == "__main__":
    print(json.dumps(ACTIONS[sys.argv[1]](json.loads(sys.stdin.read() or "{}"))))
