"""Writes for providers and customers."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from onramp.accounts.models import Operator, Scope
from onramp.audit.services import Actor, audit_record
from onramp.core.errors import InvalidInput
from onramp.core.validators import email_error, is_guid
from onramp.tenancy.models import Channel, Customer, Provider
from onramp.tenancy.selectors import providers_visible


def provider_create(*, actor: Actor, name: str, sbc_domain: str = "") -> Provider:
    name, sbc_domain = name.strip(), sbc_domain.strip().lower()
    if not name or len(name) > 200:
        raise InvalidInput({"name": ["Enter a name of at most 200 characters."]})
    if len(sbc_domain) > 253:
        raise InvalidInput({"sbc_domain": ["Use at most 253 characters."]})
    try:
        with transaction.atomic():
            provider = Provider.objects.create(name=name, sbc_domain=sbc_domain)
            audit_record(
                actor=actor,
                action="provider.created",
                target=provider,
                provider_id=provider.pk,
                new={"name": name, "sbc_domain": sbc_domain},
            )
    except IntegrityError:
        raise InvalidInput({"name": ["A provider with this name already exists."]}) from None
    return provider


def customer_create(
    *,
    actor: Actor,
    provider: Provider,
    name: str,
    channel: Channel | None = None,
    azure_tenant_id: str = "",
    contact_email: str = "",
    notify_admin_on_expiry: bool = False,
) -> Customer:
    name, azure_tenant_id = name.strip(), azure_tenant_id.strip().lower()
    contact_email = contact_email.strip()
    errors: dict[str, list[str]] = {}
    if not name or len(name) > 200:
        errors["name"] = ["Enter a name of at most 200 characters."]
    if azure_tenant_id and not is_guid(azure_tenant_id):
        errors["azure_tenant_id"] = ["Enter the tenant ID as a GUID, or leave it empty."]
    if contact_email and (problem := email_error(contact_email)):
        errors["contact_email"] = [problem]
    if channel is not None and channel.provider_id != provider.pk:
        errors["channel_id"] = ["The channel belongs to another provider."]
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            customer = Customer.objects.create(
                provider=provider,
                channel=channel,
                name=name,
                azure_tenant_id=azure_tenant_id,
                contact_email=contact_email,
                notify_admin_on_expiry=notify_admin_on_expiry,
            )
            audit_record(
                actor=actor,
                action="customer.created",
                target=customer,
                provider_id=provider.pk,
                customer_id=customer.pk,
                new={"name": name, "azure_tenant_id": azure_tenant_id},
            )
    except IntegrityError:
        raise InvalidInput(
            {"name": ["This provider already has a customer with this name."]}
        ) from None
    return customer


# --- used by the REST API (CONTRACT.md §4): placement and change of a customer -----------------

_UNCHANGED: Any = object()


def _channels_visible(operator: Operator) -> QuerySet[Channel]:
    if operator.scope == Scope.SYSTEM:
        return Channel.objects.all()
    if operator.scope == Scope.PROVIDER:
        return Channel.objects.filter(provider_id=operator.provider_id)
    if operator.scope == Scope.CHANNEL:
        return Channel.objects.filter(pk=operator.channel_id)
    return Channel.objects.none()


def _visible(queryset: QuerySet, pk: object) -> Any:
    try:
        return queryset.filter(pk=pk).first()
    except (ValueError, TypeError, ValidationError):
        return None


def channel_choice(*, operator: Operator, channel_id: object) -> Channel | None:
    """The channel a caller puts a customer in: one it can see. A channel operator's customers
    stay in its channel (else they would leave its scope)."""
    if channel_id is None:
        if operator.scope == Scope.CHANNEL:
            raise InvalidInput(
                {"channel_id": ["Customers of a channel operator stay in its channel."]}
            )
        return None
    channel = _visible(_channels_visible(operator).select_related("provider"), channel_id)
    if channel is None:
        raise InvalidInput({"channel_id": ["No such channel."]})
    return channel


def customer_placement(
    *, operator: Operator, provider_id: object = None, channel_id: object = None
) -> tuple[Provider, Channel | None]:
    """Where a new customer goes: the given provider and channel, else the caller's own (a
    channel's provider when only the channel is given). Ids out of scope read as unknown."""
    channel = channel_choice(operator=operator, channel_id=channel_id or operator.channel_id)
    if provider_id is not None:
        provider = _visible(providers_visible(operator), provider_id)
        if provider is None:
            raise InvalidInput({"provider_id": ["No such provider."]})
    elif channel is not None:
        provider = channel.provider
    elif operator.provider_id:
        provider = operator.provider
    else:
        raise InvalidInput({"provider_id": ["Choose the provider the customer belongs to."]})
    return provider, channel


def customer_field_errors(
    *, name: str | None = None, azure_tenant_id: str | None = None, contact_email: str | None = None
) -> dict[str, list[str]]:
    """The rules of a customer's fields (values already trimmed); None = not being set."""
    errors: dict[str, list[str]] = {}
    if name is not None and (not name or len(name) > 200):
        errors["name"] = ["Enter a name of at most 200 characters."]
    if azure_tenant_id and not is_guid(azure_tenant_id):
        errors["azure_tenant_id"] = ["Enter the tenant ID as a GUID, or leave it empty."]
    if contact_email and (problem := email_error(contact_email)):
        errors["contact_email"] = [problem]
    return errors


def customer_update(
    *,
    actor: Actor,
    customer: Customer,
    name: str = _UNCHANGED,
    channel: Channel | None = _UNCHANGED,
    azure_tenant_id: str = _UNCHANGED,
    contact_email: str = _UNCHANGED,
    notify_admin_on_expiry: bool = _UNCHANGED,
) -> Customer:
    """Change the given fields (others stay); the provider never changes."""
    given = {
        "name": _trimmed(name),
        "channel": channel,
        "azure_tenant_id": _trimmed(azure_tenant_id, lower=True),
        "contact_email": _trimmed(contact_email),
        "notify_admin_on_expiry": notify_admin_on_expiry,
    }
    changes = {key: value for key, value in given.items() if value is not _UNCHANGED}
    errors = customer_field_errors(
        **{k: v for k, v in changes.items() if k in ("name", "azure_tenant_id", "contact_email")}
    )
    new_channel = changes.get("channel")
    if new_channel is not None and new_channel.provider_id != customer.provider_id:
        errors["channel_id"] = ["The channel belongs to another provider."]
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            customer = Customer.objects.select_for_update().get(pk=customer.pk)
            old: dict[str, Any] = {}
            new: dict[str, Any] = {}
            for field, value in changes.items():
                attname = "channel_id" if field == "channel" else field
                before = getattr(customer, attname)
                after = value.pk if field == "channel" and value is not None else value
                if before != after:
                    old[attname], new[attname] = _plain(before), _plain(after)
                    setattr(customer, attname, after)
            if new:
                customer.save(update_fields=list(new))
                audit_record(
                    actor=actor,
                    action="customer.changed",
                    target=customer,
                    provider_id=customer.provider_id,
                    customer_id=customer.pk,
                    old=old,
                    new=new,
                )
    except IntegrityError:
        raise InvalidInput(
            {"name": ["This provider already has a customer with this name."]}
        ) from None
    return Customer.objects.select_related("provider", "channel").get(pk=customer.pk)


def _trimmed(value: Any, *, lower: bool = False) -> Any:
    if value is _UNCHANGED:
        return value
    value = value.strip()
    return value.lower() if lower else value


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value
