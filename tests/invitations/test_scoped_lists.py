"""Invitations carry their service's provider and customer, so scoped lists read an index."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from onramp.accounts.models import Operator
from onramp.invitations.models import Invitation
from onramp.invitations.selectors import invitations_visible
from onramp.services.models import Service
from onramp.services.onboarding import service_create
from onramp.services.services import ServiceRequest
from onramp.tenancy.models import Channel, Customer, Provider

BEFORE = [("invitations", "0003_list_indexes")]


@pytest.mark.django_db
def test_issue_copies_the_services_provider_and_customer(invite, customer):
    service, invitation, _ = invite()
    stored = Invitation.objects.get(pk=invitation.pk)
    assert (stored.provider_id, stored.customer_id) == (customer.provider_id, customer.pk)
    assert (stored.provider_id, stored.customer_id) == (service.provider_id, service.customer_id)


@pytest.mark.django_db
def test_each_scope_lists_exactly_its_invitations(actor, customer, provider):
    channel = Channel.objects.create(provider=provider, name="Reseller East")
    Customer.objects.filter(pk=customer.pk).update(channel=channel)
    fabrikam = Customer.objects.create(provider=provider, name="Fabrikam")
    elsewhere = Customer.objects.create(provider=Provider.objects.create(name="Other"), name="X")

    def issue(owner: Customer, name: str) -> str:
        created = service_create(
            actor=actor,
            customer=owner,
            request=ServiceRequest(
                short_name=name,
                full_name=name,
                license_type="hosted-pro",
                licensed_users=5,
                method="invitation",
                admin_email="admin@example.test",
            ),
        )
        return str(created.issued.invitation.pk)

    ours, theirs, other = (
        issue(customer, "Con-1"),
        issue(fabrikam, "Fab-1"),
        issue(elsewhere, "X-1"),
    )

    def listed(scope: str, **where) -> list[str]:
        operator = Operator.objects.create_user(
            f"{scope}@example.test", None, role="monitor", scope=scope, **where
        )
        return [str(pk) for pk in invitations_visible(operator).values_list("pk", flat=True)]

    assert listed("system") == [other, theirs, ours]  # newest first
    assert listed("provider", provider=provider) == [theirs, ours]
    assert listed("channel", provider=provider, channel=channel) == [ours]
    assert listed("customer", provider=provider, customer=fabrikam) == [theirs]


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_existing_invitations(customer):
    """Rows written before the columns existed get their service's provider and customer."""
    service = Service.objects.create(
        provider=customer.provider,
        customer=customer,
        short_name="Old-1",
        short_name_key="old-1",
        full_name="Old",
        license_type="hosted-pro",
        licensed_users=5,
        status="awaiting-authentication",
    )
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("invitations", "Invitation")
    now = timezone.now()
    old.objects.create(
        service_id=service.pk,
        admin_email="admin@contoso.example",
        token_hash="a" * 64,
        status="pending",
        created_at=now,
        expires_at=now,
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    filled = Invitation.objects.get(service=service)
    assert (filled.provider_id, filled.customer_id) == (customer.provider_id, customer.pk)
