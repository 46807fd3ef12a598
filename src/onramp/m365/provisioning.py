"""Graph calls of Direct Routing provisioning in a customer's tenant, with the connection's own
app-only token (research/provisioning.md §D.2): domains and their verification, licenses,
the activation user, and Teams' view of that user.

Each read answers None for "not there" so the steps can look before they write; every refusal
is a ``GraphWriteError`` (the kinds of ``graph_writes``) whose message an operator can act on.
No Django here: the caller hands over the tenant, the application and its credential.
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import msal

from onramp.m365.answers import token_claims
from onramp.m365.attempt import NoTokenCache
from onramp.m365.config import GRAPH_SCOPE
from onramp.m365.credentials import Credential
from onramp.m365.errors import from_token_error
from onramp.m365.graph_writes import GraphWriteError, GraphWriter, refusal
from onramp.m365.transport import AttemptHttpClient, MicrosoftTransport, TransportError, header

TEAMS_PLAN = "TEAMS1"  # Microsoft Teams: what activates a domain for Teams (research §D.3)
PHONE_PLAN_PREFIX = "MCOEV"  # Teams Phone (Phone System) and its variants
VIRTUAL_USER_PLAN = "MCOEV_VIRTUALUSER"  # resource accounts: not a user's Teams Phone
# What the directory answers when a domain is another tenant's, or verification found no record.
OTHER_TENANT = "already been verified in another tenant"
_CONFLICT = "A conflicting object with one or more of the specified property values"
VERIFY_NOT_FOUND = "Could not find the DNS record for this domain"
NO_UNITS = "does not have any available licenses"
BAD_LOCATION = "invalid usage location"
NUMBERS = "/admin/teams/telephoneNumberManagement"


def app_token(
    transport: MicrosoftTransport, *, tenant_id: str, client_id: str, credential: Credential
) -> tuple[str, list[str]]:
    """A client-credentials Graph token of the connection's application, and its roles. A
    refusal is a ``GraphWriteError``: ``transient`` when Microsoft throttles or cannot answer,
    else ``forbidden`` with the reason validation would give."""
    http = AttemptHttpClient(transport, keep_discovery=True)  # one fetch per tenant, not step
    try:  # MSAL reads the authority's metadata as it starts
        app = msal.ConfidentialClientApplication(
            client_id,
            client_credential=credential.msal_credential(),
            authority=f"{transport.config.authority}/{tenant_id}",
            instance_discovery=False,
            http_client=http,
            token_cache=NoTokenCache(),
        )
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
        return any(_phone_plan(plan) for plan in self.plans)


def _phone_plan(name: str) -> bool:
    return name.startswith(PHONE_PLAN_PREFIX) and name != VIRTUAL_USER_PLAN


def _app_words(exc: GraphWriteError, action: str) -> GraphWriteError:
    """A refusal in app-only words: it names the application's permissions, not a signed-in
    user's roles; an expired token is simply fetched again (transient)."""
    if exc.kind == "forbidden":
        return GraphWriteError(
            "forbidden",
            f"Microsoft refused to {action}: the app registration lacks the permission for it "
            f"({exc.code or 'Forbidden'}). Add it under API permissions, Grant admin consent, "
            "then retry.",
            code=exc.code,
        )
    if exc.kind == "signed_out":
        return GraphWriteError("transient", exc.message, code=exc.code)
    return exc


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
            raise _app_words(exc, action) from None

    def _accepted(self, path: str, action: str, payload: Any) -> str:
        """A POST Graph answers with 202 and the Location of a long-running operation."""
        try:
            response = self.transport.request(
                "POST",
                f"{self.transport.config.graph}/v1.0{path}",
                body=json.dumps(payload).encode(),
                headers={
                    "Authorization": f"Bearer {self._token}",
                    "Content-Type": "application/json",
                },
            )
        except TransportError as exc:
            raise GraphWriteError(
                "transient", f"Microsoft could not be reached to {action} ({exc.detail})."
            ) from None
        if response.status_code >= 400:
            raise _app_words(refusal(response, action), action)
        location = header(response.headers, "Location")
        if not location:
            raise GraphWriteError("refused", f"Microsoft did not say where to follow {action}.")
        return location

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

    def domain_delete(self, name: str) -> None:
        """Gone from the tenant (already gone: nothing to do)."""
        self._call("DELETE", f"/domains/{quote(name)}", f"remove the domain {name}", allow=404)

    def application_by_app_id(self, app_id: str) -> dict[str, Any] | None:
        """The app registration (``id``, ``appId``, ``displayName``) by its application ID."""
        return self._call(
            "GET",
            f"/applications(appId='{quote(app_id)}')?$select=id,appId,displayName",
            "read the app registration",
            allow=404,
        )

    def application_delete(self, object_id: str) -> None:
        """The app registration deleted (already gone: nothing to do)."""
        self._call(
            "DELETE",
            f"/applications/{quote(object_id)}",
            "delete the app registration",
            allow=404,
        )

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

    def user_delete(self, user_id: str) -> None:
        """The soft delete: the user moves to ``directory/deletedItems`` for 30 days."""
        self._call("DELETE", f"/users/{quote(user_id)}", "delete the user", allow=404)

    def deleted_user_get(self, user_id: str) -> dict[str, Any] | None:
        return self._call(
            "GET",
            f"/directory/deletedItems/{quote(user_id)}",
            "read the deleted user",
            allow=404,
        )

    def deleted_user_purge(self, user_id: str) -> None:
        """Deleted for good: a soft-deleted user still holds its domain."""
        self._call(
            "DELETE",
            f"/directory/deletedItems/{quote(user_id)}",
            "delete the user for good",
            allow=404,
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

    def user_has_phone(self, user_id: str) -> bool:
        """Whether one of the user's licenses brings Teams Phone (a plan starting MCOEV)."""
        found = self._call(
            "GET", f"/users/{quote(user_id)}/licenseDetails", "read the user's licenses"
        )
        return any(
            _phone_plan(str(plan.get("servicePlanName") or ""))
            for item in found.get("value") or []
            for plan in item.get("servicePlans") or []
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

    def number_holder(self, number: str) -> str | None:
        """The id of the user a number is assigned to (None: nobody)."""
        found = self._call(
            "GET",
            f"{NUMBERS}/numberAssignments?$filter=telephoneNumber eq '{quote(number)}'",
            f"read the assignment of {number}",
        )
        for item in found.get("value") or []:
            return str(item.get("assignmentTargetId") or "") or None
        return None

    def number_assign(self, number: str, user_id: str) -> str:
        """``assignNumber`` as a Direct Routing primary number; the operation to follow."""
        return self._accepted(
            f"{NUMBERS}/numberAssignments/assignNumber",
            f"assign {number}",
            {
                "telephoneNumber": number,
                "assignmentTargetId": user_id,
                "numberType": "directRouting",
                "assignmentCategory": "primary",
            },
        )

    def number_unassign(self, number: str) -> str:
        """``unassignNumber`` of a Direct Routing number; the operation to follow."""
        return self._accepted(
            f"{NUMBERS}/numberAssignments/unassignNumber",
            f"unassign {number}",
            {"telephoneNumber": number, "numberType": "directRouting"},
        )

    def operation(self, location: str) -> dict[str, Any]:
        """A long-running operation: ``status`` notStarted, running, succeeded, failed…"""
        path = location.removeprefix(f"{self.transport.config.graph}/v1.0")
        return self._call("GET", path, "follow the number's operation")
