"""Writes for providers, channels and customers. A channel with ``max_customers`` takes at
most that many customers: creating or attaching one beyond it is refused on ``channel_id``."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import DomainNameValidator
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet

from onramp.accounts.models import Operator, Scope
from onramp.audit.services import Actor, audit_record
from onramp.core.errors import InvalidInput
from onramp.core.validators import email_error, is_guid, printable_error
from onramp.tenancy.models import Channel, Customer, Provider
from onramp.tenancy.selectors import channels_visible, providers_visible

_UNCHANGED: Any = object()
_DOMAIN_NAME = DomainNameValidator(accept_idna=False)
NAME_RULE = "Enter a name of at most 200 characters."
PROVIDER_TAKEN = "A provider with this name already exists."
CHANNEL_TAKEN = "This provider already has a channel with this name."
CUSTOMER_TAKEN = "This provider already has a customer with this name."
OTHER_PROVIDERS_CHANNEL = "The channel belongs to another provider."
MAX_CUSTOMERS_LIMIT = 1_000_000
MAX_CUSTOMERS_RULE = f"Use a whole number from 0 to {MAX_CUSTOMERS_LIMIT:,}, or null for no limit."


def provider_field_errors(
    *, name: str | None = None, sbc_domain: str | None = None
) -> dict[str, list[str]]:
    """The rules of a provider's fields (values already trimmed); None = not being set."""
    errors: dict[str, list[str]] = {}
    if name is not None and (problem := _name_error(name)):
        errors["name"] = [problem]
    if sbc_domain and len(sbc_domain) > 253:
        errors["sbc_domain"] = ["Use at most 253 characters."]
    elif sbc_domain:
        try:
            _DOMAIN_NAME(sbc_domain)
        except ValidationError:
            errors["sbc_domain"] = ["Enter a domain name such as sbc.example.com."]
    return errors


def provider_create(*, actor: Actor, name: str, sbc_domain: str = "") -> Provider:
    name, sbc_domain = name.strip(), sbc_domain.strip().lower()
    if errors := provider_field_errors(name=name, sbc_domain=sbc_domain):
        raise InvalidInput(errors)
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
        raise InvalidInput({"name": [PROVIDER_TAKEN]}) from None
    return provider


def provider_update(
    *, actor: Actor, provider: Provider, name: str = _UNCHANGED, sbc_domain: str = _UNCHANGED
) -> Provider:
    """Change the given fields (others stay)."""
    given = {"name": _trimmed(name), "sbc_domain": _trimmed(sbc_domain, lower=True)}
    changes = {key: value for key, value in given.items() if value is not _UNCHANGED}
    if errors := provider_field_errors(**changes):
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            provider = Provider.objects.select_for_update().get(pk=provider.pk)
            _apply(actor, provider, "provider.changed", changes, provider_id=provider.pk)
    except IntegrityError:
        raise InvalidInput({"name": [PROVIDER_TAKEN]}) from None
    return provider


def channel_field_errors(
    *, name: str | None = None, max_customers: Any = _UNCHANGED
) -> dict[str, list[str]]:
    """The rules of a channel's fields (name already trimmed); None / unchanged = not set."""
    errors: dict[str, list[str]] = {}
    if name is not None and (problem := _name_error(name)):
        errors["name"] = [problem]
    if max_customers is not _UNCHANGED and max_customers is not None:
        if (
            not isinstance(max_customers, int)
            or isinstance(max_customers, bool)
            or not 0 <= max_customers <= MAX_CUSTOMERS_LIMIT
        ):
            errors["max_customers"] = [MAX_CUSTOMERS_RULE]
    return errors


def channel_create(
    *, actor: Actor, provider: Provider, name: str, max_customers: int | None = None
) -> Channel:
    name = name.strip()
    if errors := channel_field_errors(name=name, max_customers=max_customers):
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            channel = Channel.objects.create(
                provider=provider, name=name, max_customers=max_customers
            )
            audit_record(
                actor=actor,
                action="channel.created",
                target=channel,
                provider_id=provider.pk,
                new={"name": name, "max_customers": max_customers},
            )
    except IntegrityError:
        raise InvalidInput({"name": [CHANNEL_TAKEN]}) from None
    return channel


def channel_update(
    *, actor: Actor, channel: Channel, name: str = _UNCHANGED, max_customers: Any = _UNCHANGED
) -> Channel:
    """Change the given fields; the limit cannot drop below the customers already attached."""
    given = {"name": _trimmed(name), "max_customers": max_customers}
    changes = {key: value for key, value in given.items() if value is not _UNCHANGED}
    if errors := channel_field_errors(**changes):
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            channel = Channel.objects.select_for_update().get(pk=channel.pk)
            limit = changes.get("max_customers")
            if limit is not None and (count := channel.customers.count()) > limit:
                raise InvalidInput(
                    {"max_customers": [f"The channel has {_customers(count)} already."]}
                )
            _apply(actor, channel, "channel.changed", changes, provider_id=channel.provider_id)
    except IntegrityError:
        raise InvalidInput({"name": [CHANNEL_TAKEN]}) from None
    return channel


def _ensure_room(channel: Channel) -> None:
    """Lock the channel (so two concurrent additions cannot both take its last place) and
    refuse a customer beyond ``max_customers``. Runs inside the caller's transaction."""
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    limit = channel.max_customers
    if limit is not None and channel.customers.count() >= limit:
        raise InvalidInput(
            {
                "channel_id": [
                    f"The channel {channel.name} is full: its limit is {_customers(limit)}."
                ]
            }
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
) -> Customer:
    """A customer of ``provider``, optionally in one of its channels (which must have room)."""
    name, azure_tenant_id = name.strip(), azure_tenant_id.strip().lower()
    contact_email = contact_email.strip()
    errors = customer_field_errors(
        name=name, azure_tenant_id=azure_tenant_id, contact_email=contact_email
    )
    if channel is not None and channel.provider_id != provider.pk:
        errors["channel_id"] = [OTHER_PROVIDERS_CHANNEL]
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            if channel is not None:
                _ensure_room(channel)
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


def customer_field_errors(
    *, name: str | None = None, azure_tenant_id: str | None = None, contact_email: str | None = None
) -> dict[str, list[str]]:
    """The rules of a customer's fields (values already trimmed); None = not being set."""
    errors: dict[str, list[str]] = {}
    if name is not None and (problem := _name_error(name)):
        errors["name"] = [problem]
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
    """Change the given fields (others stay); the provider never changes. A channel the
    customer joins must have room."""
    given = {
        "name": _trimmed(name),
        "channel_id": channel.pk if channel not in (None, _UNCHANGED) else channel,
        "azure_tenant_id": _trimmed(azure_tenant_id, lower=True),
        "contact_email": _trimmed(contact_email),
        "notify_admin_on_expiry": notify_admin_on_expiry,
    }
    changes = {key: value for key, value in given.items() if value is not _UNCHANGED}
    errors = customer_field_errors(
        **{k: v for k, v in changes.items() if k in ("name", "azure_tenant_id", "contact_email")}
    )
    if channel not in (None, _UNCHANGED) and channel.provider_id != customer.provider_id:
        errors["channel_id"] = [OTHER_PROVIDERS_CHANNEL]
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            customer = Customer.objects.select_for_update().get(pk=customer.pk)
            if channel not in (None, _UNCHANGED) and channel.pk != customer.channel_id:
                _ensure_room(channel)
            _apply(
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


def _apply(
    actor: Actor, row: models.Model, action: str, changes: dict[str, Any], **scope: Any
) -> None:
    """Set the fields (by attname) that differ, save them and record one audit event; nothing
    is written when nothing differs. Runs inside the caller's transaction, on a locked row."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for attname, after in changes.items():
        before = getattr(row, attname)
        if before != after:
            old[attname], new[attname] = _plain(before), _plain(after)
            setattr(row, attname, after)
    if new:
        row.save(update_fields=list(new))
        audit_record(actor=actor, action=action, target=row, old=old, new=new, **scope)


def _name_error(name: str) -> str | None:
    if not name or len(name) > 200:
        return NAME_RULE
    return printable_error(name)


def _customers(count: int) -> str:
    return f"{count} customer" if count == 1 else f"{count} customers"


def _trimmed(value: Any, *, lower: bool = False) -> Any:
    if value is _UNCHANGED:
        return value
    value = value.strip()
    return value.lower() if lower else value


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value
