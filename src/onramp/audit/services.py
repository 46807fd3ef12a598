"""Writing audit events. Called inside the transaction of the change being recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone

from onramp.audit.models import AuditEvent
from onramp.core.actors import Actor
from onramp.core.request_context import current_request

# Keys whose values are secrets: never stored, whatever the caller passes.
SECRET_KEYS = frozenset(
    {
        "client_secret",
        "secret",
        "secret_sealed",
        "token",
        "token_hash",
        "link",
        "password",
        "payload_sealed",
        "private_key",
        "private_key_pem",
        "private_key_sealed",
        "key_secret",
        "secrets_sealed",
        "auth_token",
        "auth_password",
    }
)


@dataclass(frozen=True)
class AuditTarget:
    """A target that is not a row (e.g. the installation's encryption keys)."""

    type: str
    id: str
    label: str


def strip_secrets(values: dict[str, Any]) -> dict[str, Any]:
    """Without the secret keys, at any depth (DNS settings nest theirs in ``settings``)."""
    return {
        key: strip_secrets(value) if isinstance(value, dict) else value
        for key, value in values.items()
        if key not in SECRET_KEYS
    }


def _event(
    *,
    actor: Actor,
    action: str,
    target: models.Model | AuditTarget,
    provider_id: Any = None,
    customer_id: Any = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> AuditEvent:
    request = current_request()
    changes: dict[str, Any] = {}
    if old:
        changes["old"] = strip_secrets(old)
    if new:
        changes["new"] = strip_secrets(new)
    return AuditEvent(
        created_at=timezone.now(),
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        provider_id=provider_id,
        customer_id=customer_id,
        action=action,
        target_type=target.type if isinstance(target, AuditTarget) else target._meta.model_name,
        target_id=str(target.id if isinstance(target, AuditTarget) else target.pk),
        target_label=str(target.label if isinstance(target, AuditTarget) else target)[:254],
        changes=changes,
        request_id=request.request_id,
        client_ip=request.client_ip,
    )


def audit_record(**event: Any) -> AuditEvent:
    """One event: ``actor``, ``action``, ``target``, ``provider_id``, ``customer_id``, ``old``,
    ``new`` (secrets dropped whatever the caller passes)."""
    record = _event(**event)
    record.save(force_insert=True)
    return record


def audit_record_many(events: list[dict[str, Any]]) -> list[AuditEvent]:
    """Many events in one insert (a batch of the bulk re-validation), each as ``audit_record``
    takes it."""
    return AuditEvent.objects.bulk_create([_event(**event) for event in events])
