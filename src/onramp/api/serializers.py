"""Model → JSON, in one place: ids as strings, timestamps ISO 8601 UTC with ``Z``, empty
optional text as null, and never a secret (the invitation link only where the caller passes it).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone

from onramp.accounts.models import ApiToken, Operator
from onramp.accounts.services import IssuedToken, scope_text
from onramp.audit.models import AuditEvent
from onramp.connections.expiry import days_until
from onramp.connections.models import ValidationRun
from onramp.directrouting.models import Provisioning, ProvisioningStep, RunStatus
from onramp.directrouting.selectors import run_subdomains, service_run_status, service_subdomains
from onramp.health.models import Alert, ValidationJob
from onramp.health.selectors import health_row
from onramp.invitations.models import Invitation
from onramp.invitations.services import IssuedInvitation
from onramp.m365.results import format_utc
from onramp.notifications.selectors import delivery_of
from onramp.services.models import Service, ServiceStatus
from onramp.services.onboarding import CreatedService
from onramp.services.selectors import (
    connection_of,
    connection_ok_of,
    last_validation,
    newest_invitation,
)
from onramp.tenancy.models import Channel, Customer, Provider


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def _text(value: str) -> str | None:
    return value or None


def customer_json(customer: Customer) -> dict[str, Any]:
    return {
        "id": str(customer.pk),
        "provider_id": str(customer.provider_id),
        "channel_id": _id(customer.channel_id),
        "name": customer.name,
        "azure_tenant_id": _text(customer.azure_tenant_id),
        "contact_email": _text(customer.contact_email),
        "notify_admin_on_expiry": customer.notify_admin_on_expiry,
        "country": _text(customer.country),
        "created_at": format_utc(customer.created_at),
    }


def invitation_json(
    invitation: Invitation, *, service: Service | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Never the link: it is not stored (only its hash)."""
    service = service or invitation.service
    delivery = delivery_of(invitation)
    return {
        "id": str(invitation.pk),
        "service_id": str(service.pk),
        "customer_id": str(service.customer_id),
        "short_name": service.short_name,
        "full_name": service.full_name,
        "admin_email": invitation.admin_email,
        "status": invitation.effective_status(now or timezone.now()),
        "email_sent": delivery.sent,
        "email_send_count": delivery.send_count,
        "email_last_error": _text(delivery.last_error),
        "created_at": format_utc(invitation.created_at),
        "expires_at": format_utc(invitation.expires_at),
        "device_authenticated": invitation.device_authenticated,
        "authenticated_at": format_utc(invitation.authenticated_at),
        "authenticated_method": _text(invitation.authenticated_method),
        "tenant_id": _text(invitation.tenant_id),
        "client_id": _text(invitation.client_id),
        "signed_in_upn": _text(invitation.signed_in_upn),
        "application_object_id": _text(invitation.application_object_id),
    }


def issued_invitation_json(issued: IssuedInvitation, service: Service | None = None) -> dict:
    """The one moment the link is shown: create, resend, re-initiate."""
    return {**invitation_json(issued.invitation, service=service), "link": issued.link}


def service_json(service: Service, *, now: datetime | None = None) -> dict[str, Any]:
    invitation = newest_invitation(service)
    return {
        **_service_fields(service, connection_ok_of(service)),
        "invitation": None
        if invitation is None
        else invitation_json(invitation, service=service, now=now),
    }


def _service_fields(service: Service, connection_ok: bool | None) -> dict[str, Any]:
    return {
        "id": str(service.pk),
        "customer_id": str(service.customer_id),
        "provider_id": str(service.provider_id),
        "short_name": service.short_name,
        "full_name": service.full_name,
        "license_type": service.license_type,
        "licensed_users": service.licensed_users,
        "status": service.status,
        "created_at": format_utc(service.created_at),
        "connection_ok": connection_ok,
    }


def service_created_json(created: CreatedService) -> dict[str, Any]:
    """The new service with the invitation just issued (its link shown once): no read back."""
    service = created.service
    issued = created.issued
    # Created active only once every check passed; otherwise not validated yet.
    validated = created.validation is not None and service.status == ServiceStatus.ACTIVE
    return {
        **_service_fields(service, created.validation.ok if validated else None),
        "invitation": issued_invitation_json(issued, service) if issued else None,
        "validation": validation_json(created.validation.as_dict()) if created.validation else None,
    }


def validation_json(result: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    """A Validation object; days until expiry count from today, also for a stored run."""
    data = dict(result)
    if expires := data.get("client_secret_expires_at"):
        data["client_secret_days_until_expire"] = days_until(datetime.fromisoformat(expires), today)
    return data


def run_json(run: ValidationRun | None) -> dict[str, Any] | None:
    return None if run is None else validation_json(run.result)


def m365_json(service: Service) -> dict[str, Any]:
    """The M365 configuration; all null until the service has a tenant connection."""
    connection = connection_of(service)
    run = last_validation(service)
    if connection is None:
        return {
            "service_id": str(service.pk),
            **dict.fromkeys(
                (
                    "method",
                    "tenant_id",
                    "application_id",
                    "client_secret_hint",
                    "client_secret_expires_at",
                    "client_secret_expiry_source",
                    "client_secret_days_until_expire",
                    "authenticated_by",
                    "authenticated_at",
                    "credential_kind",
                    "certificate_thumbprint_sha256",
                    "certificate_expires_at",
                    "signed_in_upn",
                    "application_object_id",
                )
            ),
            "granted_permissions": [],
            "assigned_roles": [],
            "last_validation": run_json(run),
        }
    return {
        "service_id": str(service.pk),
        "method": connection.method,
        "tenant_id": connection.tenant_id,
        "application_id": connection.client_id,
        "client_secret_hint": _text(connection.secret_hint),
        "client_secret_expires_at": format_utc(connection.secret_expires_at),
        "client_secret_expiry_source": _text(connection.secret_expiry_source),
        "client_secret_days_until_expire": days_until(connection.secret_expires_at),
        "granted_permissions": list(connection.granted_permissions),
        "assigned_roles": list(connection.assigned_roles),
        "authenticated_by": _text(connection.authenticated_by),
        "authenticated_at": format_utc(connection.authenticated_at),
        "last_validation": run_json(run),
        "credential_kind": connection.credential_kind,
        "certificate_thumbprint_sha256": _text(connection.certificate_thumbprint_sha256),
        "certificate_expires_at": format_utc(connection.certificate_expires_at),
        "signed_in_upn": _text(connection.signed_in_upn),
        "application_object_id": _text(connection.application_object_id),
    }


# --- tenancy, operators, audit, connection health ----------------------------------------------


def provider_json(provider: Provider) -> dict[str, Any]:
    return {
        "id": str(provider.pk),
        "name": provider.name,
        "sbc_domain": _text(provider.sbc_domain),
        "sbc_domains": list(provider.sbc_domains),
        "created_at": format_utc(provider.created_at),
    }


def direct_routing_json(service: Service) -> dict[str, Any]:
    return {
        "service_id": str(service.pk),
        "short_name": service.short_name,
        "customer_id": str(service.customer_id),
        "subdomains": service_subdomains(service),
        "status": service_run_status(service),
    }


def provisioning_json(
    service: Service, run: Provisioning | None, steps: list[ProvisioningStep]
) -> dict[str, Any]:
    """A service's Direct Routing run (CONTRACT ``GET …/direct-routing``), or the one an active
    service would be proposed; before the service is active: no sub-domains, no steps."""
    names = run_subdomains(run) if run else []
    return {
        "service_id": str(service.pk),
        "subdomain": names[0] if names else None,
        "subdomains": names,
        "activation_sku": (run.activation_sku or None) if run else None,
        "status": run.status if run else RunStatus.NOT_STARTED,
        "steps": [
            {
                "name": step.name,
                "status": step.status,
                "message": step.message,
                "detail": step.detail,
                "updated_at": format_utc(step.updated_at),
            }
            for step in steps
        ],
        "teams_script_confirmed_at": format_utc(run.teams_script_confirmed_at) if run else None,
    }


def decommission_json(service: Service) -> dict[str, Any]:
    """Where a decommission stands (CONTRACT ``POST /services/{id}/decommission``)."""
    return {
        "service_id": str(service.pk),
        "status": service.status,
        "requested_at": format_utc(service.decommission_requested_at),
        "decommissioned_at": format_utc(service.decommissioned_at),
        "direct_routing": service_run_status(service),
        "app_to_delete": service.app_to_delete or None,
    }


def direct_routing_csv(service: Service) -> dict[str, Any]:
    return {**direct_routing_json(service), "subdomains": " ".join(service_subdomains(service))}


def channel_json(channel: Channel) -> dict[str, Any]:
    """``customer_count`` comes annotated on lists (one query), counted otherwise."""
    count = getattr(channel, "customer_count", None)
    return {
        "id": str(channel.pk),
        "provider_id": str(channel.provider_id),
        "name": channel.name,
        "max_customers": channel.max_customers,
        "customer_count": channel.customers.count() if count is None else count,
        "created_at": format_utc(channel.created_at),
    }


def operator_json(operator: Operator) -> dict[str, Any]:
    return {
        "id": str(operator.pk),
        "email": operator.email,
        "role": operator.role,
        "scope": scope_text(operator),
        "is_active": operator.is_active,
        "created_at": format_utc(operator.created_at),
    }


def token_json(token: ApiToken) -> dict[str, Any]:
    """Never the value nor its hash."""
    return {
        "id": str(token.pk),
        "name": token.name,
        "created_at": format_utc(token.created_at),
        "expires_at": format_utc(token.expires_at),
        "last_used_at": format_utc(token.last_used_at),
        "revoked_at": format_utc(token.revoked_at),
    }


def new_token_json(issued: IssuedToken) -> dict[str, Any]:
    """The one moment a token's value is shown."""
    return {
        "id": str(issued.token.pk),
        "token": issued.value,
        "expires_at": format_utc(issued.token.expires_at),
    }


def audit_event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": str(event.pk),
        "created_at": format_utc(event.created_at),
        "actor_type": event.actor_type,
        "actor_id": _text(event.actor_id),
        "actor_label": _text(event.actor_label),
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": _text(event.target_label),
        "changes": event.changes,
        "request_id": _text(event.request_id),
        "client_ip": event.client_ip,
    }


def health_json(service: Service) -> dict[str, Any]:
    """One row of GET /health, from a service annotated by health.selectors.health_rows."""
    row = health_row(service)
    return {
        "service_id": str(service.pk),
        "short_name": service.short_name,
        "customer_id": str(service.customer_id),
        "ok": row.ok,
        "reason": row.reason,
        "validated_at": format_utc(row.validated_at),
        "client_secret_expires_at": format_utc(row.expires_at),
        "client_secret_days_until_expire": row.days,
        "band": row.band,
        "failing_checks": row.failing_checks,
    }


def job_json(job: ValidationJob) -> dict[str, Any]:
    return {
        "id": str(job.pk),
        "kind": job.kind,
        "status": job.status,
        "total": job.total,
        "done": job.done,
        "ok": job.ok,
        "failed": job.failed,
        "errors": job.errors,
        "started_at": format_utc(job.started_at),
        "finished_at": format_utc(job.finished_at),
    }


def alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "kind": alert.kind,
        "threshold_days": alert.threshold_days,
        "sent_at": format_utc(alert.sent_at),
        "recipients": list(alert.recipients),
    }
