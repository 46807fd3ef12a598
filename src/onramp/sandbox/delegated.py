"""Delegated sign-in: requested scopes, consent, and redeeming codes and device codes.

Delegated tokens carry `scp` (the consented Graph scopes asked for) and the user's *active*
directory roles in `wids`; PIM-eligible roles are left out, as Entra does.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from typing import TYPE_CHECKING

from onramp.sandbox.catalog import (
    DEFAULT_USER_ROLE,
    DIRECTORY_ROLES,
    GRAPH_APP_ID,
    OIDC_SCOPES,
    needs_admin_consent,
)
from onramp.sandbox.ests import error, missing, resolve_tenant
from onramp.sandbox.model import Application, PermissionGrant, Tenant, User
from onramp.sandbox.web import Request, Response

if TYPE_CHECKING:
    from onramp.sandbox.grants import TokenEndpoint

CODE_LIFETIME = 600
CONSENT_ADMINS = {
    "Global Administrator",
    "Privileged Role Administrator",
    "Application Administrator",
    "Cloud Application Administrator",
}
_GRAPH_PREFIXES = ("https://graph.microsoft.com/", f"{GRAPH_APP_ID}/")


def split_scopes(text: str) -> tuple[list[str], list[str]] | None:
    """(Graph scopes, OpenID scopes) of a request; None when another resource is named."""
    graph, oidc = [], []
    for scope in text.split():
        if scope in OIDC_SCOPES:
            oidc.append(scope)
            continue
        for prefix in _GRAPH_PREFIXES:
            scope = scope.removeprefix(prefix)
        if "/" in scope or ":" in scope:
            return None
        graph.append(scope)
    return list(dict.fromkeys(graph)), oidc


def granted(tenant: Tenant, client_sp_id: str | None, user: User) -> set[str]:
    """Scopes consented for this client, for everyone or for this user."""
    return {
        scope
        for g in tenant.grants
        if g.client_id == client_sp_id
        and (g.consent_type == "AllPrincipals" or g.principal_id == user.user_id)
        for scope in g.scope.split()
    }


def wanted(tenant: Tenant, app: Application, user: User, graph: list[str]) -> list[str]:
    """The Graph scopes asked for; `.default` means those already consented."""
    if ".default" in graph:
        principal = tenant.principal_for(app.app_id)
        sp_id = principal.service_principal_id if principal else None
        return sorted(granted(tenant, sp_id, user))
    return graph


def needs_consent(tenant: Tenant, app: Application, user: User, graph: list[str]) -> bool:
    principal = tenant.principal_for(app.app_id)
    sp_id = principal.service_principal_id if principal else None
    return not set(graph) <= granted(tenant, sp_id, user)


def may_consent(user: User, graph: list[str]) -> bool:
    """An admin may consent to anything; users only to scopes that need no admin."""
    return bool(CONSENT_ADMINS & set(user.roles)) or not any(map(needs_admin_consent, graph))


def consent(
    world_tenant: Tenant,
    app: Application,
    home_tenant_id: str,
    user: User,
    graph: list[str],
    for_organization: bool,
) -> None:
    """Record consent: a service principal in the user's tenant if missing, then the grant."""
    from onramp.sandbox.model import ServicePrincipal, utcnow

    tenant = world_tenant
    principal = tenant.principal_for(app.app_id)
    if principal is None:
        if home_tenant_id == tenant.tenant_id:
            app.service_principal_id, app.sp_created = str(uuid.uuid4()), utcnow()
            principal = app
        else:
            principal = ServicePrincipal(
                str(uuid.uuid4()), app.app_id, app.display_name, home_tenant_id, utcnow()
            )
            tenant.foreign[app.app_id] = principal
    sp_id = str(principal.service_principal_id)
    kind = "AllPrincipals" if for_organization else "Principal"
    owner = None if for_organization else user.user_id
    resource = tenant.resource_sp_id(GRAPH_APP_ID)
    for grant in tenant.grants:
        if (grant.client_id, grant.consent_type, grant.principal_id) == (sp_id, kind, owner):
            grant.scope = " ".join(dict.fromkeys([*grant.scope.split(), *graph]))
            return
    grant_id = base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).rstrip(b"=").decode()
    tenant.grants.append(PermissionGrant(grant_id, sp_id, resource, kind, owner, " ".join(graph)))


def tokens(
    endpoint: TokenEndpoint,
    request: Request,
    record: dict,
    app: Application,
    tenant: Tenant,
    user: User,
    form: dict,
) -> dict:
    """The token response of a delegated sign-in: access token, id token, client info."""
    issued = int(time.time())
    issuer = f"https://sts.windows.net/{tenant.tenant_id}/"
    scopes: list[str] = record["graph"]
    claims = {
        "aud": "https://graph.microsoft.com",
        "iss": issuer,
        "iat": issued,
        "nbf": issued,
        "exp": issued + 3599,
        "acr": "1",
        "amr": ["pwd"],
        "app_displayname": app.display_name,
        "appid": app.app_id,
        "appidacr": "0"
        if not (form.get("client_secret") or form.get("client_assertion"))
        else ("2" if form.get("client_assertion") else "1"),
        "idtyp": "user",
        "name": user.user_principal_name.partition("@")[0],
        "oid": user.user_id,
        "scp": " ".join(scopes),
        "sub": secrets.token_urlsafe(32),
        "tid": tenant.tenant_id,
        "unique_name": user.user_principal_name,
        "upn": user.user_principal_name,
        "uti": secrets.token_urlsafe(16),
        "ver": "1.0",
        "wids": [DIRECTORY_ROLES[r] for r in user.roles] + [DEFAULT_USER_ROLE],
    }
    body = endpoint.bearer(
        claims,
        scope=" ".join([f"https://graph.microsoft.com/{s}" for s in scopes] + record["oidc"]),
    )
    if "openid" in record["oidc"]:
        body["id_token"] = endpoint.key.mint(
            {
                "aud": app.app_id,
                "iss": f"{request.base_url}/{tenant.tenant_id}/v2.0",
                "iat": issued,
                "nbf": issued,
                "exp": issued + 3599,
                "name": claims["name"],
                "oid": user.user_id,
                "preferred_username": user.user_principal_name,
                "sub": claims["sub"],
                "tid": tenant.tenant_id,
                "ver": "2.0",
                **({"nonce": record["nonce"]} if record.get("nonce") else {}),
            }
        )
    if form.get("client_info") == "1":
        info = json.dumps({"uid": user.user_id, "utid": tenant.tenant_id}).encode()
        body["client_info"] = base64.urlsafe_b64encode(info).rstrip(b"=").decode()
    return body


def _invalid_grant(request: Request, code: int, message: str) -> Response:
    return error(request, 400, "invalid_grant", code, message)


def _finish(
    endpoint: TokenEndpoint, request: Request, record: dict, form: dict, secret: str
) -> dict | Response:
    """Authenticate the client as its registration demands, then issue the tokens."""
    world = endpoint.world
    tenant = world.tenants[record["tenant_id"]]
    user = tenant.users[record["user_id"]]
    home = world.home_of(record["client_id"])
    if home is None:
        return _invalid_grant(
            request, 70000, "The provided value for the 'code' parameter is not valid."
        )
    home_tenant, app = home
    segment = request.path.lstrip("/").partition("/")[0]
    audiences = endpoint.audiences(request, segment, tenant) | endpoint.audiences(
        request, segment, home_tenant
    )
    failed = endpoint.authenticate(
        request, app, form, secret, audiences, required=not endpoint.public_client(app)
    )
    if failed is not None:
        return failed
    return tokens(endpoint, request, record, app, tenant, user, form)


def redeem_code(
    endpoint: TokenEndpoint, request: Request, segment: str, form: dict, secret: str
) -> dict | Response:
    for field in ("code", "redirect_uri"):
        if not form.get(field):
            return missing(request, field)
    record = endpoint.world.pending.get(f"code:{form['code']}")
    if record is None:
        return _invalid_grant(
            request, 70000, "The provided value for the 'code' parameter is not valid."
        )
    if record.get("used"):
        return _invalid_grant(
            request,
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code "
            "or use an existing refresh token.",
        )
    if record["client_id"] != form["client_id"].lower():
        return _invalid_grant(
            request, 70000, "The provided authorization code was issued to a different client."
        )
    record["used"] = True
    if record["expires"] < time.time():
        return _invalid_grant(
            request,
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. "
            "Send a new interactive authorization request for this user and resource.",
        )
    if record["redirect_uri"] != form["redirect_uri"]:
        return _invalid_grant(
            request,
            70000,
            "The provided value for the input parameter 'redirect_uri' is not valid. The value "
            "must exactly match the redirect URI used to obtain the authorization code.",
        )
    if not endpoint.pkce_ok(record["challenge"], record["method"], form.get("code_verifier", "")):
        return _invalid_grant(
            request,
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization "
            "request.",
        )
    if segment.lower() not in ("common", "organizations"):
        target = resolve_tenant(endpoint.world, request, segment)
        if isinstance(target, Response):
            return target
    return _finish(endpoint, request, record, form, secret)


def redeem_device_code(endpoint: TokenEndpoint, request: Request, form: dict) -> dict | Response:
    if not form.get("device_code"):
        return missing(request, "device_code")
    record = endpoint.world.pending.get(f"device:{form['device_code']}")
    if record is None or record["client_id"] != form["client_id"].lower():
        return error(
            request,
            400,
            "bad_verification_code",
            70018,
            "The provided value for the input parameter 'device_code' is not valid.",
        )
    now = time.time()
    if record["expires"] < now:
        return error(
            request,
            400,
            "expired_token",
            70019,
            "Verification code expired. The device code has expired; restart the sign-in.",
        )
    status = record["status"]
    if status == "pending":
        interval = record["interval"]
        too_soon = now - record["last_poll"] < interval - min(1, interval / 2)  # network skew
        record["last_poll"] = now
        if too_soon and record["polled"]:
            return error(
                request,
                400,
                "slow_down",
                70016,
                "OAuth 2.0 device flow error. Polling too frequently; slow down.",
            )
        record["polled"] = True
        return error(
            request,
            400,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )
    if status == "declined":
        return error(
            request,
            400,
            "authorization_declined",
            70000,
            "The end user denied the authorization request.",
        )
    if status == "blocked":
        return error(
            request,
            400,
            "invalid_grant",
            53003,
            "Access has been blocked by Conditional Access policies. The access policy "
            "does not allow token issuance.",
        )
    if record.get("used"):
        return error(
            request,
            400,
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new "
            "valid code or use an existing refresh token.",
        )
    record["used"] = True
    return _finish(endpoint, request, record, form, form.get("client_secret", ""))
