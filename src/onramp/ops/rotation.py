"""``onramp rotate-keys``: re-encrypt every stored secret under the first configured key.

Resumable and safe while Onramp runs: rows are processed in primary-key order in small
batches, and each row is only rewritten if its sealed value is still the one that was read
(a concurrent change wins and is left alone — it was sealed under the first key anyway).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction

from onramp.audit.services import AuditTarget, audit_record
from onramp.core.actors import Actor
from onramp.core.crypto import SecretUndecryptable, secret_box

BATCH = 200


class RotationError(Exception):
    """A stored secret that no configured key can open; names the row."""


@dataclass(frozen=True)
class _Column:
    model: type[models.Model]
    field: str
    key_id_field: str
    label: str


def _columns() -> list[_Column]:
    from onramp.accounts.models import AuthenticatorApp
    from onramp.connections.models import TenantConnection
    from onramp.directrouting.models import DnsSettings
    from onramp.invitations.models import Invitation
    from onramp.notifications.models import OutboxMessage

    return [
        _Column(TenantConnection, "secret_sealed", "secret_key_id", "connection of service"),
        _Column(
            TenantConnection, "private_key_sealed", "private_key_key_id", "private key of service"
        ),
        _Column(Invitation, "secret_sealed", "secret_key_id", "invitation"),
        _Column(
            Invitation,
            "private_key_sealed",
            "private_key_key_id",
            "certificate private key of invitation",
        ),
        _Column(OutboxMessage, "payload_sealed", "payload_key_id", "outbox message"),
        _Column(AuthenticatorApp, "key_sealed", "key_id", "authenticator app"),
        _Column(DnsSettings, "secrets_sealed", "secrets_key_id", "DNS settings of provider"),
    ]


def keys_rotate(*, actor: Actor, progress: Callable[[str, int], None] | None = None) -> int:
    """Re-encrypt what is not yet under the first key; returns how many values were rewritten."""
    box = secret_box()
    rewritten = 0
    for column in _columns():
        rows = column.model.objects.exclude(**{column.field: ""}).exclude(
            **{column.key_id_field: box.current_key_id}
        )
        last_pk = None
        while True:
            batch = rows.order_by("pk")
            if last_pk is not None:
                batch = batch.filter(pk__gt=last_pk)
            items = list(batch.values_list("pk", column.field)[:BATCH])
            if not items:
                break
            for pk, sealed in items:
                try:
                    fresh = box.reseal(sealed)
                except SecretUndecryptable:
                    raise RotationError(
                        f"cannot decrypt the {column.label} {pk}: no key in "
                        "ONRAMP_ENCRYPTION_KEYS opens it (was a key removed too early?)"
                    ) from None
                changes = {column.field: fresh, column.key_id_field: box.current_key_id}
                rewritten += column.model.objects.filter(pk=pk, **{column.field: sealed}).update(
                    **changes
                )
            last_pk = items[-1][0]
            if progress is not None:
                progress(column.label, rewritten)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="keys.rotated",
            target=AuditTarget("system", "encryption-keys", "Encryption keys"),
            new={"rewritten": rewritten, "key_id": box.current_key_id},
        )
    return rewritten
