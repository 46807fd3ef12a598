"""The step machine: the run proposed for an active service, the label editable until the domain
step, the driver (due steps only, at-least-once safe, backoff on transient, stop on permanent,
audited) and the ``plan`` step."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest

from onramp.audit.models import AuditEvent
from onramp.core.actors import Actor
from onramp.core.errors import Forbidden, InvalidInput, InvalidState
from onramp.directrouting import machine
from onramp.directrouting.dns import DnsError
from onramp.directrouting.machine import provisioning_step_run
from onramp.directrouting.models import Provisioning, ProvisioningStep, StepStatus
from onramp.directrouting.services import (
    provisioning_label_set,
    provisioning_propose,
    provisioning_start,
)
from onramp.directrouting.steps import STEPS, Outcome
from onramp.directrouting.sweep import SWEEP_GRACE, provisioning_sweep
from tests.api.helpers import db_state
from tests.clock import PINNED
from tests.factories import OperatorFactory, ProviderFactory, ServiceFactory

pytestmark = pytest.mark.django_db

STEP_NAMES = [
    "plan",
    "preflight",
    "domain",
    "dns_record",
    "domain_verified",
    "activation_user",
    "teams_activation",
    "teams_voice",
    "numbers",
]


@pytest.fixture
def service(db):
    provider = ProviderFactory(sbc_domains=["sbc.northwind.example", "sbc2.northwind.example"])
    return ServiceFactory(connected=True, short_name="Contoso-01", customer__provider=provider)


@pytest.fixture
def ops(service):
    return Actor.for_operator(
        OperatorFactory(role="operator", scope="provider", provider=service.provider)
    )


def test_an_active_service_gets_a_run_with_every_step_pending(service):
    run = provisioning_propose(service=service)
    assert (run.label, run.status) == ("contoso-01", "not-started")
    assert list(run.steps.values_list("name", "status", "attempts")) == [
        (name, "pending", 0) for name in STEP_NAMES
    ]
    assert provisioning_propose(service=service) == run  # once
    assert AuditEvent.objects.get(action="direct_routing.proposed").changes == {
        "new": {"label": "contoso-01"}
    }


def test_a_service_that_is_not_active_gets_none(db):
    assert provisioning_propose(service=ServiceFactory()) is None
    assert Provisioning.objects.count() == 0


def test_labels_are_unique_per_provider(service):
    twin = ServiceFactory(connected=True, short_name="Contoso 01", customer=service.customer)
    elsewhere = ServiceFactory(connected=True, short_name="Contoso-01")
    labels = [provisioning_propose(service=s).label for s in (service, twin, elsewhere)]
    assert labels == ["contoso-01", "contoso-01-2", "contoso-01"]


def test_the_sweep_proposes_and_enqueues_due_steps(service, enqueued):
    assert provisioning_sweep() == 0
    run = Provisioning.objects.get(service=service)
    minutes = [PINNED - timedelta(minutes=n) for n in range(7)]
    # plan's backoff has elapsed; domain is due in an hour
    run.steps.filter(name="plan").update(updated_at=minutes[2], next_attempt_at=minutes[1])
    run.steps.filter(name="domain").update(next_attempt_at=PINNED + timedelta(hours=1))
    # dns_record was enqueued as it became due a minute ago: its task is in the queue
    run.steps.filter(name="dns_record").update(updated_at=minutes[1], next_attempt_at=minutes[1])
    # preflight was enqueued six minutes ago and never taken: its task was lost
    run.steps.filter(name="preflight").update(updated_at=minutes[6], next_attempt_at=minutes[6])
    assert provisioning_sweep() == 2
    assert enqueued == [
        (machine.STEP_TASK, str(run.pk), "plan"),
        (machine.STEP_TASK, str(run.pk), "preflight"),
    ]
    assert provisioning_sweep() == 0  # again, both tasks still queued: neither enqueued twice
    swept = run.steps.filter(name__in=["plan", "preflight"]).values_list("updated_at", flat=True)
    assert all(moment >= PINNED for moment in swept)  # marked as enqueued by the sweep


def test_the_sweep_sends_a_queued_step_again_only_once_its_task_is_presumed_lost(
    service, ops, enqueued, clock
):
    """A thousand runs started together leave steps due for minutes behind one another in the
    queue: a sweep each minute sending them all again would grow the queue it waits on."""
    run = provisioning_start(actor=ops, service=service)
    sent = (machine.STEP_TASK, str(run.pk), "plan")
    clock.advance(SWEEP_GRACE - timedelta(seconds=1))
    assert (provisioning_sweep(), enqueued) == (0, [sent])
    clock.advance(timedelta(seconds=2))
    assert (provisioning_sweep(), enqueued) == (1, [sent, sent])
    assert (provisioning_sweep(), enqueued) == (0, [sent, sent])

    clock.advance(timedelta(seconds=30))
    run.steps.filter(name="plan").update(next_attempt_at=clock.now())  # a backoff ran out
    assert (provisioning_sweep(), provisioning_sweep(), enqueued) == (1, 0, [sent] * 3)
    assert provisioning_step_run(provisioning_id=str(run.pk), name="plan").status == "done"


def test_start_runs_plan_then_hands_over_to_the_next_step(service, ops, enqueued):
    run = provisioning_start(actor=ops, service=service)
    assert enqueued == [(machine.STEP_TASK, str(run.pk), "plan")]

    step = provisioning_step_run(provisioning_id=str(run.pk), name="plan")

    assert (step.status, step.attempts, step.message) == (
        "done",
        1,
        "Sub-domains: contoso-01.sbc.northwind.example, contoso-01.sbc2.northwind.example.",
    )
    assert step.detail == {
        "subdomains": ["contoso-01.sbc.northwind.example", "contoso-01.sbc2.northwind.example"]
    }
    assert enqueued[1] == (machine.STEP_TASK, str(run.pk), "preflight")
    assert [e.action for e in AuditEvent.objects.order_by("created_at", "id")][-2:] == [
        "direct_routing.started",
        "direct_routing.step_done",
    ]
    run.refresh_from_db()
    assert run.status == "running"  # preflight is due


def test_a_second_delivery_does_nothing(service, ops, enqueued):
    run = provisioning_start(actor=ops, service=service)
    provisioning_step_run(provisioning_id=str(run.pk), name="plan")
    before = db_state()
    assert provisioning_step_run(provisioning_id=str(run.pk), name="plan") is None
    assert db_state() == before


def test_a_step_not_due_yet_is_left_alone(service, enqueued):
    run = provisioning_propose(service=service)  # proposed, not started: nothing due
    before = db_state()
    assert provisioning_step_run(provisioning_id=str(run.pk), name="plan") is None
    assert db_state() == before


def test_a_dead_workers_step_is_taken_again_once_the_task_timeout_has_passed(
    service, ops, enqueued, clock, monkeypatch, settings
):
    """No task outlives its timeout, so the lease ends 10 s after it: before the task lease
    (more than twice the timeout) hands the dead worker's task out again, which then finds the
    step due; not a fixed 10 minutes whatever the timeout."""
    settings.TASK_TIMEOUT_SECONDS = 15
    run = provisioning_start(actor=ops, service=service)
    with monkeypatch.context() as patched, pytest.raises(SystemExit):
        patched.setitem(STEPS, "plan", lambda ctx: sys.exit(1))  # the worker dies mid-step
        provisioning_step_run(provisioning_id=str(run.pk), name="plan")
    plan = run.steps.get(name="plan")
    lease_end = plan.started_at + timedelta(seconds=25)
    assert (plan.status, plan.attempts, plan.next_attempt_at) == ("running", 1, lease_end)
    clock.set(lease_end - timedelta(seconds=1))
    assert provisioning_step_run(provisioning_id=str(run.pk), name="plan") is None
    clock.set(lease_end)
    step = provisioning_step_run(provisioning_id=str(run.pk), name="plan")
    assert (step.status, step.attempts) == ("done", 2)


def test_transient_errors_back_off_then_give_up(service, ops, enqueued, clock, monkeypatch):
    monkeypatch.setitem(
        STEPS, "plan", lambda ctx: (_ for _ in ()).throw(DnsError("DNS timed out.", transient=True))
    )
    run = provisioning_start(actor=ops, service=service)
    step = provisioning_step_run(provisioning_id=str(run.pk), name="plan")
    assert (step.status, step.attempts, step.next_attempt_at) == (
        "pending",
        1,
        step.updated_at + timedelta(seconds=30),
    )
    assert step.message.startswith("DNS timed out. Trying again at 2026-06-15 10:00:")
    assert provisioning_step_run(provisioning_id=str(run.pk), name="plan") is None  # not yet
    for attempt in range(2, machine.MAX_ATTEMPTS + 1):
        clock.advance(machine.BACKOFF_MAX)
        step = provisioning_step_run(provisioning_id=str(run.pk), name="plan")
        assert step.attempts == attempt
    assert (step.status, step.message) == ("failed", "DNS timed out. Gave up after 12 attempts.")
    assert AuditEvent.objects.filter(action="direct_routing.step_failed").count() == 1
    assert machine.backoff(1) == timedelta(seconds=30) and machine.backoff(3) == timedelta(
        minutes=2
    )


def test_retry_after_is_honoured(service, ops, enqueued, monkeypatch):
    monkeypatch.setitem(
        STEPS, "plan", lambda ctx: Outcome.retry("Throttled.", retry_in=timedelta(minutes=5))
    )
    run = provisioning_start(actor=ops, service=service)
    step = provisioning_step_run(provisioning_id=str(run.pk), name="plan")
    assert step.next_attempt_at == step.updated_at + timedelta(minutes=5)


def test_plan_stops_with_an_actionable_message_without_sbc_domain(service, ops, enqueued):
    service.provider.sbc_domains = []
    service.provider.save()
    run = provisioning_start(actor=ops, service=service)
    step = provisioning_step_run(provisioning_id=str(run.pk), name="plan")
    assert (step.status, step.message) == (
        "failed",
        "The provider has no SBC domain: add one in its Direct Routing settings, then retry.",
    )
    run.refresh_from_db()
    assert run.status == "failed"
    assert AuditEvent.objects.get(action="direct_routing.step_failed").changes["new"] == {
        "step": "plan",
        "attempts": 1,
        "message": step.message,
    }
    service.provider.sbc_domains = ["sbc.northwind.example"]
    service.provider.save()
    provisioning_start(actor=ops, service=service)  # retry: the failed step afresh
    step = provisioning_step_run(provisioning_id=str(run.pk), name="plan")
    assert (step.status, step.attempts) == ("done", 1)


def test_the_label_is_editable_until_the_domain_step_runs(service, ops):
    run = provisioning_label_set(actor=ops, service=service, label=" Litwäre ")
    assert run.label == "xn--litwre-eua"
    assert AuditEvent.objects.get(action="direct_routing.label_changed").changes == {
        "old": {"label": "contoso-01"},
        "new": {"label": "xn--litwre-eua"},
    }
    ProvisioningStep.objects.filter(provisioning=run, name="domain").update(
        status=StepStatus.RUNNING, attempts=1
    )
    before = db_state()
    with pytest.raises(InvalidState) as refused:
        provisioning_label_set(actor=ops, service=service, label="other")
    assert refused.value.detail == (
        "The sub-domain label can no longer change: the domain step has run."
    )
    assert db_state() == before


def test_a_label_of_another_service_or_too_long_is_refused(service, ops):
    other = ServiceFactory(connected=True, short_name="Fabrikam", customer=service.customer)
    provisioning_propose(service=other)
    provisioning_propose(service=service)
    before = db_state()
    with pytest.raises(InvalidInput) as taken:
        provisioning_label_set(actor=ops, service=service, label="fabrikam")
    with pytest.raises(InvalidInput) as long:
        provisioning_label_set(actor=ops, service=service, label="a" * 30)
    assert taken.value.errors == {
        "subdomain_label": ["Another service of this provider already uses this label."]
    }
    assert long.value.errors == {
        "subdomain_label": [
            f"The sub-domain {'a' * 30}.sbc2.northwind.example would have 53 characters; "
            "Microsoft allows at most 48."
        ]
    }
    assert db_state() == before


def test_monitors_and_customer_operators_may_not_provision(service):
    monitor = Actor.for_operator(
        OperatorFactory(role="monitor", scope="provider", provider=service.provider)
    )
    customer_admin = Actor.for_operator(
        OperatorFactory(role="admin", scope="customer", customer=service.customer)
    )
    before = db_state()
    for actor in (monitor, customer_admin):
        with pytest.raises(Forbidden):
            provisioning_start(actor=actor, service=service)
        with pytest.raises(Forbidden):
            provisioning_label_set(actor=actor, service=service, label="x")
    assert db_state() == before


def test_start_is_refused_for_a_service_that_is_not_active(db, enqueued):
    service = ServiceFactory()
    ops = Actor.for_operator(OperatorFactory(provider=service.provider))
    with pytest.raises(InvalidState) as refused:
        provisioning_start(actor=ops, service=service)
    assert refused.value.detail == "Direct Routing is provisioned for active services only."
    assert enqueued == []
