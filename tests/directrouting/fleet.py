"""Direct Routing actions and read-outs for the fleet test, run as a separate process (``python -m
tests.directrouting.fleet ACTION``, a JSON argument on stdin) against the database the workers
use, as ``tests.cli.fleet`` does for validation. Prints one JSON document."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from types import SimpleNamespace

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onramp.settings")
import django

django.setup()

from onramp.audit.models import AuditEvent  # noqa: E402
from onramp.core.actors import Actor  # noqa: E402
from onramp.directrouting.models import Provisioning, ProvisioningStep, StepStatus  # noqa: E402
from onramp.directrouting.services import (  # noqa: E402
    provisioning_start,
    provisioning_teams_script_confirm,
)
from onramp.services.models import Service  # noqa: E402
from tests.directrouting.conftest import ZONE, use_knot  # noqa: E402
from tests.factories import (  # noqa: E402
    CustomerFactory,
    OperatorFactory,
    ProviderFactory,
    ServiceFactory,
)

OPERATOR = "ops@northwind.example"


def _ops() -> Actor:
    from onramp.accounts.models import Operator

    return Actor.for_operator(Operator.objects.get(email=OPERATOR))


def seed(arg: dict) -> dict:
    """A provider whose SBC zone is in Knot (``knot``: host, port), its operator, and one active
    service per sandbox tenant (``tenants``: tenant_id, app_id, secret), short names
    ``svc-000`` …, each of its own customer in Great Britain."""
    provider = ProviderFactory(name="Northwind Voice", sbc_domain=ZONE, sbc_domains=[ZONE])
    use_knot(provider, SimpleNamespace(**arg["knot"]))
    OperatorFactory(email=OPERATOR, provider=provider)
    for n, tenant in enumerate(arg["tenants"]):
        ServiceFactory(
            connected=True,
            tenant=SimpleNamespace(**tenant),
            short_name=f"svc-{n:03d}",
            licensed_users=3,
            customer=CustomerFactory(provider=provider, name=f"Customer {n:03d}", country="GB"),
        )
    return {"services": Service.objects.filter(status="active").count()}


def start(arg: dict) -> dict:
    """Provisioning started for every service as the API starts it (the proposed license
    confirmed); each run's first step is enqueued for the workers."""
    ops = _ops()
    for service in Service.objects.order_by("short_name"):
        provisioning_start(actor=ops, service=service, confirm_sku=True)
    return {"started": Provisioning.objects.count()}


def progress(arg: dict) -> dict:
    return {
        "runs": dict(Counter(Provisioning.objects.values_list("status", flat=True))),
        "steps_done": AuditEvent.objects.filter(action="direct_routing.step_done").count(),
    }


def running(arg: dict) -> list:
    """The steps marked running: (short name, step, attempts)."""
    return sorted(
        [step.provisioning.service.short_name, step.name, step.attempts]
        for step in ProvisioningStep.objects.filter(status=StepStatus.RUNNING).select_related(
            "provisioning__service"
        )
    )


def confirm_scripts(arg: dict) -> dict:
    """The operator's word that the Teams voice script ran, for every run waiting for it."""
    ops = _ops()
    waiting = Provisioning.objects.filter(
        steps__name="teams_voice", steps__status=StepStatus.WAITING
    ).select_related("service")
    confirmed = 0
    for run in waiting:
        provisioning_teams_script_confirm(actor=ops, service=run.service)
        confirmed += 1
    return {"confirmed": confirmed}


def runs(arg: dict) -> dict:
    """Per service: its label, its run's status and its steps' final statuses in order."""
    return {
        run.service.short_name: [
            run.label,
            run.status,
            [[step.name, step.status] for step in run.steps.all()],
        ]
        for run in Provisioning.objects.select_related("service").prefetch_related("steps")
    }


def audit(arg: dict) -> dict:
    """The step endings audited: per action, (short name, step, attempts) in the order made."""
    events = AuditEvent.objects.filter(action__startswith="direct_routing.step_").order_by("pk")
    names = {str(pk): name for pk, name in Service.objects.values_list("pk", "short_name")}
    by_action: dict[str, list] = {}
    for event in events:
        new = event.changes["new"]
        row = [names[event.target_id], new["step"], new["attempts"]]
        by_action.setdefault(event.action, []).append(row)
    return by_action


ACTIONS = {
    "seed": seed,
    "start": start,
    "progress": progress,
    "running": running,
    "confirm-scripts": confirm_scripts,
    "runs": runs,
    "audit": audit,
}

if __name__ == "__main__":
    print(json.dumps(ACTIONS[sys.argv[1]](json.loads(sys.stdin.read() or "{}"))))
