"""The token endpoint: client-credentials, authorization-code (PKCE) and device-code grants.

Checks run in Entra's order (msidentity.md §8) so each mistake surfaces as the AADSTS code a
real tenant gives. Objects still inside the replication delay are treated as absent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
from urllib.parse import unquote

from onramp.sandbox import delegated
from onramp.sandbox.assertions import ASSERTION_TYPE, check_assertion, check_secret
from onramp.sandbox.catalog import DIRECTORY_ROLES, GRAPH_RESOURCES, TEAMS_RESOURCES
from onramp.sandbox.certs import SigningKey
from onramp.sandbox.directory import allows_public_client
from onramp.sandbox.ests import NO_STORE, app_not_found, error, missing, resolve_tenant
from onramp.sandbox.model import Application, Principal, Tenant, visible
from onramp.sandbox.state import World
from onramp.sandbox.web import Request, Response, json_response

TOKEN_LIFETIME = 3599
DEVICE_GRANTS = {"urn:ietf:params:oauth:grant-type:device_code", "device_code"}


def _basic_credentials(header: str) -> tuple[str, str] | None:
    """client_secret_basic: base64(urlencode(id):urlencode(secret))."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret)


class TokenEndpoint:
    def __init__(self, world: World, key: SigningKey) -> None:
        self.world = world
        self.key = key

    def token(self, request: Request, segment: str) -> Response:
        form = request.form()
        grant = form.get("grant_type", "")
        if grant not in ("client_credentials", "authorization_code", *DEVICE_GRANTS):
            return error(
                request, 400, "unsupported_grant_type", 70003,
                f"The app requested an unsupported grant type '{grant}'.",
            )  # fmt: skip
        multi = segment.lower() in ("common", "organizations")
        tenant: Tenant | Response | None = None
        if not (multi and grant != "client_credentials"):
            tenant = resolve_tenant(self.world, request, segment)
            if isinstance(tenant, Response):
                return tenant
        secret = form.get("client_secret", "")
        basic = _basic_credentials(request.headers.get("authorization", ""))
        if basic is not None:
            form.setdefault("client_id", basic[0])
            secret = secret or basic[1]
        if not form.get("client_id"):
            return missing(request, "client_id")
        with self.world.lock:
            if grant == "client_credentials":
                assert isinstance(tenant, Tenant)
                outcome = self._client_credentials(request, tenant, form, secret)
            elif grant == "authorization_code":
                outcome = delegated.redeem_code(self, request, segment, form, secret)
            else:
                outcome = delegated.redeem_device_code(self, request, form)
        if isinstance(outcome, Response):
            return outcome
        return json_response(200, outcome, NO_STORE)

    def audiences(self, request: Request, segment: str, tenant: Tenant) -> set[str]:
        """The token endpoint URLs an assertion may name as `aud`."""
        names = {segment, tenant.tenant_id, *tenant.domains}
        return {f"{request.base_url}/{name}/oauth2/{v}token" for name in names
                for v in ("v2.0/", "")}  # fmt: skip

    def authenticate(
        self, request: Request, app: Application, form: dict, secret: str, audiences: set[str],
        *, required: bool,
    ) -> Response | None:  # fmt: skip
        """Check the client's secret or assertion; public clients may send neither."""
        assertion = form.get("client_assertion", "")
        if assertion and not secret:
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                return missing(request, "client_assertion_type")
            return check_assertion(request, app, assertion, audiences)
        if secret:
            return check_secret(request, app, secret)
        if required:
            return error(
                request, 401, "invalid_client", 7000218,
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'.",
            )  # fmt: skip
        return None

    def client(self, request: Request, tenant: Tenant, client_id: str) -> tuple | Response:
        """(application, its service principal in `tenant`) or Entra's 700016 / 7000112."""
        home = self.world.home_of(client_id)
        principal = tenant.principal_for(client_id)
        app = home[1] if home else None
        if (
            app is None
            or principal is None
            or not visible(app.visible_at)
            or not visible(getattr(principal, "sp_visible_at", None) or principal.visible_at)
        ):
            return app_not_found(request, client_id, tenant.display_name)
        if not principal.enabled:
            return error(
                request, 400, "unauthorized_client", 7000112,
                f"Application '{app.app_id}'({app.display_name}) is disabled.",
            )  # fmt: skip
        return app, principal

    def _client_credentials(
        self, request: Request, tenant: Tenant, form: dict, secret: str
    ) -> dict | Response:
        """Authenticate the client and return the token response (caller holds the lock)."""
        found = self.client(request, tenant, form["client_id"])
        if isinstance(found, Response):
            return found
        app, principal = found
        segment = request.path.lstrip("/").partition("/")[0]
        failed = self.authenticate(
            request, app, form, secret, self.audiences(request, segment, tenant), required=True
        )
        if failed is not None:
            return failed
        scopes = form.get("scope", "").split()
        if not scopes:
            return missing(request, "scope")
        for scope in scopes:
            if not scope.endswith("/.default"):
                return error(
                    request, 400, "invalid_scope", 1002012,
                    f"The provided value for scope {scope} is not valid. Client credential flows "
                    "must have a scope value with /.default suffixed to the resource identifier "
                    "(application ID URI).",
                )  # fmt: skip
        audiences = {scope.removesuffix("/.default") for scope in scopes}
        if len(audiences) > 1:
            return error(
                request, 400, "invalid_scope", 700022,
                "The provided value for the input parameter scope is not valid because it "
                f"contains more than one resource. Scope {' '.join(scopes)} is not valid.",
            )  # fmt: skip
        audience = audiences.pop()
        resource = audience.rstrip("/").lower()
        is_graph = resource in GRAPH_RESOURCES
        is_teams = tenant.teams and resource in TEAMS_RESOURCES
        if not (is_graph or is_teams):
            return error(
                request, 400, "invalid_resource", 500011,
                f"The resource principal named {audience} was not found in the tenant named "
                f"{tenant.display_name}. This can happen if the application has not been "
                "installed by the administrator of the tenant or consented to by any user in the "
                "tenant. You might have sent your authentication request to the wrong tenant.",
            )  # fmt: skip
        claims = self.app_claims(tenant, principal, audience, form)
        roles = principal.permissions if is_graph else principal.teams_permissions
        if roles:
            claims["roles"] = list(roles)
        return self.bearer(claims)

    @staticmethod
    def app_claims(tenant: Tenant, principal: Principal, audience: str, form: dict) -> dict:
        issuer = f"https://sts.windows.net/{tenant.tenant_id}/"
        issued = int(time.time())
        claims: dict = {
            "aud": audience,
            "iss": issuer,
            "iat": issued,
            "nbf": issued,
            "exp": issued + TOKEN_LIFETIME,
            "appid": principal.app_id,
            "appidacr": "2" if form.get("client_assertion") else "1",
            "idp": issuer,
            "idtyp": "app",
            "oid": principal.service_principal_id,
            "sub": principal.service_principal_id,
            "tid": tenant.tenant_id,
            "uti": secrets.token_urlsafe(16),
            "ver": "1.0",
        }
        if principal.roles:
            claims["wids"] = [DIRECTORY_ROLES[role] for role in principal.roles]
        return claims

    def bearer(self, claims: dict, **extra: str) -> dict:
        return {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "ext_expires_in": TOKEN_LIFETIME,
            "access_token": self.key.mint(claims),
            **extra,
        }

    @staticmethod
    def pkce_ok(challenge: str | None, method: str, verifier: str) -> bool:
        if not challenge:
            return True
        if method.upper() == "S256":
            digest = hashlib.sha256(verifier.encode()).digest()
            return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == challenge
        return verifier == challenge

    @staticmethod
    def public_client(app: Application) -> bool:
        return allows_public_client(app)
