"""Admin operations on one tenant: users, uploaded certificates, policies and what tests inspect."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from onramp.sandbox.catalog import DIRECTORY_ROLES, sku_id
from onramp.sandbox.credentials import KeyCredential, iso_z, utcnow
from onramp.sandbox.model import Application, Sku, Tenant, User
from onramp.sandbox.state import AdminError, World, _fields, _flag, _names, _text

_UPN = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@([a-z0-9.-]+)$", re.I)
_LOCATION = re.compile(r"^[A-Z]{2}$")
_PART = re.compile(r"^[A-Z0-9][A-Z0-9_]{0,63}$", re.I)
MAX_ACTIVATION_DELAY = 7 * 24 * 3600  # a week: Microsoft speaks of up to 48 hours


def _sku(item: Any) -> Sku:
    body = _fields(
        item, {"sku_part_number", "prepaid_units", "service_plans"}, ("sku_part_number",)
    )
    part = body["sku_part_number"]
    if not isinstance(part, str) or not _PART.match(part):
        raise AdminError(400, "sku_part_number must be a SKU part number such as ENTERPRISEPACK")
    units = body.get("prepaid_units", 0)
    if isinstance(units, bool) or not isinstance(units, int) or units < 0:
        raise AdminError(400, "prepaid_units must be a whole number, 0 or more")
    plans = _names(body, "service_plans", _PART.match) if "service_plans" in body else []
    return Sku(sku_id(part), part, units, plans)


def key_credential(der: bytes, display_name: str | None = None) -> KeyCredential:
    """A keyCredential for a certificate; raises ValueError when the bytes are no certificate."""
    certificate = x509.load_der_x509_certificate(der)
    return KeyCredential(
        key_id=str(uuid.uuid4()),
        display_name=display_name or certificate.subject.rfc4514_string(),
        key=base64.b64encode(der).decode(),
        thumbprint=base64.b64encode(hashlib.sha1(der).digest()).decode(),  # noqa: S324 - x5t
        start=certificate.not_valid_before_utc,
        end=certificate.not_valid_after_utc,
    )


def application_view(app: Application) -> dict:
    """What tests read to see exactly what was created; never a secret value."""
    return {
        "app_id": app.app_id,
        "object_id": app.object_id,
        "display_name": app.display_name,
        "permissions": list(app.permissions),
        "roles": list(app.roles),
        "owners": list(app.owners),
        "password_credentials": [
            {"key_id": s.key_id, "hint": s.hint, "end_date_time": iso_z(s.end)} for s in app.secrets
        ],
        "key_credentials": [
            {"key_id": k.key_id, "thumbprint_sha1": k.thumbprint_hex, "end_date_time": iso_z(k.end)}
            for k in app.keys
        ],
        "service_principal_id": app.service_principal_id,
    }


class TenantAdmin:
    """The per-tenant admin endpoints; each validates, changes the world and saves it."""

    def __init__(self, world: World) -> None:
        self.world = world

    def create_user(self, tenant_id: str, body: Any) -> dict:
        allowed = {"user_principal_name", "password", "roles", "eligible_roles", "usage_location"}
        body = _fields(body, allowed, ("user_principal_name", "password"))
        upn = _text(body, "user_principal_name", max_length=113)
        match = _UPN.match(upn)
        password = _text(body, "password")
        roles = _names(body, "roles", DIRECTORY_ROLES.__contains__) if "roles" in body else []
        eligible = (
            _names(body, "eligible_roles", DIRECTORY_ROLES.__contains__)
            if "eligible_roles" in body
            else []
        )
        location = body.get("usage_location")
        if location is not None and not (isinstance(location, str) and _LOCATION.match(location)):
            raise AdminError(400, "usage_location must be a two-letter country code")
        with self.world.lock:
            tenant = self.world.tenant(tenant_id)
            if match is None or match.group(1).lower() not in tenant.domains:
                raise AdminError(400, "user_principal_name must be on one of the tenant's domains")
            if tenant.find_user(upn) is not None:
                raise AdminError(409, f"user {upn!r} already exists")
            user = User(str(uuid.uuid4()), upn, password, roles, eligible, location, utcnow())
            tenant.users[user.user_id] = user
            self.world.save()
        return {"id": user.user_id}

    def add_certificate(self, tenant_id: str, app_id: str, body: Any) -> dict:
        body = _fields(body, {"certificate_pem"}, ("certificate_pem",))
        text = body["certificate_pem"]
        try:
            if not isinstance(text, str):
                raise ValueError
            der = x509.load_pem_x509_certificate(text.encode()).public_bytes(
                serialization.Encoding.DER
            )
            key = key_credential(der)
        except ValueError:
            raise AdminError(400, "certificate_pem must be a PEM X.509 certificate") from None
        with self.world.lock:
            self.world.app(tenant_id, app_id).keys.append(key)
            self.world.save()
        return {
            "key_id": key.key_id,
            "thumbprint_sha1": key.thumbprint_hex,
            "start_date_time": iso_z(key.start),
            "end_date_time": iso_z(key.end),
        }

    def applications(self, tenant_id: str) -> list[dict]:
        with self.world.lock:
            tenant = self.world.tenant(tenant_id)
            return [application_view(app) for app in tenant.applications.values()]

    def tenant_view(self, tenant_id: str) -> dict:
        with self.world.lock:
            tenant: Tenant = self.world.tenant(tenant_id)
            return {
                "tenant_id": tenant.tenant_id,
                "display_name": tenant.display_name,
                "domains": [
                    {"id": domain, "is_verified": domain in tenant.domains}
                    for domain in tenant.all_domains()
                ],
                "users": [
                    {
                        "id": u.user_id,
                        "user_principal_name": u.user_principal_name,
                        "assigned_licenses": [
                            sku.sku_part_number
                            for sku_id in u.licenses
                            if (sku := tenant.sku(sku_id))
                        ],
                    }
                    for u in tenant.users.values()
                ],
                "deleted_users": [
                    {"id": u.user_id, "user_principal_name": u.user_principal_name}
                    for u in tenant.deleted_users.values()
                ],
                "telephone_numbers": [
                    {"telephone_number": number, "assigned_to": held["assignmentTargetId"]}
                    for number, held in sorted(tenant.numbers.items())
                ],
                "applications": [application_view(app) for app in tenant.applications.values()],
            }

    def set_skus(self, tenant_id: str, body: Any) -> list[dict]:
        """Replace the tenant's subscriptions; licenses of SKUs left out are removed from users."""
        if not isinstance(body, list):
            raise AdminError(400, "the body must be a JSON list of SKUs")
        skus = [_sku(item) for item in body]
        if len({sku.sku_id for sku in skus}) != len(skus):
            raise AdminError(400, "each sku_part_number may appear once")
        with self.world.lock:
            tenant = self.world.tenant(tenant_id)
            tenant.skus = skus
            kept = {sku.sku_id for sku in skus}
            for user in [*tenant.users.values(), *tenant.deleted_users.values()]:
                user.licenses = [s for s in user.licenses if s in kept]
            self.world.save()
            return [
                {**sku.dump(), "consumed_units": tenant.consumed_units(sku.sku_id)} for sku in skus
            ]

    def set_teams_activation(self, tenant_id: str, body: Any) -> dict:
        body = _fields(body, {"delay_seconds"}, ("delay_seconds",))
        delay = body["delay_seconds"]
        if (
            isinstance(delay, bool)
            or not isinstance(delay, int)
            or not 0 <= delay <= MAX_ACTIVATION_DELAY
        ):
            raise AdminError(
                400, f"delay_seconds must be a whole number from 0 to {MAX_ACTIVATION_DELAY}"
            )
        with self.world.lock:
            self.world.tenant(tenant_id).teams_activation_delay = delay
            self.world.save()
        return {"delay_seconds": delay}

    def set_policy(self, tenant_id: str, body: Any) -> dict:
        body = _fields(body, {"passwords_allowed", "max_password_lifetime_days"})
        allowed = _flag(body, "passwords_allowed") if "passwords_allowed" in body else True
        days = body.get("max_password_lifetime_days")
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
            raise AdminError(400, "max_password_lifetime_days must be null or a positive integer")
        policy = {"passwords_allowed": allowed, "max_password_lifetime_days": days}
        with self.world.lock:
            self.world.tenant(tenant_id).policy = policy
            self.world.save()
        return policy

    def set_conditional_access(self, tenant_id: str, body: Any) -> dict:
        body = _fields(body, {"block_device_code", "block_sign_in"})
        rules = {
            key: _flag(body, key) if key in body else False
            for key in ("block_device_code", "block_sign_in")
        }
        with self.world.lock:
            self.world.tenant(tenant_id).conditional_access = rules
            self.world.save()
        return rules
