"""The provider's DNS backend (CONTRACT §4 ``GET/PUT /providers/{id}/dns``, ``POST …/dns/test``).

Settings are kept in clear except the secret ones (the TSIG key, a hosted service's token,
password or key), which are sealed together with ``core.crypto`` and never shown back: a PUT
that leaves one out for the same backend keeps the stored one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from onramp.accounts.scoping import require_actor
from onramp.audit.services import audit_record
from onramp.core.actors import Actor
from onramp.core.crypto import secret_box
from onramp.core.errors import InvalidInput, InvalidState
from onramp.directrouting.dns import Backend, DnsError, backend_from_settings
from onramp.directrouting.models import DnsSettings
from onramp.tenancy.models import Provider

SECRET_WORDS = ("secret", "token", "password", "key")
NOT_CONFIGURED = "The provider has no DNS backend yet: choose one in its Direct Routing settings."


@dataclass(frozen=True)
class DnsTest:
    ok: bool
    message: str


def is_secret_setting(backend: str, name: str) -> bool:
    """``key_secret`` for rfc2136; a hosted service's option naming a token, password, secret
    or key (``auth_token``, ``auth_application_secret`` …); nothing of ``manual``."""
    if backend == "manual":
        return False
    if backend == "rfc2136":
        return name == "key_secret"
    return any(word in name for word in SECRET_WORDS)


def dns_settings_shown(provider: Provider) -> dict[str, Any] | None:
    """``{backend, settings}`` without the secret settings (their names in ``secrets_set``)."""
    row = DnsSettings.objects.filter(provider=provider).first()
    if row is None:
        return None
    return {"backend": row.backend, "settings": dict(row.settings), "secrets_set": _names(row)}


def dns_settings_read(*, actor: Actor, provider: Provider) -> dict[str, Any] | None:
    require_actor(actor, "provider.settings")
    return dns_settings_shown(provider)


def dns_settings_set(
    *, actor: Actor, provider: Provider, backend: str, settings: dict[str, Any]
) -> dict[str, Any]:
    """Store the backend and its settings without testing them (a missing or unknown setting
    is refused on ``settings``); omitted secrets of the same backend are kept."""
    require_actor(actor, "provider.settings")
    backend = backend.strip()
    values = {name: value for name, value in settings.items() if value not in ("", None)}
    with transaction.atomic():
        row = DnsSettings.objects.select_for_update().filter(provider=provider).first()
        kept = _secrets(row) if row is not None and row.backend == backend else {}
        merged = {**kept, **values}
        try:
            backend_from_settings(backend, merged)
        except DnsError as exc:
            raise InvalidInput({"settings": [exc.message]}) from None
        public = {k: v for k, v in merged.items() if not is_secret_setting(backend, k)}
        secret = {k: v for k, v in merged.items() if is_secret_setting(backend, k)}
        old = None if row is None else {"backend": row.backend, "settings": row.settings}
        row = row or DnsSettings(provider=provider)
        row.backend, row.settings = backend, public
        row.secrets_sealed = secret_box().seal(json.dumps(secret)) if secret else ""
        row.secrets_key_id = secret_box().current_key_id if secret else ""
        row.save()
        audit_record(
            actor=actor,
            action="provider.dns_changed",
            target=provider,
            provider_id=provider.pk,
            old=old,
            new={"backend": backend, "settings": public, "secrets_set": sorted(secret)},
        )
    return {"backend": backend, "settings": public, "secrets_set": sorted(secret)}


def dns_backend_for(provider: Provider) -> Backend:
    """The configured backend with its secrets opened (for the steps and Test DNS)."""
    row = DnsSettings.objects.filter(provider=provider).first()
    if row is None:
        raise DnsError(NOT_CONFIGURED, transient=False)
    return backend_from_settings(row.backend, {**row.settings, **_secrets(row)})


def dns_test(*, actor: Actor, provider: Provider) -> DnsTest:
    """Test DNS: the backend creates, reads back and deletes a probe record. The result is
    audited (never a secret: ``DnsError`` messages hold none)."""
    require_actor(actor, "provider.settings")
    if not DnsSettings.objects.filter(provider=provider).exists():
        raise InvalidState(NOT_CONFIGURED)
    try:
        result = DnsTest(True, dns_backend_for(provider).test())
    except DnsError as exc:
        result = DnsTest(False, exc.message)
    audit_record(
        actor=actor,
        action="provider.dns_tested",
        target=provider,
        provider_id=provider.pk,
        new={"ok": result.ok, "message": result.message},
    )
    return result


def _secrets(row: DnsSettings) -> dict[str, Any]:
    return json.loads(secret_box().open(row.secrets_sealed)) if row.secrets_sealed else {}


def _names(row: DnsSettings) -> list[str]:
    return sorted(_secrets(row))
