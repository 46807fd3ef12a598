"""Writes for the tenant connection: the ONE rule that applies a validation result, the runs,
storing credentials, renewal and the expiry entered by hand.

Microsoft is asked before any transaction (``connections.live``); each write then locks,
re-checks and changes, with its audit event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from onramp.accounts.scoping import require_actor
from onramp.audit.services import audit_record, audit_record_many
from onramp.connections.expiry import EARLIEST_ENTERED, ENTERED_RANGE, LATEST_ENTERED
from onramp.connections.live import (
    live_validation_slot,
    raise_unless_answered,
    validate_live,
)
from onramp.connections.models import (
    ConnectionMethod,
    CredentialKind,
    ExpirySource,
    HeldCredentials,
    TenantConnection,
    ValidationRun,
    ValidationTrigger,
)
from onramp.core.actors import Actor
from onramp.core.crypto import SecretBox, secret_box
from onramp.core.errors import (
    InvalidInput,
    InvalidState,
    ValidationFailed,
)
from onramp.m365.credentials import ClientCertificate, ClientSecret, Credential
from onramp.m365.results import ValidationResult


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
    credential: Credential | None = None,
    sealed_from: HeldCredentials | None = None,
) -> None:
    """New credentials replace whatever ``holder`` held: the credential sealed here (or the
    sealed one copied from ``sealed_from``), then what the validation told about them. The
    caller saves."""
    holder.clear()
    holder.tenant_id = tenant_id
    holder.client_id = client_id
    if sealed_from is not None:
        for name in HeldCredentials.CREDENTIAL_FIELDS:
            setattr(holder, name, getattr(sealed_from, name))
    elif credential is not None:
        _seal(holder, credential)
    connection_apply(holder, result)


def _seal(holder: HeldCredentials, credential: Credential) -> None:
    box = secret_box()
    holder.credential_kind = credential.kind
    if isinstance(credential, ClientSecret):
        holder.secret_sealed = box.seal(credential.value)
        holder.secret_key_id = box.current_key_id
        holder.secret_hint = credential.hint
        return
    holder.certificate_pem = credential.certificate_pem
    holder.certificate_thumbprint_sha1 = credential.thumbprint_sha1
    holder.certificate_thumbprint_sha256 = credential.thumbprint_sha256
    holder.certificate_expires_at = credential.expires_at
    holder.private_key_sealed = box.seal(credential.private_key_pem)
    holder.private_key_key_id = box.current_key_id


# What ``credential_open`` reads: a holder's attributes, or a query's columns of the same name.
OPENED_FIELDS = (
    "credential_kind",
    "secret_sealed",
    "certificate_pem",
    "certificate_thumbprint_sha1",
    "certificate_thumbprint_sha256",
    "certificate_expires_at",
    "private_key_sealed",
)


def credential_open(fields: Mapping[str, Any], box: SecretBox | None = None) -> Credential:
    """The held credential, its secret part unsealed (for a call to Microsoft, never kept)."""
    box = box or secret_box()
    if fields["credential_kind"] == CredentialKind.CERTIFICATE:
        return ClientCertificate(
            certificate_pem=fields["certificate_pem"],
            private_key_pem=box.open(fields["private_key_sealed"]),
            thumbprint_sha1=fields["certificate_thumbprint_sha1"],
            thumbprint_sha256=fields["certificate_thumbprint_sha256"],
            expires_at=fields["certificate_expires_at"],
        )
    return ClientSecret(box.open(fields["secret_sealed"]))


def held_credential(holder: HeldCredentials) -> Credential:
    return credential_open({name: getattr(holder, name) for name in OPENED_FIELDS})


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
    a batch of the bulk job as for a single Validate Authentication. Rows are built from ids,
    not instances: the related-object descriptors cost a sixtieth of the bulk job's CPU."""
    runs = ValidationRun.objects.bulk_create(
        [
            ValidationRun(
                service_id=item.service.pk if item.service is not None else None,
                invitation_id=item.invitation.pk if item.invitation is not None else None,
                job_id=job.pk if job is not None else None,
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
    credential: Credential | None = None,
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
        credential=credential,
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
    with live_validation_slot(service):
        result = validate_live(
            tenant=connection.tenant_id,
            client_id=connection.client_id,
            credential=held_credential(connection),
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
        credential=ClientSecret(client_secret),
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
                credential=ClientSecret(client_secret),
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
