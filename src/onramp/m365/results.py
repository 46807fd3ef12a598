"""The outcome of one validation, shaped like CONTRACT.md's Validation object."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

CHECK_NAMES = (
    "tenant",
    "credentials",
    "tenant_match",
    "permissions",
    "teams_access",
    "organization",
    "secret_expiry",
)
# What the pages call each check: one table for the operator pages and the customer's wizard.
CHECK_LABELS = {
    "tenant": "Tenant exists",
    "credentials": "Credentials accepted",
    "tenant_match": "Tenant matches",
    "permissions": "Microsoft Graph permissions",
    "teams_access": "Teams admin access",
    "organization": "Tenant identity",
    "secret_expiry": "Client secret expiry",
}
TRANSIENT_REASONS = frozenset({"throttled", "microsoft_unavailable"})


class CheckState(enum.StrEnum):
    """How a check ended; a ``StrEnum`` (not Django's ``TextChoices``), as m365 takes nothing
    from Django, and stored by value in the result JSON."""

    OK = "ok"
    FAILED = "failed"
    NOT_RUN = "not-run"  # an earlier check failed, so this one was never asked


@dataclass(frozen=True)
class Check:
    name: str
    state: CheckState
    message: str

    @property
    def ok(self) -> bool:
        return self.state is CheckState.OK


@dataclass(frozen=True)
class TenantInfo:
    id: str
    display_name: str | None
    default_domain: str | None


@dataclass
class ValidationResult:
    ok: bool
    validated_at: datetime
    reason: str | None
    message: str
    checks: list[Check]
    tenant: TenantInfo | None = None
    missing_permissions: list[str] = field(default_factory=list)
    granted_permissions: list[str] = field(default_factory=list)
    assigned_roles: list[str] = field(default_factory=list)
    client_secret_hint: str | None = None
    client_secret_expires_at: datetime | None = None
    expiry_ambiguous: bool = False
    retry_after: int | None = None

    @property
    def transient(self) -> bool:
        """Microsoft gave no verdict (throttled, unreachable): never a reason to distrust creds."""
        return self.reason in TRANSIENT_REASONS

    @property
    def credentials_accepted(self) -> bool:
        return any(check.name == "credentials" and check.ok for check in self.checks)

    def days_until_expire(self, today: date) -> int | None:
        if self.client_secret_expires_at is None:
            return None
        return (self.client_secret_expires_at.astimezone(UTC).date() - today).days

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "validated_at": format_utc(self.validated_at),
            "reason": self.reason,
            "message": self.message,
            "tenant": None
            if self.tenant is None
            else {
                "id": self.tenant.id,
                "display_name": self.tenant.display_name,
                "default_domain": self.tenant.default_domain,
            },
            "missing_permissions": list(self.missing_permissions),
            "client_secret_expires_at": format_utc(self.client_secret_expires_at),
            "client_secret_days_until_expire": self.days_until_expire(self.validated_at.date()),
            "checks": [
                {"name": c.name, "ok": c.ok, "state": c.state.value, "message": c.message}
                for c in self.checks
            ],
        }


def format_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with ``Z``, as every timestamp in the API."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
