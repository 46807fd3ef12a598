"""Writes for providers and customers."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from onramp.audit.services import Actor, audit_record
from onramp.core.errors import InvalidInput
from onramp.core.validators import email_error, is_guid
from onramp.tenancy.models import Channel, Customer, Provider


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
