"""Microsoft's answers mapped to Onramp's stable reason codes and messages an admin can act on.

Microsoft asks clients to branch on ``error_codes``, never on the description, so the AADSTS
number decides the reason; the description is only quoted for codes we do not know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# AADSTS code -> reason (testdata/microsoft-cases.json). Anything else is ``microsoft_error``.
REASON_BY_AADSTS = {
    90002: "tenant_not_found",
    900023: "invalid_tenant",
    700016: "application_not_found",
    7000112: "application_disabled",
    7000218: "invalid_client_secret",
    7000215: "invalid_client_secret",
    7000222: "client_secret_expired",
    700027: "invalid_client_certificate",
    500011: "teams_api_unavailable",
    90055: "throttled",
    90033: "microsoft_unavailable",
    90006: "microsoft_unavailable",
}

CONSENT_DELAY_HINT = "If you granted consent a moment ago, try again in a few minutes."


@dataclass(frozen=True)
class MicrosoftFailure:
    """A classified failure: the reason code, the admin-facing message, and Retry-After."""

    reason: str
    message: str
    retry_after: int | None = None

    @property
    def transient(self) -> bool:
        return self.reason in ("throttled", "microsoft_unavailable")


def message_for(reason: str, *, tenant: str = "", client_id: str = "") -> str:
    messages = {
        "tenant_not_found": (
            f"Tenant '{tenant}' was not found. Copy the Directory (tenant) ID from the Overview "
            "page of the app registration in the Microsoft Entra admin center and try again."
        ),
        "invalid_tenant": (
            f"'{tenant}' is not a valid tenant ID. Enter the Directory (tenant) ID (a GUID) or a "
            "domain of the tenant such as contoso.onmicrosoft.com."
        ),
        "application_not_found": (
            f"No application with client ID '{client_id}' was found in this tenant. Copy the "
            "Application (client) ID from the Overview page of the app registration, and make "
            "sure the app is registered in this tenant."
        ),
        "application_disabled": (
            "The application is disabled in this tenant. In the Microsoft Entra admin center, "
            "open Enterprise applications, select the application, set 'Enabled for users to "
            "sign in?' to Yes under Properties, and try again."
        ),
        "invalid_client_secret": (
            "The client secret is not valid for this application. Copy the secret's Value (not "
            "its Secret ID) from Certificates & secrets, or create a new secret there, and try "
            "again."
        ),
        "client_secret_expired": (
            "The client secret has expired — create a new secret under Certificates & secrets "
            "and try again."
        ),
        "invalid_client_certificate": (
            "Microsoft does not accept the certificate: it is not among the certificates of this "
            "application. Upload the certificate Onramp gave you under Certificates & secrets → "
            "Certificates in the app registration, and try again."
        ),
        "client_certificate_expired": (
            "The certificate has expired — create a new certificate, upload it under "
            "Certificates & secrets → Certificates, and try again."
        ),
        "teams_api_unavailable": (
            "Microsoft Teams is not available in this tenant (the Skype and Teams Tenant Admin "
            "API was not found). Teams must be licensed and set up in the tenant before Direct "
            "Routing can be configured."
        ),
    }
    return messages[reason]


def transient_failure(reason: str, retry_after: int | None, detail: str) -> MicrosoftFailure:
    if reason == "throttled":
        wait = f"in {retry_after} seconds" if retry_after else "in a few minutes"
        message = (
            f"Microsoft is throttling requests ({detail}). Nothing was changed; try again {wait}."
        )
    else:
        message = (
            f"Microsoft could not be reached ({detail}). Nothing was changed; try again in a few "
            "minutes."
        )
    return MicrosoftFailure(reason, message, retry_after)


_AADSTS_TEXT = re.compile(r"^AADSTS(\d+):\s*(.*?)(?:\r?\nTrace ID:|$)", re.DOTALL)


def from_token_error(
    body: dict, *, status: int | None, tenant: str, client_id: str, retry_after: int | None
) -> MicrosoftFailure:
    """Classify an OAuth error body from the token or discovery endpoint."""
    codes = body.get("error_codes") or []
    code = codes[0] if codes and isinstance(codes[0], int) else None
    description = str(body.get("error_description") or "")
    match = _AADSTS_TEXT.match(description)
    text = match.group(2).strip() if match else description.strip()
    if code is None and match:
        code = int(match.group(1))
    reason = REASON_BY_AADSTS.get(code) if code is not None else None
    if status == 429 or reason == "throttled":
        return transient_failure("throttled", retry_after, f"AADSTS{code or 90055}")
    if (status is not None and status >= 500) or reason == "microsoft_unavailable":
        return transient_failure("microsoft_unavailable", retry_after, f"HTTP {status}")
    if reason is None:
        label = f"AADSTS{code}" if code is not None else str(body.get("error") or "error")
        return MicrosoftFailure(
            "microsoft_error", f"Microsoft refused the request with {label}: {text}"
        )
    return MicrosoftFailure(reason, message_for(reason, tenant=tenant, client_id=client_id))


class CheckStopped(Exception):
    """Ends a validation early: the check that failed and why. Raised by the round trips and the
    checks alike, so the attempt records one outcome however deep the failure happened."""

    def __init__(self, check: str, failure: MicrosoftFailure) -> None:
        super().__init__(failure.reason)
        self.check = check
        self.failure = failure
