"""One validation attempt: the checks of SPEC.md "Validation" in order, each recorded as an
outcome, and the verdict built from them.

A fresh MSAL application per attempt, so no token outlives the credentials it was issued for.
The round trips belong to ``ValidationClient``; this module decides what their answers mean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msal

from onramp.m365.answers import graph_item, parse_time, token_claims
from onramp.m365.config import GRAPH_SCOPE, ROLE_NAMES_BY_TEMPLATE_ID, TEAMS_SCOPE
from onramp.m365.credentials import ClientCertificate, Credential
from onramp.m365.errors import (
    CONSENT_DELAY_HINT,
    CheckStopped,
    MicrosoftFailure,
    from_token_error,
    message_for,
    transient_failure,
)
from onramp.m365.results import CHECK_NAMES, Check, CheckState, TenantInfo, ValidationResult
from onramp.m365.transport import AttemptHttpClient

if TYPE_CHECKING:
    from onramp.m365.validation import ValidationClient

TENANT_PATTERN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
VALID_MESSAGE = "The application registration is valid."


@dataclass(frozen=True)
class _Outcome:
    state: CheckState
    message: str
    reason: str | None = None


_NOT_RUN = _Outcome(CheckState.NOT_RUN, "Not checked: an earlier check failed.")


class NoTokenCache(msal.TokenCache):
    """Keeps nothing: a fresh application per attempt never asks for a token twice, and MSAL's
    own cache serializes every token it adds to JSON for a debug line, logged or not."""

    def add(self, event: dict[str, Any], now: int | None = None) -> None:
        """Nothing to keep."""


class Attempt:
    """The state of one validation attempt: the outcomes so far and the result being built."""

    def __init__(
        self,
        client: ValidationClient,
        tenant: str,
        client_id: str,
        credential: Credential,
        expected_tenant_id: str | None,
    ) -> None:
        self.client = client
        self.config = client.config
        self.tenant = tenant
        self.client_id = client_id
        self.credential = credential
        self.expected_tenant_id = (expected_tenant_id or "").lower() or None
        self.outcomes: dict[str, _Outcome] = {}
        self.result = ValidationResult(
            ok=False,
            validated_at=client.clock(),
            reason=None,
            message="",
            checks=[],
            client_secret_hint=credential.hint or None,
        )
        self.http = AttemptHttpClient(client.transport)
        self._graph_token = ""

    def execute(self) -> ValidationResult:
        try:
            self._run_checks()
        except CheckStopped as stop:
            self._fail(stop.check, stop.failure)
            self.result.retry_after = stop.failure.retry_after
        return self._finish()

    def _run_checks(self) -> None:
        if not TENANT_PATTERN.fullmatch(self.tenant):
            raise CheckStopped(
                "tenant",
                MicrosoftFailure(
                    "invalid_tenant", message_for("invalid_tenant", tenant=self.tenant)
                ),
            )
        tenant_id, _ = self.client.discover_tenant(self.tenant, self.client_id)
        self._pass("tenant", f"Tenant {tenant_id} exists.")
        self.result.tenant = TenantInfo(tenant_id, None, None)

        app = self._msal_app(tenant_id)
        graph_claims = self._token_claims(app, GRAPH_SCOPE, "credentials")
        self._pass(
            "credentials", f"Microsoft issued a Graph token to application {self.client_id}."
        )
        self._check_tenant_match(tenant_id, graph_claims)
        self._check_permissions(graph_claims)

        reads = self.client.read_tenant(
            self._graph_token, self.client_id, self.credential.listed_in
        )
        try:
            self._check_teams(app)
        except CheckStopped as stop:
            self._fail_read("teams_access", stop.failure)
        responses = reads.result()
        self._check_organization(responses.get("organization"))
        self._check_secret_expiry(responses.get("application"))

    # --- MSAL ------------------------------------------------------------------------

    def _msal_app(self, tenant_id: str) -> msal.ConfidentialClientApplication:
        return msal.ConfidentialClientApplication(
            self.client_id,
            client_credential=self.credential.msal_credential(),
            authority=f"{self.config.authority}/{tenant_id}",
            instance_discovery=False,
            http_client=self.http,
            token_cache=NoTokenCache(),
        )

    def _token_claims(
        self, app: msal.ConfidentialClientApplication, scope: str, check: str
    ) -> dict[str, Any]:
        def acquire() -> dict[str, Any]:
            try:
                return app.acquire_token_for_client(scopes=[scope])
            except msal.exceptions.MsalServiceError as exc:
                raise CheckStopped(
                    check,
                    transient_failure("microsoft_unavailable", self.http.retry_after, str(exc)),
                ) from None

        result = self.client.call(check, acquire)
        if "access_token" not in result:
            raise CheckStopped(check, self._refusal(result))
        if scope == GRAPH_SCOPE:
            self._graph_token = result["access_token"]
        return token_claims(result["access_token"])

    def _refusal(self, body: dict[str, Any]) -> MicrosoftFailure:
        """Microsoft names an expired certificate only in its description; our copy of the
        certificate tells it for sure."""
        failure = from_token_error(
            body,
            status=self.http.last_status,
            tenant=self.tenant,
            client_id=self.client_id,
            retry_after=self.http.retry_after,
        )
        expired = (
            isinstance(self.credential, ClientCertificate)
            and self.credential.expires_at <= self.result.validated_at
        )
        if failure.reason == "invalid_client_certificate" and expired:
            return MicrosoftFailure(
                "client_certificate_expired", message_for("client_certificate_expired")
            )
        return failure

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
            self._pass("tenant_match", f"The token was issued by tenant {token_tenant}.")
            return
        self._fail("tenant_match", MicrosoftFailure("tenant_mismatch", message))

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
            self._fail(
                "permissions",
                MicrosoftFailure(
                    "missing_permissions",
                    f"The application lacks these Microsoft Graph application permissions: "
                    f"{', '.join(missing)}. Add them under API permissions and grant admin "
                    f"consent. {CONSENT_DELAY_HINT}",
                ),
            )
        else:
            self._pass(
                "permissions",
                f"All {len(self.config.required_permissions)} required Microsoft Graph "
                "permissions are granted.",
            )

    def _check_teams(self, app: msal.ConfidentialClientApplication) -> None:
        self._token_claims(app, TEAMS_SCOPE, "teams_access")
        missing_roles = [
            r for r in self.config.required_roles if r not in self.result.assigned_roles
        ]
        if missing_roles:
            self.result.missing_permissions = [*self.result.missing_permissions, *missing_roles]
            self._fail(
                "teams_access",
                MicrosoftFailure(
                    "missing_permissions",
                    f"The application's service principal does not hold the directory role "
                    f"{', '.join(missing_roles)}. Assign it under Roles and administrators in "
                    f"the Microsoft Entra admin center. {CONSENT_DELAY_HINT}",
                ),
            )
        else:
            self._pass(
                "teams_access",
                "The Teams admin API issued a token and the application holds "
                f"{', '.join(self.config.required_roles) or 'the required roles'}.",
            )

    def _check_organization(self, response: dict[str, Any] | None) -> None:
        body, failure = graph_item(response, "Organization.Read.All", "read the organization")
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
        self._pass("organization", f"Tenant '{organization.get('displayName')}' ({default}).")

    def _check_secret_expiry(self, response: dict[str, Any] | None) -> None:
        """The credential's expiry as the application lists it: a secret by its hint, a
        certificate by its thumbprint."""
        credential = self.credential
        body, failure = graph_item(
            response, "Application.Read.All", f"read the {credential.noun}'s expiry date"
        )
        if failure is not None:
            self._fail_read("secret_expiry", failure)
            return
        matches = sorted(
            parse_time(entry["endDateTime"])
            for entry in body.get(credential.listed_in) or []
            if credential.is_entry(entry) and entry.get("endDateTime")
        )
        if not matches:
            self._fail(
                "secret_expiry",
                MicrosoftFailure("microsoft_error", credential.unlisted_message()),
            )
            return
        expires_at = matches[0]
        self.result.client_secret_expires_at = expires_at
        self.result.expiry_ambiguous = len(matches) > 1
        days = (expires_at.date() - self.result.validated_at.date()).days
        self._pass("secret_expiry", credential.expiry_message(expires_at, days, len(matches)))

    # --- the outcomes and the verdict ------------------------------------------------

    def _pass(self, check: str, message: str) -> None:
        self.outcomes[check] = _Outcome(CheckState.OK, message)

    def _fail(self, check: str, failure: MicrosoftFailure) -> None:
        self.outcomes[check] = _Outcome(CheckState.FAILED, failure.message, failure.reason)

    def _fail_read(self, check: str, failure: MicrosoftFailure) -> None:
        """A failed read does not stop the others; the longest Retry-After among them wins."""
        self._fail(check, failure)
        if failure.retry_after:
            self.result.retry_after = max(failure.retry_after, self.result.retry_after or 0)

    def _finish(self) -> ValidationResult:
        checks: list[Check] = []
        first_failure: _Outcome | None = None
        for name in CHECK_NAMES:
            outcome = self.outcomes.get(name, _NOT_RUN)
            if outcome.state is not CheckState.OK and first_failure is None:
                first_failure = outcome
            checks.append(Check(name, outcome.state, outcome.message))
        self.result.checks = checks
        self.result.ok = first_failure is None
        self.result.reason = None if first_failure is None else first_failure.reason
        self.result.message = VALID_MESSAGE if first_failure is None else first_failure.message
        return self.result
