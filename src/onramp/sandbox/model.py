"""The sandbox's world: tenants, their users, app registrations, service principals and grants.

Credentials and date-time helpers live in `credentials.py`.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from onramp.sandbox.catalog import GRAPH_APP_ID, TEAMS_APP_ID
from onramp.sandbox.credentials import (
    KeyCredential,
    Secret,
    iso_z,
    opt_iso,
    opt_parse,
    parse_iso,
)


def stable_id(*parts: str) -> str:
    """A Graph-looking opaque id derived from its parts, so recomputing it gives the same."""
    digest = hashlib.sha256(":".join(parts).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Application:
    """An app registration homed in its tenant, with its service principal there (if any)."""

    app_id: str
    object_id: str
    service_principal_id: str | None
    display_name: str
    permissions: list[str]  # granted Microsoft Graph application permissions
    roles: list[str]  # directory role names held by the service principal
    enabled: bool
    created: datetime
    secrets: list[Secret] = field(default_factory=list)
    keys: list[KeyCredential] = field(default_factory=list)
    teams_permissions: list[str] = field(default_factory=list)
    sign_in_audience: str = "AzureADMyOrg"
    redirect_uris: list[str] = field(default_factory=list)
    public_client: bool = False
    graph: dict = field(default_factory=dict)  # Graph properties set by POST/PATCH as sent
    owners: list[str] = field(default_factory=list)  # user or service principal object ids
    visible_at: datetime | None = None
    sp_created: datetime | None = None
    sp_visible_at: datetime | None = None

    def public(self) -> dict:
        return {
            "app_id": self.app_id,
            "object_id": self.object_id,
            "service_principal_id": self.service_principal_id,
            "display_name": self.display_name,
            "permissions": list(self.permissions),
            "roles": list(self.roles),
            "enabled": self.enabled,
            "redirect_uris": list(self.redirect_uris),
            "secrets": [secret.public() for secret in self.secrets],
        }

    def dump(self) -> dict:
        data = self.public()
        data.update(
            created=iso_z(self.created),
            secrets=[secret.dump() for secret in self.secrets],
            keys=[key.dump() for key in self.keys],
            teams_permissions=list(self.teams_permissions),
            sign_in_audience=self.sign_in_audience,
            redirect_uris=list(self.redirect_uris),
            public_client=self.public_client,
            graph=self.graph,
            owners=list(self.owners),
            visible=opt_iso(self.visible_at),
            sp_created=opt_iso(self.sp_created),
            sp_visible=opt_iso(self.sp_visible_at),
        )
        return data

    @classmethod
    def load(cls, data: dict) -> Application:
        return cls(
            data["app_id"],
            data["object_id"],
            data["service_principal_id"],
            data["display_name"],
            list(data["permissions"]),
            list(data["roles"]),
            bool(data["enabled"]),
            parse_iso(data["created"]),
            [Secret.load(item) for item in data["secrets"]],
            [KeyCredential.load(item) for item in data.get("keys", [])],
            list(data.get("teams_permissions", [])),
            data.get("sign_in_audience", "AzureADMyOrg"),
            list(data.get("redirect_uris", [])),
            bool(data.get("public_client", False)),
            dict(data.get("graph", {})),
            list(data.get("owners", [])),
            opt_parse(data.get("visible")),
            opt_parse(data.get("sp_created")),
            opt_parse(data.get("sp_visible")),
        )


@dataclass
class ServicePrincipal:
    """The service principal of another tenant's multi-tenant application, made on consent."""

    service_principal_id: str
    app_id: str
    display_name: str
    home_tenant_id: str
    created: datetime
    permissions: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    teams_permissions: list[str] = field(default_factory=list)
    enabled: bool = True
    visible_at: datetime | None = None

    def dump(self) -> dict:
        return {
            "service_principal_id": self.service_principal_id,
            "app_id": self.app_id,
            "display_name": self.display_name,
            "home_tenant_id": self.home_tenant_id,
            "created": iso_z(self.created),
            "permissions": list(self.permissions),
            "roles": list(self.roles),
            "teams_permissions": list(self.teams_permissions),
            "enabled": self.enabled,
            "visible": opt_iso(self.visible_at),
        }

    @classmethod
    def load(cls, data: dict) -> ServicePrincipal:
        return cls(
            data["service_principal_id"],
            data["app_id"],
            data["display_name"],
            data["home_tenant_id"],
            parse_iso(data["created"]),
            list(data["permissions"]),
            list(data["roles"]),
            list(data["teams_permissions"]),
            bool(data["enabled"]),
            opt_parse(data.get("visible")),
        )


Principal = Application | ServicePrincipal


@dataclass
class User:
    """A member who can sign in; `eligible_roles` are PIM-eligible, not active (no `wids`)."""

    user_id: str
    user_principal_name: str
    password: str
    roles: list[str]
    eligible_roles: list[str]
    usage_location: str | None
    created: datetime
    licenses: list[str] = field(default_factory=list)  # sku ids, in assignment order
    licensed_at: datetime | None = None  # when the last license was added (Teams activation)
    deleted_at: datetime | None = None  # soft-deleted: in `Tenant.deleted_users` until purged
    graph: dict = field(default_factory=dict)  # Graph properties set by POST/PATCH as sent

    @property
    def domain(self) -> str:
        return self.user_principal_name.rpartition("@")[2].lower()

    def dump(self) -> dict:
        return {
            "id": self.user_id,
            "user_principal_name": self.user_principal_name,
            "password": self.password,
            "roles": list(self.roles),
            "eligible_roles": list(self.eligible_roles),
            "usage_location": self.usage_location,
            "created": iso_z(self.created),
            "licenses": list(self.licenses),
            "licensed_at": opt_iso(self.licensed_at),
            "deleted_at": opt_iso(self.deleted_at),
            "graph": self.graph,
        }

    @classmethod
    def load(cls, data: dict) -> User:
        return cls(
            data["id"],
            data["user_principal_name"],
            data["password"],
            list(data["roles"]),
            list(data["eligible_roles"]),
            data["usage_location"],
            parse_iso(data["created"]),
            list(data.get("licenses", [])),
            opt_parse(data.get("licensed_at")),
            opt_parse(data.get("deleted_at")),
            dict(data.get("graph", {})),
        )


@dataclass
class Sku:
    """A subscription the tenant bought: `prepaid_units` seats of a SKU and its service plans."""

    sku_id: str
    sku_part_number: str
    prepaid_units: int
    service_plans: list[str]  # plan names, e.g. TEAMS1, MCOEV

    def dump(self) -> dict:
        return {
            "sku_id": self.sku_id,
            "sku_part_number": self.sku_part_number,
            "prepaid_units": self.prepaid_units,
            "service_plans": list(self.service_plans),
        }

    @classmethod
    def load(cls, data: dict) -> Sku:
        return cls(
            data["sku_id"],
            data["sku_part_number"],
            int(data["prepaid_units"]),
            list(data["service_plans"]),
        )


@dataclass
class PermissionGrant:
    """An oauth2PermissionGrant: delegated scopes a client may use (everyone's or one user's)."""

    grant_id: str
    client_id: str  # service principal object id of the client
    resource_id: str  # service principal object id of the API (Graph)
    consent_type: str  # "AllPrincipals" or "Principal"
    principal_id: str | None
    scope: str

    def dump(self) -> dict:
        return {
            "id": self.grant_id,
            "clientId": self.client_id,
            "consentType": self.consent_type,
            "principalId": self.principal_id,
            "resourceId": self.resource_id,
            "scope": self.scope,
        }

    @classmethod
    def load(cls, data: dict) -> PermissionGrant:
        return cls(
            data["id"],
            data["clientId"],
            data["resourceId"],
            data["consentType"],
            data["principalId"],
            data["scope"],
        )


@dataclass
class Tenant:
    tenant_id: str
    display_name: str
    domains: list[str]  # the first is the initial <slug>.onmicrosoft.com domain
    teams: bool
    created: datetime
    applications: dict[str, Application] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    foreign: dict[str, ServicePrincipal] = field(default_factory=dict)  # by app id
    grants: list[PermissionGrant] = field(default_factory=list)
    policy: dict = field(default_factory=dict)  # passwords_allowed, max_password_lifetime_days
    conditional_access: dict = field(default_factory=dict)  # block_device_code, block_sign_in
    unverified: list[str] = field(default_factory=list)  # added through Graph, not yet verified
    verified_at: dict[str, datetime] = field(default_factory=dict)  # verified through Graph
    skus: list[Sku] = field(default_factory=list)
    deleted_users: dict[str, User] = field(default_factory=dict)  # soft-deleted, by id
    teams_activation_delay: int = 0  # seconds from licensed user on verified domain to Teams
    numbers: dict[str, dict] = field(default_factory=dict)  # "+E164" -> Teams number assignment
    operations: dict[str, dict] = field(default_factory=dict)  # Teams number operations, by id

    @property
    def default_domain(self) -> str:
        return self.domains[0]

    def resource_sp_id(self, resource_app_id: str) -> str:
        """Object id of a first-party service principal (Graph, Teams) in this tenant."""
        return str(uuid.uuid5(uuid.UUID(self.tenant_id), resource_app_id))

    def first_party_sp_ids(self) -> dict[str, str]:
        """Service principal id -> app id of Graph and (with Teams) the Teams admin API."""
        ids = {self.resource_sp_id(GRAPH_APP_ID): GRAPH_APP_ID}
        if self.teams:
            ids[self.resource_sp_id(TEAMS_APP_ID)] = TEAMS_APP_ID
        return ids

    def principals(self) -> list[Principal]:
        """Every service principal of a registered app in this tenant, home or foreign."""
        homes: list[Principal] = [a for a in self.applications.values() if a.service_principal_id]
        return homes + list(self.foreign.values())

    def find_sp(self, sp_id: str) -> Principal | None:
        return next((p for p in self.principals() if p.service_principal_id == sp_id), None)

    def principal_for(self, app_id: str) -> Principal | None:
        """The service principal of an app in this tenant (None when it has none)."""
        app = self.applications.get(app_id.lower())
        if app is not None:
            return app if app.service_principal_id else None
        return self.foreign.get(app_id.lower())

    def all_domains(self) -> list[str]:
        """Verified domains, then the ones added but not yet verified."""
        return [*self.domains, *self.unverified]

    def sku(self, sku_id: str) -> Sku | None:
        return next((s for s in self.skus if s.sku_id == sku_id.lower()), None)

    def consumed_units(self, sku_id: str) -> int:
        """Seats taken: licenses of users not deleted (a soft delete frees the seat)."""
        return sum(sku_id in u.licenses for u in self.users.values())

    def find_user(self, name: str) -> User | None:
        key = name.lower()
        return next(
            (u for u in self.users.values() if key in (u.user_id, u.user_principal_name.lower())),
            None,
        )

    def dump(self) -> dict:
        return {
            "tenant_id": self.tenant_id,
            "display_name": self.display_name,
            "domains": list(self.domains),
            "teams": self.teams,
            "created": iso_z(self.created),
            "applications": [app.dump() for app in self.applications.values()],
            "users": [user.dump() for user in self.users.values()],
            "foreign": [sp.dump() for sp in self.foreign.values()],
            "grants": [grant.dump() for grant in self.grants],
            "policy": self.policy,
            "conditional_access": self.conditional_access,
            "unverified": list(self.unverified),
            "verified_at": {name: iso_z(moment) for name, moment in self.verified_at.items()},
            "skus": [sku.dump() for sku in self.skus],
            "deleted_users": [user.dump() for user in self.deleted_users.values()],
            "teams_activation_delay": self.teams_activation_delay,
            "numbers": self.numbers,
            "operations": self.operations,
        }

    @classmethod
    def load(cls, data: dict) -> Tenant:
        apps = [Application.load(item) for item in data["applications"]]
        users = [User.load(item) for item in data.get("users", [])]
        foreign = [ServicePrincipal.load(item) for item in data.get("foreign", [])]
        deleted = [User.load(item) for item in data.get("deleted_users", [])]
        return cls(
            data["tenant_id"],
            data["display_name"],
            list(data["domains"]),
            bool(data["teams"]),
            parse_iso(data["created"]),
            {app.app_id: app for app in apps},
            {user.user_id: user for user in users},
            {sp.app_id: sp for sp in foreign},
            [PermissionGrant.load(item) for item in data.get("grants", [])],
            dict(data.get("policy", {})),
            dict(data.get("conditional_access", {})),
            list(data.get("unverified", [])),
            {name: parse_iso(text) for name, text in data.get("verified_at", {}).items()},
            [Sku.load(item) for item in data.get("skus", [])],
            {user.user_id: user for user in deleted},
            int(data.get("teams_activation_delay", 0)),
            dict(data.get("numbers", {})),
            dict(data.get("operations", {})),
        )
