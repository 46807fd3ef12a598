"""Graph writes that build an app registration in a customer's tenant with the signed-in admin's
delegated token (research/provisioning.md §A.1): the application, its service principal, the
app roles (admin consent), the Teams Administrator role, a certificate, and the removal of the
sign-in app's own delegated grant afterwards.

Each write first reads what exists where Graph would refuse a repeat, so a flow that resumes
after a crash or a 5xx repeats a step without creating anything twice. Every refusal becomes a
``GraphWriteError`` with an admin-facing message; the token never appears in one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from onramp.m365.catalog import GRAPH_APP_ID as GRAPH_APP_ID  # where callers found it first
from onramp.m365.config import DIRECTORY_ROLE_TEMPLATE_IDS
from onramp.m365.credentials import ClientCertificate
from onramp.m365.transport import (
    MicrosoftTransport,
    Response,
    TransportError,
    header,
    parse_retry_after,
)

TEAMS_APP_ROLE = "application_access"
POLICY_CODES = frozenset(
    {"CredentialTypeNotAllowedAsPerAppPolicy", "CredentialInvalidLifetimeAsPerAppPolicy"}
)
# Graph's answers to a repeated grant or role assignment: the thing is already there.
_ALREADY_GRANTED = "Permission being assigned already exists on the object"
_ALREADY_ASSIGNED = "A conflicting object with one or more of the specified property values"
# A new application not yet visible to the replica serving the service principal request.
_NOT_REPLICATED = "does not reference a valid application object"


class GraphWriteError(Exception):
    """Why a write did not happen. ``kind``: ``forbidden`` (the signed-in user or token may
    not), ``policy`` (the tenant's app-management policy), ``signed_out`` (the token expired),
    ``not_found``, ``transient`` (5xx, 429, no answer, not replicated yet: retry, honouring
    ``retry_after``) or ``refused`` (anything else, quoted)."""

    def __init__(
        self, kind: str, message: str, *, code: str = "", retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.code = code
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.kind == "transient"


@dataclass(frozen=True)
class ResourceRoles:
    """A resource's service principal in the tenant and its app roles by value."""

    app_id: str
    sp_id: str
    role_ids: dict[str, str]

    def access(self, names: list[str]) -> dict[str, Any]:
        """``requiredResourceAccess`` for ``names``; an unknown name is refused here rather than
        breaking consent later (AADSTS650051)."""
        unknown = [name for name in names if name not in self.role_ids]
        if unknown:
            raise GraphWriteError(
                "refused",
                f"The permissions {', '.join(unknown)} do not exist on the resource "
                f"application {self.app_id} in this tenant.",
            )
        return {
            "resourceAppId": self.app_id,
            "resourceAccess": [{"id": self.role_ids[name], "type": "Role"} for name in names],
        }


@dataclass(frozen=True)
class CreatedApplication:
    object_id: str
    app_id: str
    display_name: str


def refusal(response: Response, action: str) -> GraphWriteError:
    retry_after = parse_retry_after(header(response.headers, "Retry-After"))
    status = response.status_code
    try:
        error = json.loads(response.text).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code, text = str(error.get("code") or ""), str(error.get("message") or "")
    if status == 429:
        return GraphWriteError(
            "transient",
            f"Microsoft is throttling requests while trying to {action}; try again "
            + (f"in {retry_after} seconds." if retry_after else "in a few minutes."),
            code=code,
            retry_after=retry_after,
        )
    if status >= 500 or _NOT_REPLICATED in text:
        return GraphWriteError(
            "transient",
            f"Microsoft could not {action} just now ({status} {code}); try again in a few minutes.",
            code=code,
            retry_after=retry_after,
        )
    if status == 401:
        return GraphWriteError(
            "signed_out",
            f"The Microsoft sign-in has expired, so Onramp could not {action}. Sign in again.",
            code=code,
        )
    if status == 403:
        return GraphWriteError(
            "forbidden",
            f"Microsoft refused to {action}: the signed-in user, or what the sign-in was "
            f"allowed to do, lacks the rights for it ({code or 'Forbidden'}). Sign in as a "
            "Global Administrator, or as a user who is both a Privileged Role Administrator and "
            "an Application Administrator.",
            code=code,
        )
    if code in POLICY_CODES:
        return GraphWriteError(
            "policy",
            f"The tenant's app management policy does not allow Onramp to {action} ({code}): "
            f"{text}",
            code=code,
        )
    if status == 404:
        return GraphWriteError("not_found", f"Microsoft could not {action}: {text}", code=code)
    return GraphWriteError(
        "refused", f"Microsoft refused to {action}: {status} {code} {text}".strip(), code=code
    )


class GraphWriter:
    """One admin's delegated token for the writes of one provisioning run."""

    def __init__(self, transport: MicrosoftTransport, token: str) -> None:
        self.transport = transport
        self._token = token

    def __repr__(self) -> str:
        return "GraphWriter()"

    def _call(
        self, method: str, path: str, action: str, payload: Any = None, *, allow: int = 0
    ) -> Any:
        """The JSON answer of a 2xx (None for 204); ``allow`` is a status that is not an error
        here (answered as None)."""
        headers = {"Authorization": f"Bearer {self._token}"}
        body = None
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        url = f"{self.transport.config.graph}/v1.0{path}"
        try:
            response = self.transport.request(method, url, body=body, headers=headers)
        except TransportError as exc:
            raise GraphWriteError(
                "transient", f"Microsoft could not be reached to {action} ({exc.detail})."
            ) from None
        if response.status_code == allow:
            return None
        if response.status_code >= 400:
            raise refusal(response, action)
        return response.json() if response.text else None

    # --- reads that make the writes idempotent -------------------------------------------

    def resource_roles(self, app_id: str) -> ResourceRoles:
        """A first-party resource (Microsoft Graph, the Teams admin API) with its app roles."""
        found = self._call(
            "GET",
            f"/servicePrincipals(appId='{quote(app_id)}')?$select=id,appId,appRoles",
            f"read the service principal of {app_id}",
            allow=404,
        )
        if found is None:
            raise GraphWriteError(
                "not_found", f"The resource application {app_id} has no service principal here."
            )
        roles = {role["value"]: role["id"] for role in found.get("appRoles") or []}
        return ResourceRoles(app_id, found["id"], roles)

    def service_principal_find(self, app_id: str) -> str | None:
        found = self._call(
            "GET",
            f"/servicePrincipals(appId='{quote(app_id)}')?$select=id",
            "look up a service principal",
            allow=404,
        )
        return None if found is None else str(found["id"])

    def organization(self) -> tuple[str, str, str]:
        """The signed-in tenant: (id, display name, default domain)."""
        found = self._call(
            "GET", "/organization?$select=id,displayName,verifiedDomains", "read your organization"
        )
        organization = (found.get("value") or [{}])[0]
        domains = organization.get("verifiedDomains") or []
        default = next((d.get("name") for d in domains if d.get("isDefault")), "")
        return (
            str(organization.get("id") or ""),
            str(organization.get("displayName") or ""),
            str(default or ""),
        )

    def application_find(self, object_id: str) -> dict[str, Any] | None:
        """The application as stored by its object id: how a resumed run finds its app again."""
        return self._call(
            "GET",
            f"/applications/{quote(object_id)}"
            "?$select=id,appId,displayName,requiredResourceAccess,keyCredentials",
            "read the application",
            allow=404,
        )

    def application_tagged(self, tag: str) -> CreatedApplication | None:
        """The application carrying ``tag``, the marker it was created with: how a run that
        crashed before keeping Microsoft's answer to the creation finds its app again."""
        clause = quote(f"tags/any(t:t eq '{tag}')")
        found = self._call(
            "GET",
            f"/applications?$filter={clause}&$select=id,appId,displayName",
            "look up the application",
        )
        apps = found.get("value") or []
        if not apps:
            return None
        return CreatedApplication(apps[0]["id"], apps[0]["appId"], apps[0]["displayName"])

    # --- the writes ------------------------------------------------------------------------

    def application_create(
        self, display_name: str, required_access: list[dict[str, Any]], tag: str
    ) -> CreatedApplication:
        """Create the application marked with ``tag`` (see ``application_tagged``)."""
        made = self._call(
            "POST",
            "/applications",
            "create the application",
            {
                "displayName": display_name,
                "signInAudience": "AzureADMyOrg",
                "requiredResourceAccess": required_access,
                "tags": [tag],
            },
        )
        return CreatedApplication(made["id"], made["appId"], made["displayName"])

    def service_principal_create(self, app_id: str) -> str:
        """The application's service principal, made if it does not exist yet."""
        existing = self.service_principal_find(app_id)
        if existing is not None:
            return existing
        made = self._call(
            "POST",
            "/servicePrincipals",
            "create the service principal",
            {"appId": app_id},
        )
        return str(made["id"])

    def app_role_grant(self, resource: ResourceRoles, principal_id: str, role: str) -> None:
        """Admin consent to one app role; a role granted already counts as granted."""
        try:
            self._call(
                "POST",
                f"/servicePrincipals/{resource.sp_id}/appRoleAssignedTo",
                f"grant {role}",
                {
                    "principalId": principal_id,
                    "resourceId": resource.sp_id,
                    "appRoleId": resource.access([role])["resourceAccess"][0]["id"],
                },
            )
        except GraphWriteError as exc:
            if _ALREADY_GRANTED not in exc.message:
                raise

    def directory_role_assign(self, principal_id: str, role: str = "Teams Administrator") -> None:
        """The directory role, tenant-wide; one assigned already counts as assigned."""
        try:
            self._call(
                "POST",
                "/roleManagement/directory/roleAssignments",
                f"assign the {role} role",
                {
                    "@odata.type": "#microsoft.graph.unifiedRoleAssignment",
                    "roleDefinitionId": DIRECTORY_ROLE_TEMPLATE_IDS[role],
                    "principalId": principal_id,
                    "directoryScopeId": "/",
                },
            )
        except GraphWriteError as exc:
            if _ALREADY_ASSIGNED not in exc.message:
                raise

    def certificate_add(
        self, object_id: str, certificate: ClientCertificate, display_name: str = "Onramp"
    ) -> None:
        """PATCH replaces the whole keyCredentials list: the keys already there are sent back
        by ``keyId``; a certificate already listed is not added twice."""
        app = self.application_find(object_id)
        if app is None:
            raise GraphWriteError("not_found", f"The application {object_id} does not exist.")
        keys = app.get("keyCredentials") or []
        if any(certificate.is_entry(key) for key in keys):
            return
        self._call(
            "PATCH",
            f"/applications/{quote(object_id)}",
            "add the certificate to the application",
            {
                "keyCredentials": [
                    *({"keyId": key["keyId"]} for key in keys),
                    {
                        "type": "AsymmetricX509Cert",
                        "usage": "Verify",
                        "key": certificate.key_base64,
                        "displayName": display_name,
                    },
                ]
            },
        )

    def permission_grants_delete(self, client_app_id: str) -> int:
        """Remove the delegated grants the sign-in app received in this tenant; how many."""
        client_sp = self.service_principal_find(client_app_id)
        if client_sp is None:
            return 0
        grants = self._call(
            "GET",
            f"/oauth2PermissionGrants?$filter=clientId eq '{client_sp}'",
            "read the sign-in app's permission grants",
        )
        deleted = 0
        for grant in grants.get("value") or []:
            self._call(
                "DELETE",
                f"/oauth2PermissionGrants/{quote(grant['id'])}",
                "remove the sign-in app's permission grant",
                allow=404,
            )
            deleted += 1
        return deleted
