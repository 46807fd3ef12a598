"""The Add Service request and its rules, and deleting a service that never became active.
The writes that move a service with its invitation are in ``onboarding``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from onramp.accounts.scoping import require_actor
from onramp.audit.services import audit_record
from onramp.core import short_names
from onramp.core.actors import Actor
from onramp.core.errors import InvalidState
from onramp.core.validators import (
    client_id_error,
    email_error,
    printable_error,
    tenant_id_error,
)
from onramp.services.models import MAX_LICENSED_USERS, NEVER_ACTIVE, LicenseType, Service
from onramp.tenancy.models import Customer

FULL_NAME_MAX = 200


@dataclass
class ServiceRequest:
    """What the Add Service form and ``POST /services`` submit (values already trimmed)."""

    short_name: str
    full_name: str
    license_type: str
    licensed_users: Any
    method: str  # "invitation" | "app-registration"
    admin_email: str = ""
    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)


def service_request_errors(customer: Customer, request: ServiceRequest) -> dict[str, list[str]]:
    """Every rule the request breaks, by field; the database constraint backs up uniqueness."""
    errors: dict[str, list[str]] = {}
    name_errors = short_names.short_name_errors(request.short_name)
    if (
        not name_errors
        and Service.objects.filter(
            provider_id=customer.provider_id,
            short_name_key=short_names.short_name_key(request.short_name),
        ).exists()
    ):
        name_errors = [DUPLICATE_NAME]
    if name_errors:
        errors["short_name"] = name_errors
    if len(request.full_name) > FULL_NAME_MAX:
        errors["full_name"] = [f"Use at most {FULL_NAME_MAX} characters."]
    elif problem := printable_error(request.full_name):
        errors["full_name"] = [problem]
    if request.license_type not in LicenseType.values:
        errors["license_type"] = ["Choose Hosted Essentials+ or Hosted Pro."]
    users = request.licensed_users
    if (
        isinstance(users, bool)
        or not isinstance(users, int)
        or not 1 <= users <= MAX_LICENSED_USERS
    ):
        errors["licensed_users"] = [f"Enter a whole number from 1 to {MAX_LICENSED_USERS}."]
    if request.method == "invitation":
        if problem := email_error(request.admin_email):
            errors["admin_email"] = [problem]
    elif request.method == "app-registration":
        for name, check in (("tenant_id", tenant_id_error), ("client_id", client_id_error)):
            if problem := check(getattr(request, name)):
                errors[name] = [problem]
        if not request.client_secret:
            errors["client_secret"] = ["Enter the client secret's value."]
        elif len(request.client_secret) > 255:
            errors["client_secret"] = ["Use at most 255 characters."]
    else:
        errors["method"] = ["Choose how to connect to the tenant."]
    return errors


DUPLICATE_NAME = "Another service of this provider already uses this short name."


def service_delete(*, actor: Actor, service: Service) -> None:
    """Only a service that never became active; its name is released, its invitation dies."""
    require_actor(actor, "service.delete")
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=service.pk)
        if service.status not in NEVER_ACTIVE:
            raise InvalidState("An active service cannot be deleted.")
        audit_record(
            actor=actor,
            action="service.deleted",
            target=service,
            provider_id=service.provider_id,
            customer_id=service.customer_id,
            old={"short_name": service.short_name, "status": service.status},
        )
        service.delete()
