"""Graph calls of Direct Routing provisioning in a customer's tenant, with the connection's own
app-only token (research/provisioning.md §D.2): domains and their verification, licenses,
the activation user, and Teams' view of that user.

Each read answers None for "not there" so the steps can look before they write; every refusal
is a ``GraphWriteError`` (the kinds of ``graph_writes``) whose message an operator can act on.
No Django here: the caller hands over the tenant, the application and its credential.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import msal

from onramp.m365.answers import token_claims
from onramp.m365.attempt import _NoTokenCache
from onramp.m365.config import GRAPH_SCOPE
from onramp.m365.credentials import Credential
from onramp.m365.errors import from_token_error
from onramp.m365.graph_writes import GraphWriteError, GraphWriter
from onramp.m365.transport import AttemptHttpClient, MicrosoftTransport, TransportError

TEAMS_PLAN = "TEAMS1"  # Microsoft Teams: what activates a domain for Teams (research §D.3)
PHONE_PLAN_PREFIX = "MCOEV"  # Teams Phone (Phone System) and its variants
VIRTUAL_USER_PLAN = "MCOEV_VIRTUALUSER"  # resource accounts: not a user's Teams Phone
# What the directory answers when a domain is another tenant's, or verification found no record.
OTHER_TENANT = "already been verified in another tenant"
_CONFLICT = "A conflicting object with one or more of the specified property values"
VERIFY_NOT_FOUND = "Could not find the DNS record for this domain"
NO_UNITS = "does not have any available licenses"
BAD_LOCATION = "invalid usage location"


def app_token(
    transport: MicrosoftTransport, *, tenant_id: str, client_id: str, credential: Credential
) -> tuple[str, list[str]]:
    """A client-credentials Graph token of the connection's application, and its roles. A
    refusal is a ``GraphWriteError``: ``transient`` when Microsoft throttles or cannot answer,
    else ``forbidden`` with the reason validation would give."""
    http = AttemptHttpClient(transport)
    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential.msal_credential(),
        authority=f"{transport.config.authority}/{tenant_id}",
        instance_discovery=False,
        http_client=http,
        token_cache=_NoTokenCache(),
    )
    try:
        result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    except TransportError as exc:
        raise GraphWriteError(
            "transient", f"Microsoft could not be reached for a token ({exc.detail})."
        ) from None
    except msal.exceptions.MsalServiceError as exc:
        raise GraphWriteError("transient", f"Microsoft could not issue a token ({exc}).") from None
    if "access_token" not in result:
        failure = from_token_error(
            result,
            status=http.last_status,
            tenant=tenant_id,
            client_id=client_id,
            retry_after=http.retry_after,
        )
        kind = "transient" if failure.transient else "forbidden"
        raise GraphWriteError(kind, failure.message, retry_after=failure.retry_after)
    token = result["access_token"]
    return token, list(token_claims(token).get("roles") or [])


@dataclass(frozen=True)
class Sku:
    """A subscribed SKU as provisioning weighs it."""

    sku_id: str
    part_number: str
    enabled: int
    consumed: int
    plans: tuple[str, ...]

    @property
    def free(self) -> int:
        return max(self.enabled - self.consumed, 0)

    @property
    def has_teams(self) -> bool:
        return TEAMS_PLAN in self.plans

    @property
    def has_phone(self) -> bool:
        return any(
            plan.startswith(PHONE_PLAN_PREFIX) and plan != VIRTUAL_USER_PLAN for plan in self.plans
        )


def activation_password() -> str:
    """A random password Microsoft's complexity rules accept; nobody ever needs it."""
    alphabet = string.ascii_letters + string.digits
    body = "".join(secrets.choice(alphabet) for _ in range(28))
    return f"{body}aA1!"


class TenantGraph(GraphWriter):
    """The provisioning calls in one tenant with one app-only token."""

    def __repr__(self) -> str:
        return "TenantGraph()"

    def _call(
        self, method: str, path: str, action: str, payload: Any = None, *, allow: int = 0
    ) -> Any:
        """``GraphWriter._call`` with app-only words: a refusal names the application's
        permissions, not a signed-in user's roles; an expired token is simply fetched again."""
        try:
            return super()._call(method, path, action, payload, allow=allow)
        except GraphWriteError as exc:
            if exc.kind == "forbidden":
                raise GraphWriteError(
                    "forbidden",
                    f"Microsoft refused to {action}: the app registration lacks the permission "
                    f"for it ({exc.code or 'Forbidden'}). Add it under API permissions, Grant "
                    "admin consent, then retry.",
                    code=exc.code,
                ) from None
            if exc.kind == "signed_out":
                raise GraphWriteError("transient", exc.message, code=exc.code) from None
            raise

    # --- domains ---------------------------------------------------------------------------

    def domain_get(self, name: str) -> dict[str, Any] | None:
        return self._call("GET", f"/domains/{quote(name)}", f"read the domain {name}", allow=404)

    def domain_add(self, name: str) -> dict[str, Any]:
        """The domain in this tenant: added, or the one already there (a conflict on a
        repeated add means it arrived meanwhile)."""
        try:
            return self._call("POST", "/domains", f"add the domain {name}", {"id": name})
        except GraphWriteError as exc:
            if _CONFLICT in exc.message and (found := self.domain_get(name)) is not None:
                return found
            raise

    def verification_txt(self, name: str) -> str:
        """The ``MS=ms…`` text Microsoft wants at the domain's name."""
        found = self._call(
            "GET",
            f"/domains/{quote(name)}/verificationDnsRecords",
            f"read the verification record of {name}",
        )
        for record in found.get("value") or []:
            if str(record.get("recordType", "")).lower() == "txt" and record.get("text"):
                return str(record["text"])
        raise GraphWriteError("refused", f"Microsoft named no TXT record to verify {name}.")

    def domain_verify(self, name: str) -> dict[str, Any]:
        return self._call("POST", f"/domains/{quote(name)}/verify", f"verify the domain {name}")

    # --- licenses and users --------------------------------------------------------------

    def subscribed_skus(self) -> list[Sku]:
        found = self._call("GET", "/subscribedSkus", "read the tenant's licenses")
        return [
            Sku(
                sku_id=str(item["skuId"]),
                part_number=str(item.get("skuPartNumber") or item["skuId"]),
                enabled=int((item.get("prepaidUnits") or {}).get("enabled") or 0),
                consumed=int(item.get("consumedUnits") or 0),
                plans=tuple(
                    str(plan.get("servicePlanName") or "")
                    for plan in item.get("servicePlans") or []
                ),
            )
            for item in found.get("value") or []
        ]

    def user_get(self, upn: str) -> dict[str, Any] | None:
        return self._call(
            "GET",
            f"/users/{quote(upn)}?$select=id,userPrincipalName,usageLocation,assignedLicenses",
            f"read the user {upn}",
            allow=404,
        )

    def user_create(self, *, upn: str, display_name: str, usage_location: str) -> dict[str, Any]:
        """An enabled user with a random password nobody keeps (Teams only needs it to exist)."""
        return self._call(
            "POST",
            "/users",
            f"create the user {upn}",
            {
                "accountEnabled": True,
                "displayName": display_name,
                "mailNickname": upn.partition("@")[0],
                "userPrincipalName": upn,
                "usageLocation": usage_location,
                "passwordProfile": {
                    "password": activation_password(),
                    "forceChangePasswordNextSignIn": False,
                },
            },
        )

    def user_set_location(self, user_id: str, usage_location: str) -> None:
        self._call(
            "PATCH",
            f"/users/{quote(user_id)}",
            "set the user's usage location",
            {"usageLocation": usage_location},
        )

    def license_assign(self, user_id: str, sku_id: str) -> None:
        self._call(
            "POST",
            f"/users/{quote(user_id)}/assignLicense",
            "assign the license",
            {"addLicenses": [{"skuId": sku_id, "disabledPlans": []}], "removeLicenses": []},
        )

    def license_remove(self, user_id: str, sku_id: str) -> None:
        self._call(
            "POST",
            f"/users/{quote(user_id)}/assignLicense",
            "remove the license",
            {"addLicenses": [], "removeLicenses": [sku_id]},
        )

    # --- Teams -------------------------------------------------------------------------------

    def teams_user(self, user_id: str) -> dict[str, Any] | None:
        """Teams' configuration of the user: None until Teams has activated it."""
        return self._call(
            "GET",
            f"/admin/teams/userConfigurations/{quote(user_id)}",
            "read the user's Teams configuration",
            allow=404,
        )
