"""Validate an app registration's credentials against Microsoft (SPEC.md "Validation").

The only place that talks to Microsoft. One validation of an already-seen tenant costs two
round trips: the Graph token, then — in parallel — one Graph ``$batch`` (organization and
application) and the Teams admin API token. Transient failures (timeouts, refused connections,
5xx, 429) come back as ``microsoft_unavailable`` / ``throttled``, never as bad credentials.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import msal

from onramp.m365.config import (
    GRAPH_SCOPE,
    ROLE_NAMES_BY_TEMPLATE_ID,
    TEAMS_SCOPE,
    MicrosoftConfig,
)
from onramp.m365.errors import (
    CONSENT_DELAY_HINT,
    MicrosoftFailure,
    from_token_error,
    message_for,
    transient_failure,
)
from onramp.m365.results import CHECK_NAMES, Check, TenantInfo, ValidationResult
from onramp.m365.transport import (
    AttemptHttpClient,
    MicrosoftTransport,
    Response,
    TransportError,
    header,
    parse_retry_after,
)

TENANT_PATTERN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
VALID_MESSAGE = "The application registration is valid."


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    message: str
    reason: str | None = None


class _Stop(Exception):
    """Ends a validation early: the check that failed and why."""

    def __init__(self, check: str, failure: MicrosoftFailure) -> None:
        super().__init__(failure.reason)
        self.check = check
        self.failure = failure


class ValidationClient:
    """Thread-safe; share one per configuration (see ``get_client``)."""

    def __init__(
        self,
        config: MicrosoftConfig,
        *,
        parallelism: int = 64,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.clock = clock
        self.transport = MicrosoftTransport(config)
        self._executor = ThreadPoolExecutor(parallelism, thread_name_prefix="m365")

    def validate(
        self,
        *,
        tenant: str,
        client_id: str,
        client_secret: str,
        expected_tenant_id: str | None = None,
        now: datetime | None = None,
    ) -> ValidationResult:
        """Days until expiry count from the date of ``now`` (default: this client's clock)."""
        run = _Run(self, tenant.strip(), client_id.strip(), client_secret, expected_tenant_id)
        run.result.validated_at = now or run.result.validated_at
        return run.execute()

    # --- the round trips -------------------------------------------------------------

    def discover_tenant(self, tenant: str, client_id: str) -> tuple[str, str]:
        """The tenant GUID behind a GUID or domain, and the discovery document (cached)."""
        url = self.config.discovery_url(tenant)
        cached = self.transport.cached_discovery(url)
        if cached is not None:
            return _tenant_from_discovery(cached.text), cached.text
        with self.transport.single_flight(url):  # many validations of one new tenant: one GET
            cached = self.transport.cached_discovery(url)
            if cached is not None:
                return _tenant_from_discovery(cached.text), cached.text
            return self._fetch_discovery(url, tenant, client_id)

    def _fetch_discovery(self, url: str, tenant: str, client_id: str) -> tuple[str, str]:
        response = self._call("tenant", lambda: self.transport.get(url))
        if response.status_code != 200:
            raise _Stop("tenant", _classify(response, tenant, client_id))
        tenant_id = _tenant_from_discovery(response.text)
        self.transport.remember_discovery(
            [url, self.config.discovery_url(tenant_id)], response.text
        )
        return tenant_id, response.text

    def graph_batch(self, token: str, requests_: list[dict[str, str]]) -> dict[str, Any]:
        response = self._call(
            "organization",
            lambda: self.transport.post_json(
                self.config.graph_batch_url(),
                {"requests": requests_},
                {"Authorization": f"Bearer {token}"},
            ),
        )
        if response.status_code != 200:
            raise _Stop("organization", _classify_graph(response))
        return {item["id"]: item for item in response.json().get("responses", [])}

    def _call(self, check: str, send: Any, *_: Any) -> Any:
        """Run one HTTP exchange; no answer at all is a transient failure of ``check``."""
        try:
            return send()
        except TransportError as exc:
            raise _Stop(
                check, transient_failure("microsoft_unavailable", None, exc.detail)
            ) from None


class _Run:
    """The state of one validation attempt; a fresh MSAL application per attempt."""

    def __init__(
        self,
        client: ValidationClient,
        tenant: str,
        client_id: str,
        secret: str,
        expected_tenant_id: str | None,
    ) -> None:
        self.client = client
        self.config = client.config
        self.tenant = tenant
        self.client_id = client_id
        self.secret = secret
        self.expected_tenant_id = (expected_tenant_id or "").lower() or None
        self.outcomes: dict[str, _Outcome] = {}
        self.result = ValidationResult(
            ok=False,
            validated_at=client.clock(),
            reason=None,
            message="",
            checks=[],
            client_secret_hint=secret[:3] or None,
        )
        self.http = AttemptHttpClient(client.transport)
        self._graph_token = ""

    def execute(self) -> ValidationResult:
        try:
            self._run_checks()
        except _Stop as stop:
            self.outcomes[stop.check] = _Outcome(False, stop.failure.message, stop.failure.reason)
            self.result.retry_after = stop.failure.retry_after
        return self._finish()

    def _run_checks(self) -> None:
        if not TENANT_PATTERN.fullmatch(self.tenant):
            raise _Stop(
                "tenant",
                MicrosoftFailure(
                    "invalid_tenant", message_for("invalid_tenant", tenant=self.tenant)
                ),
            )
        tenant_id, _ = self.client.discover_tenant(self.tenant, self.client_id)
        self.outcomes["tenant"] = _Outcome(True, f"Tenant {tenant_id} exists.")
        self.result.tenant = TenantInfo(tenant_id, None, None)

        app = self._msal_app(tenant_id)
        graph_claims = self._token_claims(app, GRAPH_SCOPE, "credentials")
        self.outcomes["credentials"] = _Outcome(
            True, f"Microsoft issued a Graph token to application {self.client_id}."
        )
        self._check_tenant_match(tenant_id, graph_claims)
        self._check_permissions(graph_claims)

        reads = self.client._executor.submit(
            self.client.graph_batch,
            self._graph_token,
            [
                {
                    "id": "organization",
                    "method": "GET",
                    "url": "/organization?$select=id,displayName,verifiedDomains",
                },
                {
                    "id": "application",
                    "method": "GET",
                    "url": f"/applications(appId='{quote(self.client_id, safe='-')}')"
                    "?$select=appId,passwordCredentials",
                },
            ],
        )
        try:
            self._check_teams(app)
        except _Stop as stop:
            self._fail_read("teams_access", stop.failure)
        responses = reads.result()
        self._check_organization(responses.get("organization"))
        self._check_secret_expiry(responses.get("application"))

    # --- MSAL ------------------------------------------------------------------------

    def _msal_app(self, tenant_id: str) -> msal.ConfidentialClientApplication:
        return msal.ConfidentialClientApplication(
            self.client_id,
            client_credential=self.secret,
            authority=f"{self.config.authority}/{tenant_id}",
            instance_discovery=False,
            http_client=self.http,
        )

    def _token_claims(
        self, app: msal.ConfidentialClientApplication, scope: str, check: str
    ) -> dict[str, Any]:
        def acquire() -> dict[str, Any]:
            try:
                return app.acquire_token_for_client(scopes=[scope])
            except msal.exceptions.MsalServiceError as exc:
                raise _Stop(
                    check,
                    transient_failure("microsoft_unavailable", self.http.retry_after, str(exc)),
                ) from None

        result = self.client._call(check, acquire)
        if "access_token" not in result:
            raise _Stop(
                check,
                from_token_error(
                    result,
                    status=self.http.last_status,
                    tenant=self.tenant,
                    client_id=self.client_id,
                    retry_after=self.http.retry_after,
                ),
            )
        if scope == GRAPH_SCOPE:
            self._graph_token = result["access_token"]
        return token_claims(result["access_token"])

    # --- the checks ------------------------------------------------------------------

    def _check_tenant_match(self, tenant_id: str, claims: dict[str, Any]) -> None:
        token_tenant = str(claims.get("tid", "")).lower()
        wanted = self.expected_tenant_id
        if token_tenant != tenant_id.lower():
            message = (
                f"The credentials belong to tenant {token_tenant}, not to the entered "
                f"tenant {tenant_id}."
            )
        elif wanted and token_tenant != wanted:
            message = (
                f"The credentials belong to tenant {token_tenant}, but this customer's "
                f"Microsoft 365 tenant is {wanted}. Use an app registration in the "
                "customer's own tenant."
            )
        else:
            self.outcomes["tenant_match"] = _Outcome(
                True, f"The token was issued by tenant {token_tenant}."
            )
            return
        self.outcomes["tenant_match"] = _Outcome(False, message, "tenant_mismatch")

    def _check_permissions(self, claims: dict[str, Any]) -> None:
        granted = [str(role) for role in claims.get("roles", [])]
        roles = [
            ROLE_NAMES_BY_TEMPLATE_ID.get(str(wid), str(wid)) for wid in claims.get("wids", [])
        ]
        self.result.granted_permissions = sorted(granted)
        self.result.assigned_roles = sorted(
            r for r in roles if r in ROLE_NAMES_BY_TEMPLATE_ID.values()
        )
        missing = [name for name in self.config.required_permissions if name not in granted]
        self.result.missing_permissions = missing
        if missing:
            self.outcomes["permissions"] = _Outcome(
                False,
                (
                    f"The application lacks these Microsoft Graph application permissions: "
                    f"{', '.join(missing)}. Add them under API permissions and grant admin "
                    f"consent. {CONSENT_DELAY_HINT}"
                ),
                "missing_permissions",
            )
        else:
            self.outcomes["permissions"] = _Outcome(
                True,
                (
                    f"All {len(self.config.required_permissions)} required Microsoft Graph "
                    "permissions are granted."
                ),
            )

    def _check_teams(self, app: msal.ConfidentialClientApplication) -> None:
        self._token_claims(app, TEAMS_SCOPE, "teams_access")
        missing_roles = [
            r for r in self.config.required_roles if r not in self.result.assigned_roles
        ]
        if missing_roles:
            self.result.missing_permissions = [*self.result.missing_permissions, *missing_roles]
            self.outcomes["teams_access"] = _Outcome(
                False,
                (
                    f"The application's service principal does not hold the directory role "
                    f"{', '.join(missing_roles)}. Assign it under Roles and administrators in the "
                    f"Microsoft Entra admin center. {CONSENT_DELAY_HINT}"
                ),
                "missing_permissions",
            )
        else:
            self.outcomes["teams_access"] = _Outcome(
                True,
                (
                    "The Teams admin API issued a token and the application holds "
                    f"{', '.join(self.config.required_roles) or 'the required roles'}."
                ),
            )

    def _check_organization(self, response: dict[str, Any] | None) -> None:
        body, failure = _graph_item(response, "Organization.Read.All", "read the organization")
        if failure is not None:
            self._fail_read("organization", failure)
            return
        organization = (body.get("value") or [{}])[0]
        domains = organization.get("verifiedDomains") or []
        default = next((d.get("name") for d in domains if d.get("isDefault")), None)
        assert self.result.tenant is not None
        self.result.tenant = TenantInfo(
            self.result.tenant.id, organization.get("displayName"), default
        )
        self.outcomes["organization"] = _Outcome(
            True, f"Tenant '{organization.get('displayName')}' ({default})."
        )

    def _check_secret_expiry(self, response: dict[str, Any] | None) -> None:
        body, failure = _graph_item(
            response, "Application.Read.All", "read the client secret's expiry date"
        )
        if failure is not None:
            self._fail_read("secret_expiry", failure)
            return
        hint = self.secret[:3]
        matches = sorted(
            _parse_time(cred["endDateTime"])
            for cred in body.get("passwordCredentials") or []
            if cred.get("hint") == hint and cred.get("endDateTime")
        )
        if not matches:
            self.outcomes["secret_expiry"] = _Outcome(
                False,
                (
                    f"No client secret starting with '{hint}' is listed on the application, so its "
                    "expiry date is unknown. Enter the expiry date by hand."
                ),
                "microsoft_error",
            )
            return
        expires_at = matches[0]
        self.result.client_secret_expires_at = expires_at
        self.result.expiry_ambiguous = len(matches) > 1
        days = (expires_at.date() - self.result.validated_at.date()).days
        message = f"The client secret expires on {expires_at:%Y-%m-%d} ({days} days)."
        if len(matches) > 1:
            message += (
                f" The match is ambiguous: {len(matches)} secrets start with '{hint}'; "
                "the earliest expiry is shown."
            )
        self.outcomes["secret_expiry"] = _Outcome(True, message)

    def _fail_read(self, check: str, failure: MicrosoftFailure) -> None:
        self.outcomes[check] = _Outcome(False, failure.message, failure.reason)
        if failure.retry_after:
            self.result.retry_after = max(failure.retry_after, self.result.retry_after or 0)

    # --- the verdict -----------------------------------------------------------------

    def _finish(self) -> ValidationResult:
        checks: list[Check] = []
        first_failure: _Outcome | None = None
        for name in CHECK_NAMES:
            outcome = self.outcomes.get(name)
            if outcome is None:
                outcome = _Outcome(False, "Not checked: an earlier check failed.")
            if not outcome.ok and first_failure is None:
                first_failure = outcome
            checks.append(Check(name, outcome.ok, outcome.message))
        self.result.checks = checks
        self.result.ok = first_failure is None
        self.result.reason = None if first_failure is None else first_failure.reason
        self.result.message = VALID_MESSAGE if first_failure is None else first_failure.message
        return self.result


# --- helpers ---------------------------------------------------------------------------


def token_claims(token: str) -> dict[str, Any]:
    """The claims of an access token, read without verifying it: Microsoft asks clients to
    treat tokens as opaque, and we only read what the token says about the caller itself."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _tenant_from_discovery(text: str) -> str:
    document = json.loads(text)
    return urlsplit(document["token_endpoint"]).path.strip("/").split("/")[0].lower()


def _json_or_empty(response: Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _classify(response: Response, tenant: str, client_id: str) -> MicrosoftFailure:
    return from_token_error(
        _json_or_empty(response),
        status=response.status_code,
        tenant=tenant,
        client_id=client_id,
        retry_after=parse_retry_after(header(response.headers, "Retry-After")),
    )


def _classify_graph(response: Response) -> MicrosoftFailure:
    retry_after = parse_retry_after(header(response.headers, "Retry-After"))
    if response.status_code == 429:
        return transient_failure("throttled", retry_after, "Microsoft Graph answered 429")
    if response.status_code >= 500:
        return transient_failure(
            "microsoft_unavailable", retry_after, f"Microsoft Graph answered {response.status_code}"
        )
    error = _json_or_empty(response).get("error") or {}
    return MicrosoftFailure(
        "microsoft_error",
        (
            f"Microsoft Graph refused the request with {response.status_code} "
            f"{error.get('code', '')}: {error.get('message', '')}".rstrip(": ")
        ),
    )


def _graph_item(
    item: dict[str, Any] | None, permission: str, action: str
) -> tuple[dict[str, Any], MicrosoftFailure | None]:
    """The body of one ``$batch`` answer, or why it cannot be used."""
    if item is None:
        return {}, MicrosoftFailure("microsoft_error", "Microsoft Graph did not answer the read.")
    status = int(item.get("status", 0))
    body = item.get("body") or {}
    if status == 200:
        return body, None
    retry_after = parse_retry_after(header(item.get("headers") or {}, "Retry-After"))
    if status == 429:
        return body, transient_failure("throttled", retry_after, "Microsoft Graph answered 429")
    if status >= 500:
        return body, transient_failure(
            "microsoft_unavailable", retry_after, f"Microsoft Graph answered {status}"
        )
    if status == 403:
        return body, MicrosoftFailure(
            "missing_permissions",
            (
                f"Microsoft Graph refused to {action}: the application lacks {permission}. Add it "
                f"under API permissions and grant admin consent. {CONSENT_DELAY_HINT}"
            ),
        )
    error = body.get("error") or {}
    return body, MicrosoftFailure(
        "microsoft_error",
        (
            f"Microsoft Graph could not {action}: {status} {error.get('code', '')} "
            f"{error.get('message', '')}".strip()
        ),
    )


def _parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@functools.cache
def _client_for(config: MicrosoftConfig) -> ValidationClient:
    return ValidationClient(config)


def get_client() -> ValidationClient:
    """The process-wide client for the configured Microsoft endpoints."""
    return _client_for(MicrosoftConfig.from_settings())
