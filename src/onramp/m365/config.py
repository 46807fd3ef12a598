"""Where Microsoft is and what a connection must hold, taken from settings (CONTRACT.md §3)."""

from __future__ import annotations

from dataclasses import dataclass

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
TEAMS_ADMIN_API_APP_ID = "48ac35b8-9aa8-4d74-927d-1f4a14a0b239"
TEAMS_SCOPE = f"{TEAMS_ADMIN_API_APP_ID}/.default"

# Directory role template ids, as they appear in an app-only token's ``wids`` claim.
DIRECTORY_ROLE_TEMPLATE_IDS = {
    "Teams Administrator": "69091246-20e8-4a56-aa4d-066075b2a7a8",
    "Teams Communications Administrator": "baf37b3a-610e-45da-9e62-d9d1e5e8914b",
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
}
ROLE_NAMES_BY_TEMPLATE_ID = {value: key for key, value in DIRECTORY_ROLE_TEMPLATE_IDS.items()}


@dataclass(frozen=True)
class MicrosoftConfig:
    authority: str = "https://login.microsoftonline.com"
    graph: str = "https://graph.microsoft.com"
    ca_bundle: str | None = None
    timeout_seconds: float = 15.0
    required_permissions: tuple[str, ...] = (
        "Organization.Read.All",
        "Application.Read.All",
        "User.ReadWrite.All",
        "Domain.ReadWrite.All",
    )
    required_roles: tuple[str, ...] = ("Teams Administrator",)

    @classmethod
    def from_settings(cls) -> MicrosoftConfig:
        from django.conf import settings

        return cls(
            authority=settings.MICROSOFT_AUTHORITY,
            graph=settings.MICROSOFT_GRAPH,
            ca_bundle=settings.MICROSOFT_CA_BUNDLE,
            timeout_seconds=float(settings.MICROSOFT_TIMEOUT_SECONDS),
            required_permissions=tuple(settings.REQUIRED_GRAPH_PERMISSIONS),
            required_roles=tuple(settings.REQUIRED_DIRECTORY_ROLES),
        )

    def discovery_url(self, tenant: str) -> str:
        return f"{self.authority}/{tenant}/v2.0/.well-known/openid-configuration"

    def graph_batch_url(self) -> str:
        return f"{self.graph}/v1.0/$batch"
