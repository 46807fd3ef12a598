"""Glue between the Microsoft validation client and what Onramp stores about a connection."""

from __future__ import annotations

from typing import Any

from onramp.audit.services import Actor, audit_record
from onramp.core.crypto import secret_box
from onramp.core.errors import MicrosoftUnavailable, ValidationFailed
from onramp.m365.results import ValidationResult
from onramp.m365.validation import get_client
from onramp.services.models import ValidationRun


def validate_live(
    *, tenant: str, client_id: str, client_secret: str, expected_tenant_id: str | None
) -> ValidationResult:
    """Ask Microsoft now. Must be called outside any transaction: it may take seconds."""
    return get_client().validate(
        tenant=tenant,
        client_id=client_id,
        client_secret=client_secret,
        expected_tenant_id=expected_tenant_id or None,
    )


def raise_unless_answered(result: ValidationResult) -> None:
    """Transient failures change nothing and are reported as such (503)."""
    if result.transient:
        raise MicrosoftUnavailable(result)


def raise_unless_ok(result: ValidationResult) -> None:
    raise_unless_answered(result)
    if not result.ok:
        raise ValidationFailed(result)


def validation_run_store(
    *,
    result: ValidationResult,
    trigger: str,
    actor: Actor,
    service: Any = None,
    invitation: Any = None,
) -> ValidationRun:
    """Keep the run and its audit event (same transaction as the caller's change, if any)."""
    run = ValidationRun.objects.create(
        service=service,
        invitation=invitation,
        trigger=trigger,
        ok=result.ok,
        reason=result.reason or "",
        message=result.message,
        result=result.as_dict(),
        validated_at=result.validated_at,
        actor_label=actor.label,
    )
    owner = service if service is not None else invitation.service
    audit_record(
        actor=actor,
        action="connection.validated",
        target=service or invitation,
        provider_id=owner.provider_id,
        customer_id=owner.customer_id,
        new={
            "ok": result.ok,
            "reason": result.reason,
            "trigger": trigger,
            "validation_run": run.pk,
        },
    )
    return run


def sealed_credentials(client_secret: str) -> dict[str, str]:
    box = secret_box()
    return {
        "secret_sealed": box.seal(client_secret),
        "secret_key_id": box.current_key_id,
        "secret_hint": client_secret[:3],
    }


def connection_facts(result: ValidationResult) -> dict[str, Any]:
    """What a successful (or credentials-accepted) validation tells us about the connection."""
    facts: dict[str, Any] = {
        "granted_permissions": result.granted_permissions,
        "assigned_roles": result.assigned_roles,
    }
    if result.tenant is not None:
        facts["tenant_display_name"] = result.tenant.display_name or ""
        facts["tenant_default_domain"] = result.tenant.default_domain or ""
    if result.client_secret_expires_at is not None:
        facts["secret_expires_at"] = result.client_secret_expires_at
    return facts
