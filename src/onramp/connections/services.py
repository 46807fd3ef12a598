"""Writes for the tenant connection: the ONE rule that applies a validation result, the runs,
storing credentials, renewal and the expiry entered by hand.

Microsoft is asked before any transaction (``validate_live``); each write then locks, re-checks
and changes, with its audit event in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from onramp.accounts.scoping import require_actor
from onramp.audit.services import Actor, audit_record, audit_record_many
from onramp.connections.expiry import EARLIEST_ENTERED, ENTERED_RANGE, LATEST_ENTERED
from onramp.connections.models import (
    ConnectionMethod,
    ExpirySource,
    HeldCredentials,
    TenantConnection,
    ValidationRun,
    ValidationTrigger,
)
from onramp.core.crypto import secret_box
from onramp.core.errors import InvalidInput, InvalidState, MicrosoftUnavailable, ValidationFailed
from onramp.m365.results import ValidationResult
from onramp.m365.validation import get_client


def validate_live(
    *, tenant: str, client_id: str, client_secret: str, expected_tenant_id: str | None
) -> ValidationResult:
    """Ask Microsoft now. Must be called outside any transaction: it may take seconds."""
    return get_client().validate(
        tenant=tenant,
        client_id=client_id,
        client_secret=client_secret,
        expected_tenant_id=expected_tenant_id or None,
        now=timezone.now(),
    )


def raise_unless_answered(result: ValidationResult) -> None:
    """Transient failures change nothing and are reported as such (503)."""
    if result.transient:
        raise MicrosoftUnavailable(result)


def raise_unless_ok(result: ValidationResult) -> None:
    raise_unless_answered(result)
    if not result.ok:
        raise ValidationFailed(result)


def connection_apply(holder: HeldCredentials, result: ValidationResult) -> dict[str, Any]:
    """THE rule for what a validation teaches about held credentials, for every path (wizard,
    Add, Validate Authentication, renewal, the bulk job). Changes ``holder`` in memory and
    returns what changed, for the caller to write (nothing changed: nothing to write).

    Only an answer that accepted the credentials teaches anything. Microsoft's expiry date wins
    over an operator's; a date Microsoft can no longer tell (Application.Read.All withdrawn) is
    kept as the last known one and no longer counts as Microsoft's, so an operator may then
    enter it by hand."""
    if not result.credentials_accepted:
        return {}
    wanted: dict[str, Any] = {
        "granted_permissions": result.granted_permissions,
        "assigned_roles": result.assigned_roles,
    }
    if result.tenant is not None:
        wanted["tenant_display_name"] = result.tenant.display_name or ""
        wanted["tenant_default_domain"] = result.tenant.default_domain or ""
    if result.client_secret_expires_at is not None:
        wanted["secret_expires_at"] = result.client_secret_expires_at
        wanted["secret_expiry_source"] = ExpirySource.MICROSOFT
    elif holder.secret_expiry_source == ExpirySource.MICROSOFT:
        wanted["secret_expiry_source"] = ""
    changed = {name: value for name, value in wanted.items() if getattr(holder, name) != value}
    for name, value in changed.items():
        setattr(holder, name, value)
    return changed


def credentials_hold(
    holder: HeldCredentials,
    *,
    tenant_id: str,
    client_id: str,
    result: ValidationResult,
    client_secret: str | None = None,
    sealed_from: HeldCredentials | None = None,
) -> None:
    """New credentials replace whatever ``holder`` held: the secret sealed here (or the sealed
    one copied from ``sealed_from``), then what the validation told about them. The caller saves."""
    holder.clear()
    holder.tenant_id = tenant_id
    holder.client_id = client_id
    if sealed_from is not None:
        holder.secret_sealed = sealed_from.secret_sealed
        holder.secret_key_id = sealed_from.secret_key_id
        holder.secret_hint = sealed_from.secret_hint
    else:
        box = secret_box()
        holder.secret_sealed = box.seal(client_secret or "")
        holder.secret_key_id = box.current_key_id
        holder.secret_hint = (client_secret or "")[:3]
    connection_apply(holder, result)


def held_secret(holder: HeldCredentials) -> str:
    return secret_box().open(holder.secret_sealed)


@dataclass(frozen=True)
class Validated:
    """One result to keep, for a service or (before Add) an invitation."""

    result: ValidationResult
    service: Any = None
    invitation: Any = None


def validation_runs_store(
    *, validated: list[Validated], trigger: str, actor: Actor, job: Any = None
) -> list[ValidationRun]:
    """Keep the runs and their audit events, in the caller's transaction: one insert each for
    a batch of the bulk job as for a single Validate Authentication."""
    runs = ValidationRun.objects.bulk_create(
        [
            ValidationRun(
                service=item.service,
                invitation=item.invitation,
                job=job,
                trigger=trigger,
                ok=item.result.ok,
                reason=item.result.reason or "",
                message=item.result.message,
                result=item.result.as_dict(),
                validated_at=item.result.validated_at,
                actor_label=actor.label,
            )
            for item in validated
        ]
    )
    origin = {"job": str(job.pk)} if job is not None else {"trigger": trigger}
    audit_record_many(
        [
            {
                "actor": actor,
                "action": "connection.validated",
                "target": item.service or item.invitation,
                "provider_id": (item.service or item.invitation).provider_id,
                "customer_id": (item.service or item.invitation).customer_id,
                "new": {
                    "ok": item.result.ok,
                    "reason": item.result.reason,
                    **origin,
                    "validation_run": run.pk,
                },
            }
            for item, run in zip(validated, runs, strict=True)
        ]
    )
    return runs


def validation_run_store(
    *,
    result: ValidationResult,
    trigger: str,
    actor: Actor,
    service: Any = None,
    invitation: Any = None,
) -> ValidationRun:
    return validation_runs_store(
        validated=[Validated(result, service, invitation)], trigger=trigger, actor=actor
    )[0]


def connection_store(
    *,
    service: Any,
    tenant_id: str,
    client_id: str,
    result: ValidationResult,
    authenticated_by: str,
    authenticated_at: datetime,
    method: str = ConnectionMethod.APP_REGISTRATION,
    client_secret: str | None = None,
    sealed_from: HeldCredentials | None = None,
) -> TenantConnection:
    """The service's connection, new or replaced (Add after a re-initiated flow), inside the
    caller's transaction."""
    connection = TenantConnection.objects.filter(service=service).first() or TenantConnection(
        service=service
    )
    credentials_hold(
        connection,
        tenant_id=tenant_id,
        client_id=client_id,
        result=result,
        client_secret=client_secret,
        sealed_from=sealed_from,
    )
    connection.method = method
    connection.authenticated_by = authenticated_by
    connection.authenticated_at = authenticated_at
    connection.save()
    service.connection = connection
    return connection


def _require_connection(service: Any) -> TenantConnection:
    try:
        return TenantConnection.objects.get(service=service)
    except TenantConnection.DoesNotExist:
        raise InvalidState("The service has no tenant connection yet.") from None


def connection_validate(
    *, actor: Actor, service: Any, trigger: str = ValidationTrigger.MANUAL
) -> ValidationRun:
    """Validate Authentication: re-run every check live and keep the run."""
    require_actor(actor, "connection.validate")
    connection = _require_connection(service)
    result = validate_live(
        tenant=connection.tenant_id,
        client_id=connection.client_id,
        client_secret=held_secret(connection),
        expected_tenant_id=service.customer.azure_tenant_id,
    )
    raise_unless_answered(result)
    with transaction.atomic():
        connection = TenantConnection.objects.select_for_update().get(service=service)
        if changed := connection_apply(connection, result):
            connection.save(update_fields=[*changed, "updated_at"])
        return validation_run_store(result=result, trigger=trigger, actor=actor, service=service)


def connection_replace_secret(
    *, actor: Actor, service: Any, client_secret: str
) -> tuple[TenantConnection, ValidationResult]:
    """Store a renewed secret once Microsoft issues a token with it for the same tenant and
    application; other failing checks are reported but do not block the renewal."""
    require_actor(actor, "connection.renew_secret")
    client_secret = client_secret.strip()
    if not client_secret or len(client_secret) > 255:
        raise InvalidInput({"client_secret": ["Enter the new client secret's value."]})
    connection = _require_connection(service)
    result = validate_live(
        tenant=connection.tenant_id,
        client_id=connection.client_id,
        client_secret=client_secret,
        expected_tenant_id=service.customer.azure_tenant_id,
    )
    raise_unless_answered(result)
    same_tenant = result.tenant is not None and result.tenant.id == connection.tenant_id
    with transaction.atomic():
        connection = TenantConnection.objects.select_for_update().get(service=service)
        validation_run_store(
            result=result, trigger=ValidationTrigger.RENEWAL, actor=actor, service=service
        )
        if result.credentials_accepted and same_tenant:
            old = {
                "secret_hint": connection.secret_hint,
                "secret_expires_at": _iso(connection.secret_expires_at),
            }
            credentials_hold(
                connection,
                tenant_id=connection.tenant_id,
                client_id=connection.client_id,
                result=result,
                client_secret=client_secret,
            )
            connection.save()
            audit_record(
                actor=actor,
                action="connection.secret_replaced",
                target=service,
                provider_id=service.provider_id,
                customer_id=service.customer_id,
                old=old,
                new={
                    "secret_hint": connection.secret_hint,
                    "secret_expires_at": _iso(connection.secret_expires_at),
                },
            )
            return connection, result
    raise ValidationFailed(result)


def connection_set_expiry(*, actor: Actor, service: Any, expires_at: datetime) -> TenantConnection:
    """The expiry date entered by hand, only while Microsoft cannot tell it."""
    require_actor(actor, "connection.renew_secret")
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    if not EARLIEST_ENTERED <= expires_at < LATEST_ENTERED:
        raise InvalidInput({"expires_at": [ENTERED_RANGE]})
    with transaction.atomic():
        _require_connection(service)
        connection = TenantConnection.objects.select_for_update().get(service=service)
        if connection.secret_expiry_source == ExpirySource.MICROSOFT:
            raise InvalidState(
                "Microsoft reports this secret's expiry date; it cannot be entered by hand."
            )
        old = {
            "secret_expires_at": _iso(connection.secret_expires_at),
            "secret_expiry_source": connection.secret_expiry_source,
        }
        connection.secret_expires_at = expires_at
        connection.secret_expiry_source = ExpirySource.OPERATOR
        connection.save(update_fields=["secret_expires_at", "secret_expiry_source", "updated_at"])
        audit_record(
            actor=actor,
            action="connection.expiry_entered",
            target=service,
            provider_id=service.provider_id,
            customer_id=service.customer_id,
            old=old,
            new={
                "secret_expires_at": _iso(expires_at),
                "secret_expiry_source": ExpirySource.OPERATOR,
            },
        )
    return connection


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
