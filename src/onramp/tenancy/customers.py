"""Customers: created in a provider (optionally in one of its channels, which must have room),
placed and changed through the pages and the REST API."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from onramp.accounts.models import Operator, Scope
from onramp.audit.services import audit_record
from onramp.core.actors import Actor
from onramp.core.countries import country_code
from onramp.core.errors import InvalidInput
from onramp.core.validators import email_error, is_guid
from onramp.tenancy.models import Channel, Customer, Provider
from onramp.tenancy.selectors import channels_visible, providers_visible
from onramp.tenancy.services import (
    COUNTRY_RULE,
    CUSTOMER_TAKEN,
    OTHER_PROVIDERS_CHANNEL,
    UNCHANGED,
    channel_ensure_room,
    name_error,
    row_changes_apply,
    trimmed,
)


def customer_create(
    *,
    actor: Actor,
    provider: Provider,
    name: str,
    channel: Channel | None = None,
    azure_tenant_id: str = "",
    contact_email: str = "",
    notify_admin_on_expiry: bool = False,
    country: str = "",
) -> Customer:
    """A customer of ``provider``, optionally in one of its channels (which must have room)."""
    name, azure_tenant_id = name.strip(), azure_tenant_id.strip().lower()
    contact_email, country = contact_email.strip(), country.strip().upper()
    errors = customer_field_errors(
        name=name, azure_tenant_id=azure_tenant_id, contact_email=contact_email, country=country
    )
    if channel is not None and channel.provider_id != provider.pk:
        errors["channel_id"] = [OTHER_PROVIDERS_CHANNEL]
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            if channel is not None:
                channel_ensure_room(channel)
            customer = Customer.objects.create(
                provider=provider,
                channel=channel,
                name=name,
                azure_tenant_id=azure_tenant_id,
                contact_email=contact_email,
                notify_admin_on_expiry=notify_admin_on_expiry,
                country=country,
            )
            audit_record(
                actor=actor,
                action="customer.created",
                target=customer,
                provider_id=provider.pk,
                customer_id=customer.pk,
                new={"name": name, "azure_tenant_id": azure_tenant_id, "country": country},
            )
    except IntegrityError:
        raise InvalidInput({"name": [CUSTOMER_TAKEN]}) from None
    return customer


# --- placement and change of a customer, channel and provider (the REST API) ---------------


def _visible(queryset: QuerySet, pk: object) -> Any:
    try:
        return queryset.filter(pk=pk).first()
    except (ValueError, TypeError, ValidationError):
        return None


def provider_choice(
    *, operator: Operator, provider_id: object, default: Provider | None = None, what: str
) -> Provider:
    """The provider a new ``what`` (customer, channel) belongs to: the given one if the caller
    sees it, else ``default`` or the caller's own. Ids out of scope read as unknown."""
    if provider_id is not None:
        provider = _visible(providers_visible(operator), provider_id)
        if provider is None:
            raise InvalidInput({"provider_id": ["No such provider."]})
        return provider
    provider = default or (operator.provider if operator.provider_id else None)
    if provider is None:
        raise InvalidInput({"provider_id": [f"Choose the provider the {what} belongs to."]})
    return provider


def channel_choice(*, operator: Operator, channel_id: object) -> Channel | None:
    """The channel a caller puts a customer in: one it can see. A channel operator's customers
    stay in its channel (else they would leave its scope)."""
    if channel_id is None:
        if operator.scope == Scope.CHANNEL:
            raise InvalidInput(
                {"channel_id": ["Customers of a channel operator stay in its channel."]}
            )
        return None
    channel = _visible(channels_visible(operator), channel_id)
    if channel is None:
        raise InvalidInput({"channel_id": ["No such channel."]})
    return channel


def customer_placement(
    *, operator: Operator, provider_id: object = None, channel_id: object = None
) -> tuple[Provider, Channel | None]:
    """Where a new customer goes: the given provider and channel, else the caller's own (a
    channel's provider when only the channel is given). Ids out of scope read as unknown."""
    channel = channel_choice(operator=operator, channel_id=channel_id or operator.channel_id)
    provider = provider_choice(
        operator=operator,
        provider_id=provider_id,
        default=channel.provider if channel is not None else None,
        what="customer",
    )
    return provider, channel


CUSTOMER_CHECKED = ("name", "azure_tenant_id", "contact_email", "country")


def customer_field_errors(
    *,
    name: str | None = None,
    azure_tenant_id: str | None = None,
    contact_email: str | None = None,
    country: str | None = None,
) -> dict[str, list[str]]:
    """The rules of a customer's fields (values already trimmed); None = not being set."""
    errors: dict[str, list[str]] = {}
    if name is not None and (problem := name_error(name)):
        errors["name"] = [problem]
    if azure_tenant_id and not is_guid(azure_tenant_id):
        errors["azure_tenant_id"] = ["Enter the tenant ID as a GUID, or leave it empty."]
    if contact_email and (problem := email_error(contact_email)):
        errors["contact_email"] = [problem]
    if country and country_code(country) is None:
        errors["country"] = [COUNTRY_RULE]
    return errors


def customer_update(
    *,
    actor: Actor,
    customer: Customer,
    name: str = UNCHANGED,
    channel: Channel | None = UNCHANGED,
    azure_tenant_id: str = UNCHANGED,
    contact_email: str = UNCHANGED,
    notify_admin_on_expiry: bool = UNCHANGED,
    country: str = UNCHANGED,
) -> Customer:
    """Change the given fields (others stay); the provider never changes. A channel the
    customer joins must have room."""
    given = {
        "name": trimmed(name),
        "channel_id": channel.pk if channel not in (None, UNCHANGED) else channel,
        "azure_tenant_id": trimmed(azure_tenant_id, lower=True),
        "contact_email": trimmed(contact_email),
        "notify_admin_on_expiry": notify_admin_on_expiry,
        "country": trimmed(country, upper=True),
    }
    changes = {key: value for key, value in given.items() if value is not UNCHANGED}
    errors = customer_field_errors(**{k: v for k, v in changes.items() if k in CUSTOMER_CHECKED})
    if channel not in (None, UNCHANGED) and channel.provider_id != customer.provider_id:
        errors["channel_id"] = [OTHER_PROVIDERS_CHANNEL]
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            customer = Customer.objects.select_for_update().get(pk=customer.pk)
            if channel not in (None, UNCHANGED) and channel.pk != customer.channel_id:
                channel_ensure_room(channel)
            row_changes_apply(
                actor,
                customer,
                "customer.changed",
                changes,
                provider_id=customer.provider_id,
                customer_id=customer.pk,
            )
    except IntegrityError:
        raise InvalidInput({"name": [CUSTOMER_TAKEN]}) from None
    return Customer.objects.select_related("provider", "channel").get(pk=customer.pk)
