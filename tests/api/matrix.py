"""The authorization matrix: every API operation (a row) with the exact status each kind of
caller must get. ``test_authorization_matrix`` runs every cell; the robustness and schema fuzz
tests walk the same operations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CALLERS = (
    "anonymous",
    "monitor",
    "operator",
    "provider_admin",
    "system_admin",
    "channel_admin",
    "customer_admin",
    "other_provider",
)
IN_SCOPE = CALLERS[1:-1]
WRITERS = ("operator", "provider_admin", "system_admin", "channel_admin")
ADMINS = ("provider_admin", "system_admin", "channel_admin", "customer_admin")


def expect(default: int | None = None, **cells: int) -> dict[str, int]:
    """Statuses per caller: ``default`` for every caller in scope, ``cells`` overriding (the
    group names writers / admins / in_scope expand), and 401 without a token, always."""
    statuses = {caller: default for caller in CALLERS[1:]}
    groups = {"writers": WRITERS, "admins": ADMINS, "in_scope": IN_SCOPE}
    for name, status in cells.items():
        for caller in groups.get(name, (name,)):
            statuses[caller] = status
    assert None not in statuses.values(), statuses
    return {"anonymous": 401, **statuses}  # type: ignore[dict-item]


# A read of an object every caller in scope sees; the other provider's admin: 404.
READ = expect(200, other_provider=404)
# A list: the other provider's admin gets its own (empty of ours) list.
LIST = expect(200)
# Onboarding writes: writers only; a customer admin may not, a monitor never.
ONBOARD = expect(403, writers=200, other_provider=404)


# The provider's own settings (SBC domains, DNS): its admins and system admins.
PROVIDER_SETTINGS = expect(403, provider_admin=200, system_admin=200, other_provider=404)


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expected: dict[str, int]
    body: dict[str, Any] | str | None = None
    params: dict[str, str] = field(default_factory=dict)
    label: str = ""

    @property
    def id(self) -> str:
        query = "?" + "&".join(f"{k}={v}" for k, v in self.params.items()) if self.params else ""
        label = f" ({self.label})" if self.label else ""
        return f"{self.method.upper()} {self.path}{query}{label}"


ROWS = [
    # --- onboarding ---
    Row(
        "post",
        "/customers",
        expect(403, writers=201, other_provider=422),
        {"name": "Fabrikam", "provider_id": "{provider}"},
    ),
    Row("get", "/customers", LIST),
    Row("get", "/customers/{customer}", READ),
    Row("patch", "/customers/{customer}", ONBOARD, {"name": "Contoso Renamed"}),
    Row("post", "/services", expect(403, writers=201, other_provider=422), "new_service"),
    Row("get", "/services", LIST, params={"customer_id": "{customer}"}),
    Row("get", "/services/{active}", READ),
    Row("delete", "/services/{invited}", expect(403, writers=204, other_provider=404)),
    Row(
        "post",
        "/services/{invited}/decommission",
        expect(403, writers=409, other_provider=404),
        {},
    ),
    Row("get", "/services/{active}/decommission", READ),
    Row("get", "/invitations", LIST),
    Row("get", "/invitations/{invitation}", READ),
    Row("post", "/invitations/{invitation}/resend", ONBOARD, {}),
    Row("post", "/invitations/{invitation}/revoke", ONBOARD, {}),
    Row("post", "/invitations/{invitation}/add", ONBOARD, {}),
    Row("get", "/services/{active}/m365", READ),
    Row(
        "post",
        "/services/{active}/m365/validate",
        expect(200, monitor=403, other_provider=404),
        {},
    ),
    Row(
        "put",
        "/services/{active}/m365/secret",
        expect(200, monitor=403, other_provider=404),
        {"client_secret": "{new_secret}"},
    ),
    Row(
        "put",
        "/services/{active}/m365/secret-expiry",
        expect(409, monitor=403, other_provider=404),
        {"expires_at": "2030-01-01T00:00:00Z"},
    ),
    Row(
        "post",
        "/services/{active}/m365/reinitiate",
        expect(403, writers=201, other_provider=404),
        {"admin_email": "admin@contoso.example"},
    ),
    # --- tenancy ---
    Row("post", "/providers", expect(403, system_admin=201), {"name": "Matrix Voice"}),
    Row("get", "/providers", LIST),
    Row("get", "/providers/{provider}", READ),
    Row(
        "patch",
        "/providers/{provider}",
        expect(403, system_admin=200, provider_admin=200, other_provider=404),
        {"sbc_domain": "sbc2.northwind.example"},
    ),
    Row(
        "patch",
        "/providers/{provider}",
        expect(403, system_admin=200, other_provider=404),
        {"name": "Northwind Renamed"},
        label="name",
    ),
    # --- direct routing ---
    Row("get", "/providers/{provider}/dns", PROVIDER_SETTINGS),
    Row(
        "put",
        "/providers/{provider}/dns",
        PROVIDER_SETTINGS,
        {"backend": "manual", "settings": {"zone": "sbc.northwind.example", "resolver": "::1"}},
    ),
    Row(
        "post",
        "/providers/{provider}/dns/test",
        expect(403, provider_admin=409, system_admin=409, other_provider=404),
        {},
    ),
    Row("get", "/direct-routing", LIST),
    Row("get", "/services/{active}/direct-routing", READ),
    Row(
        "patch",
        "/services/{active}/direct-routing",
        ONBOARD,
        {"subdomain_label": "matrix"},
    ),
    Row(
        "post",
        "/services/{active}/direct-routing",
        expect(403, writers=202, other_provider=404),
        {},
    ),
    Row(
        "post",
        "/services/{active}/direct-routing/teams-activation-confirmation",
        expect(403, writers=409, other_provider=404),
        {},
    ),
    Row("get", "/services/{active}/direct-routing/teams-script", READ),
    Row(
        "put",
        "/services/{active}/direct-routing/numbers",
        expect(403, writers=409, other_provider=404),
        [{"user_principal_name": "alice@contoso.example", "phone_number": "+442071234567"}],  # type: ignore[arg-type]
    ),
    Row(
        "post",
        "/services/{active}/direct-routing/teams-confirmation",
        expect(403, writers=409, other_provider=404),
        {},
    ),
    Row(
        "delete",
        "/services/{active}/direct-routing",
        expect(403, writers=409, other_provider=404),
    ),
    Row("get", "/services/{active}/direct-routing/teams-teardown-script", READ),
    Row(
        "post",
        "/services/{active}/direct-routing/teams-teardown-confirmation",
        expect(403, writers=409, other_provider=404),
        {},
    ),
    Row(
        "post",
        "/channels",
        expect(403, operator=201, provider_admin=201, system_admin=201, other_provider=422),
        {"name": "Matrix Channel", "provider_id": "{provider}"},
    ),
    Row("get", "/channels", LIST),
    Row("get", "/channels/{channel}", expect(200, customer_admin=404, other_provider=404)),
    Row(
        "patch",
        "/channels/{channel}",
        expect(
            403,
            operator=200,
            provider_admin=200,
            system_admin=200,
            customer_admin=404,
            other_provider=404,
        ),
        {"max_customers": 100},
    ),
    # --- operators and tokens ---
    Row(
        "post",
        "/operators",
        expect(403, admins=201, other_provider=422),
        {"email": "new@northwind.example", "role": "operator", "scope": "customer:{customer}"},
    ),
    Row("get", "/operators", expect(403, admins=200, other_provider=200)),
    Row("get", "/operators/{target}", expect(403, admins=200, other_provider=404)),
    Row(
        "patch",
        "/operators/{target}",
        expect(403, admins=200, other_provider=404),
        {"role": "monitor"},
    ),
    Row("delete", "/operators/{target}", expect(403, admins=204, other_provider=404)),
    Row("post", "/tokens", expect(201), {"name": "matrix", "expires_days": 7}),
    Row("get", "/tokens", LIST),
    Row("delete", "/tokens/{own_token}", expect(204), label="own"),
    Row("delete", "/tokens/{target_token}", expect(404), label="another operator's"),
    # --- audit and health ---
    Row("get", "/audit-events", LIST),
    Row("get", "/audit-events", LIST, params={"format": "csv", "target_id": "{customer}"}),
    Row("get", "/health", LIST),
    Row("get", "/health", LIST, params={"format": "csv", "band": "ok"}),
    Row(
        "post",
        "/validations",
        expect(202, monitor=403, other_provider=422),
        {"scope": "customer", "id": "{customer}"},
        label="one customer",
    ),
    Row(
        "post",
        "/validations",
        expect(403, operator=202, provider_admin=202, system_admin=202, other_provider=202),
        {"scope": "all"},
        label="all",
    ),
    Row("get", "/jobs/{job}", READ),
    Row("get", "/services/{active}/alerts", READ),
]
