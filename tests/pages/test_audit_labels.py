"""Audit names its targets by what an operator knows (issue 10): an invitation by its service's
short name, an operator by email — when written, and for rows written before (a migration)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from onramp.accounts.models import Operator
from onramp.accounts.services.operators import operator_invite
from onramp.audit.models import AuditEvent
from onramp.core.actors import Actor
from onramp.services.models import Service
from tests.conftest import PASSWORD
from tests.pages.conftest import invite
from tests.pages.helpers import visible_text

pytestmark = pytest.mark.django_db

relabel = importlib.import_module("onramp.invitations.migrations.0008_audit_target_labels")


def labels(target_type: str) -> set[str]:
    return set(
        AuditEvent.objects.filter(target_type=target_type).values_list("target_label", flat=True)
    )


def test_invitation_events_name_the_service(ops, customer, operator):
    invite(customer, short_name="Contoso-01", actor=Actor.for_operator(operator))
    assert labels("invitation") == {"Contoso-01"}
    text = visible_text(ops.get("/audit/?target_type=invitation"))
    assert "invitation.created invitation Contoso-01" in text
    assert "Invitation object" not in text


def test_operator_events_name_the_email(provider):
    admin = Operator.objects.create_user(
        "admin@northwind.example", PASSWORD, role="admin", scope="provider", provider=provider
    )
    operator_invite(
        actor=Actor.for_operator(admin),
        email="new.op@northwind.example",
        role="operator",
        scope=f"provider:{provider.pk}",
    )
    assert labels("operator") == {"new.op@northwind.example"}


def test_rows_written_before_are_renamed(ops, customer, operator):
    kept = invite(customer, short_name="Contoso-01", actor=Actor.for_operator(operator))
    gone = invite(customer, short_name="Contoso-02", actor=Actor.for_operator(operator))
    gone_invitation = str(gone.invitation.pk)
    old = {}
    for invited in (kept, gone):
        event = AuditEvent.objects.create(
            created_at=timezone.now(),
            actor_type="system",
            provider_id=customer.provider_id,
            customer_id=customer.pk,
            action="invitation.opened",
            target_type="invitation",
            target_id=str(invited.invitation.pk),
            target_label=f"Invitation object ({invited.invitation.pk})",
        )
        old[invited.service.short_name] = event.pk
    AuditEvent._base_manager.filter(target_type="invitation", action="invitation.created").update(
        target_label="Invitation object (…)"
    )
    Service.objects.filter(pk=gone.service.pk).delete()  # its invitation goes with it
    relabel.label_invitation_targets(apps, None)
    by_pk = dict(AuditEvent.objects.values_list("pk", "target_label"))
    assert (by_pk[old["Contoso-01"]], by_pk[old["Contoso-02"]]) == ("Contoso-01", "Contoso-02")
    assert labels("invitation") == {"Contoso-01", "Contoso-02"}
    assert set(
        AuditEvent.objects.filter(target_id=gone_invitation).values_list("target_label", flat=True)
    ) == {"Contoso-02"}
