"""The sandbox's world: tenants, app registrations and secrets, plus Microsoft's fixed catalogs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
TEAMS_APP_ID = "48ac35b8-9aa8-4d74-927d-1f4a14a0b239"
GRAPH_RESOURCES = frozenset({"https://graph.microsoft.com", GRAPH_APP_ID})
TEAMS_RESOURCES = frozenset({TEAMS_APP_ID, "https://api.interfaces.records.teams.microsoft.com"})

# Directory role name -> role template id (what `wids` carries).
DIRECTORY_ROLES = {
    "Teams Administrator": "69091246-20e8-4a56-aa4d-066075b2a7a8",
    "Teams Communications Administrator": "baf37b3a-610e-45da-9e62-d9d1e5e8914b",
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
}

# Microsoft Graph application permission (app role) ids, as published by Microsoft.
GRAPH_ROLE_IDS = {
    "Organization.Read.All": "498476ce-e0fe-48b0-b801-37ba7e2685c6",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    "User.ReadWrite.All": "741f803b-c850-494e-b5df-cde7c675a1ca",
    "Domain.ReadWrite.All": "7e05723c-0bb0-42da-be95-ae9f08a6e53c",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
}
_ROLE_NAMESPACE = uuid.UUID("6f1c3d52-9d0e-4c1b-8a53-5b2f3f0d8e11")


def graph_role_id(name: str) -> str:
    """The real id for known permissions; a stable made-up one for anything else."""
    return GRAPH_ROLE_IDS.get(name) or str(uuid.uuid5(_ROLE_NAMESPACE, name))


class DirectoryClock:
    """The directory's "now": the wall clock moved by the offset a test sets with
    ``PUT /_sandbox/clock``, so credentials' dates follow the product's pinned clock. Tokens keep
    the wall clock: their lifetimes are checked by clients that know no other."""

    offset = timedelta(0)

    @classmethod
    def set(cls, moment: datetime | None) -> None:
        cls.offset = timedelta(0) if moment is None else moment - datetime.now(UTC)


def utcnow() -> datetime:
    """Now, whole seconds (Microsoft's defaults carry no meaningful fraction)."""
    return (datetime.now(UTC) + DirectoryClock.offset).replace(microsecond=0)


def iso_z(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as Graph writes date-times."""
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601; a value without zone is UTC. Raises ValueError."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass
class Secret:
    key_id: str
    display_name: str | None
    secret_text: str
    start: datetime
    end: datetime

    @property
    def hint(self) -> str:
        return self.secret_text[:3]

    def public(self) -> dict:
        """Admin-API view; the value itself is only ever shown when created."""
        return {
            "key_id": self.key_id,
            "display_name": self.display_name,
            "hint": self.hint,
            "start_date_time": iso_z(self.start),
            "end_date_time": iso_z(self.end),
        }

    def dump(self) -> dict:
        return {**self.public(), "secret_text": self.secret_text}

    @classmethod
    def load(cls, data: dict) -> Secret:
        return cls(
            data["key_id"],
            data["display_name"],
            data["secret_text"],
            parse_iso(data["start_date_time"]),
            parse_iso(data["end_date_time"]),
        )


@dataclass
class Application:
    app_id: str
    object_id: str
    service_principal_id: str
    display_name: str
    permissions: list[str]
    roles: list[str]
    enabled: bool
    created: datetime
    secrets: list[Secret] = field(default_factory=list)

    def public(self) -> dict:
        return {
            "app_id": self.app_id,
            "object_id": self.object_id,
            "service_principal_id": self.service_principal_id,
            "display_name": self.display_name,
            "permissions": list(self.permissions),
            "roles": list(self.roles),
            "enabled": self.enabled,
            "secrets": [secret.public() for secret in self.secrets],
        }

    def dump(self) -> dict:
        data = self.public()
        data["created"] = iso_z(self.created)
        data["secrets"] = [secret.dump() for secret in self.secrets]
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
        )


@dataclass
class Tenant:
    tenant_id: str
    display_name: str
    domains: list[str]  # the first is the initial <slug>.onmicrosoft.com domain
    teams: bool
    created: datetime
    applications: dict[str, Application] = field(default_factory=dict)

    @property
    def default_domain(self) -> str:
        return self.domains[0]

    def resource_sp_id(self, resource_app_id: str) -> str:
        """Object id of a first-party service principal (Graph, Teams) in this tenant."""
        return str(uuid.uuid5(uuid.UUID(self.tenant_id), resource_app_id))

    def find_sp(self, sp_id: str) -> Application | None:
        return next(
            (a for a in self.applications.values() if a.service_principal_id == sp_id), None
        )

    def dump(self) -> dict:
        return {
            "tenant_id": self.tenant_id,
            "display_name": self.display_name,
            "domains": list(self.domains),
            "teams": self.teams,
            "created": iso_z(self.created),
            "applications": [app.dump() for app in self.applications.values()],
        }

    @classmethod
    def load(cls, data: dict) -> Tenant:
        apps = [Application.load(item) for item in data["applications"]]
        return cls(
            data["tenant_id"],
            data["display_name"],
            list(data["domains"]),
            bool(data["teams"]),
            parse_iso(data["created"]),
            {app.app_id: app for app in apps},
        )
