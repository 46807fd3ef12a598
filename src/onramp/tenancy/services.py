"""Writes for providers, channels and customers. A channel with ``max_customers`` takes at
most that many customers: creating or attaching one beyond it is refused on ``channel_id``."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import DomainNameValidator
from django.db import IntegrityError, models, transaction

from onramp.accounts.scoping import require_actor
from onramp.audit.services import audit_record
from onramp.core.actors import Actor
from onramp.core.errors import InvalidInput
from onramp.core.validators import printable_error
from onramp.tenancy.models import Channel, Provider

UNCHANGED: Any = object()
_DOMAIN_NAME = DomainNameValidator(accept_idna=False)
NAME_RULE = "Enter a name of at most 200 characters."
PROVIDER_TAKEN = "A provider with this name already exists."
CHANNEL_TAKEN = "This provider already has a channel with this name."
CUSTOMER_TAKEN = "This provider already has a customer with this name."
OTHER_PROVIDERS_CHANNEL = "The channel belongs to another provider."
COUNTRY_RULE = (
    "Enter the country as its ISO 3166 two-letter code, such as GB or US, or leave it empty."
)
MAX_CUSTOMERS_LIMIT = 1_000_000
MAX_CUSTOMERS_RULE = f"Use a whole number from 0 to {MAX_CUSTOMERS_LIMIT:,}, or null for no limit."


def provider_field_errors(
    *, name: str | None = None, sbc_domain: str | None = None, sbc_domains: Any = None
) -> dict[str, list[str]]:
    """The rules of a provider's fields (values already trimmed); None = not being set."""
    errors: dict[str, list[str]] = {}
    if name is not None and (problem := name_error(name)):
        errors["name"] = [problem]
    if sbc_domain and (problem := _domain_error(sbc_domain)):
        errors["sbc_domain"] = [problem]
    problems = [
        f"{domain}: {problem}" for domain in sbc_domains or [] if (problem := _domain_error(domain))
    ]
    if sbc_domains and len(set(sbc_domains)) != len(sbc_domains):
        problems.append("Name each SBC domain once.")
    if problems:
        errors["sbc_domains"] = problems
    return errors


def _domain_error(domain: str) -> str | None:
    if len(domain) > 253:
        return "Use at most 253 characters."
    try:
        _DOMAIN_NAME(domain)
    except ValidationError:
        return "Enter a domain name such as sbc.example.com."
    return None


def provider_create(*, actor: Actor, name: str, sbc_domain: str = "") -> Provider:
    name, sbc_domain = name.strip(), sbc_domain.strip().lower()
    if errors := provider_field_errors(name=name, sbc_domain=sbc_domain):
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            provider = Provider.objects.create(
                name=name, sbc_domain=sbc_domain, sbc_domains=[sbc_domain] if sbc_domain else []
            )
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
    *,
    actor: Actor,
    provider: Provider,
    name: str = UNCHANGED,
    sbc_domain: str = UNCHANGED,
    sbc_domains: list[str] = UNCHANGED,
) -> Provider:
    """Change the given fields (others stay). The name is the system admins' (``provider.change``);
    the SBC domains the provider's own admins' too (``provider.settings``): ``sbc_domains``
    replaces them all, ``sbc_domain`` the first; ``sbc_domain`` is always the first."""
    require_actor(actor, "provider.change" if name is not UNCHANGED else "provider.settings")
    if sbc_domains is not UNCHANGED:
        sbc_domains = [domain.strip().lower() for domain in sbc_domains]
    given = {
        "name": trimmed(name),
        "sbc_domain": trimmed(sbc_domain, lower=True),
        "sbc_domains": sbc_domains,
    }
    changes = {key: value for key, value in given.items() if value is not UNCHANGED}
    if errors := provider_field_errors(**changes):
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            provider = Provider.objects.select_for_update().get(pk=provider.pk)
            if "sbc_domains" in changes:
                changes["sbc_domain"] = next(iter(changes["sbc_domains"]), "")
            elif "sbc_domain" in changes:
                rest = [d for d in provider.sbc_domains[1:] if d != changes["sbc_domain"]]
                first = [changes["sbc_domain"]] if changes["sbc_domain"] else []
                changes["sbc_domains"] = first + rest
                changes["sbc_domain"] = next(iter(changes["sbc_domains"]), "")
            row_changes_apply(actor, provider, "provider.changed", changes, provider_id=provider.pk)
    except IntegrityError:
        raise InvalidInput({"name": [PROVIDER_TAKEN]}) from None
    return provider


def channel_field_errors(
    *, name: str | None = None, max_customers: Any = UNCHANGED
) -> dict[str, list[str]]:
    """The rules of a channel's fields (name already trimmed); None / unchanged = not set."""
    errors: dict[str, list[str]] = {}
    if name is not None and (problem := name_error(name)):
        errors["name"] = [problem]
    if max_customers is not UNCHANGED and max_customers is not None:
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
    *, actor: Actor, channel: Channel, name: str = UNCHANGED, max_customers: Any = UNCHANGED
) -> Channel:
    """Change the given fields; the limit cannot drop below the customers already attached."""
    given = {"name": trimmed(name), "max_customers": max_customers}
    changes = {key: value for key, value in given.items() if value is not UNCHANGED}
    if errors := channel_field_errors(**changes):
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            channel = Channel.objects.select_for_update().get(pk=channel.pk)
            limit = changes.get("max_customers")
            if limit is not None and (count := channel.customers.count()) > limit:
                raise InvalidInput(
                    {"max_customers": [f"The channel has {customers_phrase(count)} already."]}
                )
            row_changes_apply(
                actor, channel, "channel.changed", changes, provider_id=channel.provider_id
            )
    except IntegrityError:
        raise InvalidInput({"name": [CHANNEL_TAKEN]}) from None
    return channel


def channel_ensure_room(channel: Channel) -> None:
    """Lock the channel (so two concurrent additions cannot both take its last place) and
    refuse a customer beyond ``max_customers``. Runs inside the caller's transaction."""
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    limit = channel.max_customers
    if limit is not None and channel.customers.count() >= limit:
        raise InvalidInput(
            {
                "channel_id": [
                    f"The channel {channel.name} is full: its limit is {customers_phrase(limit)}."
                ]
            }
        )


def row_changes_apply(
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


def name_error(name: str) -> str | None:
    if not name or len(name) > 200:
        return NAME_RULE
    return printable_error(name)


def customers_phrase(count: int) -> str:
    return f"{count} customer" if count == 1 else f"{count} customers"


def trimmed(value: Any, *, lower: bool = False, upper: bool = False) -> Any:
    if value is UNCHANGED:
        return value
    value = value.strip()
    return value.lower() if lower else value.upper() if upper else value


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value
