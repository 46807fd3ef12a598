"""Reads of providers, channels and customers, always scoped to the caller."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from onramp.accounts.models import Operator, Scope
from onramp.accounts.scoping import customer_scope, scoped
from onramp.core.lookup import get_or_not_found
from onramp.tenancy.models import Channel, Customer, Provider


def customers_visible(operator: Operator) -> QuerySet[Customer]:
    return scoped(Customer.objects.select_related("provider", "channel"), operator, "")


def customer_get(operator: Operator, customer_id: object) -> Customer:
    return get_or_not_found(customers_visible(operator), customer_id, "customer")


def channels_visible(operator: Operator) -> QuerySet[Channel]:
    if operator.scope == Scope.SYSTEM:
        return Channel.objects.select_related("provider")
    if operator.scope == Scope.CHANNEL:
        return Channel.objects.select_related("provider").filter(pk=operator.channel_id)
    if operator.scope == Scope.CUSTOMER:
        return Channel.objects.none()
    return Channel.objects.select_related("provider").filter(provider_id=operator.provider_id)


def providers_visible(operator: Operator) -> QuerySet[Provider]:
    if operator.scope == Scope.SYSTEM:
        return Provider.objects.all()
    return Provider.objects.filter(pk=operator.provider_id)


def providers_with_counts(operator: Operator) -> QuerySet[Provider]:
    """Providers with the channels and customers the caller sees of each (a channel operator
    learns nothing about the rest of its provider)."""
    return providers_visible(operator).annotate(
        channel_count=Count(
            "channels", filter=Q(channels__in=channels_visible(operator)), distinct=True
        ),
        customer_count=Count(
            "customers", filter=customer_scope(operator, "customers") or None, distinct=True
        ),
    )


def channels_with_counts(operator: Operator) -> QuerySet[Channel]:
    return channels_visible(operator).annotate(customer_count=Count("customers"))
