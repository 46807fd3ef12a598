"""A typed client for the sandbox's admin API, used by the tests and the product's demo.

It keeps its own `requests.Session` with `trust_env = False`: this machine exports
REQUESTS_CA_BUNDLE, which would otherwise override `verify` and reject the sandbox CA.
"""

from __future__ import annotations

from typing import Any

import requests


class SandboxAdminError(RuntimeError):
    """The admin API answered with a non-2xx status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"sandbox admin API answered {status}: {message}")
        self.status = status


class SandboxAdmin:
    def __init__(self, base_url: str, ca_path: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = ca_path

    def _call(self, method: str, path: str, body: dict | list | None = None) -> Any:
        response = self.session.request(
            method, f"{self.base_url}/_sandbox{path}", json=body, timeout=self.timeout
        )
        if not 200 <= response.status_code < 300:
            try:
                message = response.json().get("error", response.text)
            except ValueError:
                message = response.text
            raise SandboxAdminError(response.status_code, message)
        return response.json() if response.content else None

    def create_tenant(
        self, display_name: str, domains: list[str] | None = None, teams: bool = True
    ) -> dict:
        """Returns {tenant_id, default_domain}."""
        body: dict[str, Any] = {"display_name": display_name, "teams": teams}
        if domains is not None:
            body["domains"] = domains
        return self._call("POST", "/tenants", body)

    def create_application(
        self,
        tenant_id: str,
        display_name: str,
        permissions: list[str] | None = None,
        roles: list[str] | None = None,
        enabled: bool = True,
        **fields: Any,
    ) -> dict:
        """Returns {app_id, object_id, service_principal_id}.

        Fields: sign_in_audience, redirect_uris, public_client (the sign-in app's settings).
        """
        body = {
            "display_name": display_name,
            "permissions": permissions or [],
            "roles": roles or [],
            "enabled": enabled,
            **fields,
        }
        return self._call("POST", f"/tenants/{tenant_id}/applications", body)

    def update_application(self, tenant_id: str, app_id: str, **fields: Any) -> dict:
        """Change any of permissions, roles, enabled, redirect_uris, owners (object ids of the
        tenant's users or service principals); returns the application's state."""
        return self._call("PATCH", f"/tenants/{tenant_id}/applications/{app_id}", fields)

    def add_secret(self, tenant_id: str, app_id: str, **fields: Any) -> dict:
        """Fields: display_name, start_date_time, end_date_time, secret_text (all optional).

        Returns {key_id, secret_text, hint, start_date_time, end_date_time}.
        """
        return self._call("POST", f"/tenants/{tenant_id}/applications/{app_id}/secrets", fields)

    def delete_secret(self, tenant_id: str, app_id: str, key_id: str) -> None:
        self._call("DELETE", f"/tenants/{tenant_id}/applications/{app_id}/secrets/{key_id}")

    def create_user(
        self, tenant_id: str, user_principal_name: str, password: str, **fields: Any
    ) -> dict:
        """Fields: roles, eligible_roles (PIM, not active), usage_location. Returns {id}."""
        body = {"user_principal_name": user_principal_name, "password": password, **fields}
        return self._call("POST", f"/tenants/{tenant_id}/users", body)

    def add_certificate(self, tenant_id: str, app_id: str, certificate_pem: str) -> dict:
        """Returns {key_id, thumbprint_sha1, start_date_time, end_date_time}."""
        path = f"/tenants/{tenant_id}/applications/{app_id}/certificates"
        return self._call("POST", path, {"certificate_pem": certificate_pem})

    def set_policy(self, tenant_id: str, **fields: Any) -> dict:
        """Fields: passwords_allowed, max_password_lifetime_days."""
        return self._call("PUT", f"/tenants/{tenant_id}/policy", fields)

    def set_conditional_access(self, tenant_id: str, **fields: Any) -> dict:
        """Fields: block_device_code, block_sign_in."""
        return self._call("PUT", f"/tenants/{tenant_id}/conditional-access", fields)

    def set_skus(self, tenant_id: str, skus: list[dict]) -> list[dict]:
        """Replace the tenant's subscriptions: [{sku_part_number, prepaid_units, service_plans}].

        Returns them with sku_id and consumed_units."""
        return self._call("PUT", f"/tenants/{tenant_id}/skus", skus)

    def set_teams_activation(self, tenant_id: str, delay_seconds: int) -> dict:
        """How long after a licensed user appears on a verified domain Teams activates it."""
        path = f"/tenants/{tenant_id}/teams-activation"
        return self._call("PUT", path, {"delay_seconds": delay_seconds})

    def set_dns(self, resolver: str | None, api_key: str | None = None) -> dict:
        """Where `verify` resolves TXT records: "HOST:PORT", or None for the sandbox's zones;
        ``api_key`` for its DNS-hosting API (PowerDNS's X-API-Key; None: the default)."""
        body: dict[str, Any] = {"resolver": resolver}
        if api_key is not None:
            body["api_key"] = api_key
        return self._call("PUT", "/dns", body)

    def create_zone(self, name: str) -> dict:
        """Host a DNS zone (served by the PowerDNS-shaped API under /powerdns). Returns {name}."""
        return self._call("POST", "/dns/zones", {"name": name})

    def dns(self) -> dict:
        """{resolver, zones: {"zone.": ["owner. ttl IN TYPE content", ...]}}."""
        return self._call("GET", "/dns")

    def applications(self, tenant_id: str) -> list[dict]:
        """The application objects homed in the tenant, without secret values."""
        return self._call("GET", f"/tenants/{tenant_id}/applications")

    def tenant(self, tenant_id: str) -> dict:
        return self._call("GET", f"/tenants/{tenant_id}")

    def set_faults(self, **fields: Any) -> dict:
        """Fields: latency_ms, status, rate, retry_after, paths ("token", "graph" or "all")."""
        return self._call("PUT", "/faults", fields)

    def clear_faults(self) -> dict:
        return self._call("PUT", "/faults", {})

    def requests_served(self) -> list[dict]:
        """Client traffic so far (method, path, status, time on the directory's clock), newest
        last."""
        return self._call("GET", "/requests")["requests"]

    def requests_total(self) -> int:
        """How many client requests were served since the start or the last reset."""
        return self._call("GET", "/requests")["total"]

    def requests_by_kind(self) -> dict[str, int]:
        """That total split by kind: {"identity": n, "graph": n, "dns": n} (kinds served)."""
        return self._call("GET", "/requests")["by_kind"]

    def set_clock(self, now: str | None) -> dict:
        """Pins the directory's clock (ISO 8601) to the tests' "now"; None returns to the wall."""
        return self._call("PUT", "/clock", {"now": now})

    def reset(self) -> None:
        self._call("POST", "/reset")
