"""The identity platform: discovery, keys, the client-credentials token endpoint, device code.

The token endpoint checks in Entra's order (see msidentity.md section 8) so that each mistake
surfaces as the AADSTS code a real tenant would give.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets
import string
import time
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from onramp.sandbox.catalog import DIRECTORY_ROLES, GRAPH_RESOURCES, TEAMS_RESOURCES
from onramp.sandbox.certs import SigningKey
from onramp.sandbox.errors import aad_error
from onramp.sandbox.model import Tenant
from onramp.sandbox.state import World
from onramp.sandbox.web import Request, Response, json_response

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_GUID_LIKE = re.compile(r"^[0-9a-f-]*-[0-9a-f-]*$", re.I)
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.I)
_MULTI_TENANT = {"common", "organizations", "consumers"}
TOKEN_LIFETIME = 3599
CLAIMS_SUPPORTED = (
    "sub iss cloud_instance_name cloud_instance_host_name cloud_graph_host_name msgraph_host aud "
    "exp iat auth_time acr nonce preferred_username name tid ver at_hash c_hash email"
).split()
_NO_STORE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


def well_formed(segment: str) -> bool:
    """A GUID or a DNS name; GUID look-alikes with wrong groups are malformed, as in Entra."""
    if _GUID.match(segment):
        return True
    if _GUID_LIKE.match(segment) or len(segment) > 253:
        return False
    return all(_LABEL.match(label) for label in segment.split("."))


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


class Identity:
    """Handlers for everything under /{tenant}/ and /common/discovery/instance."""

    def __init__(self, world: World, key: SigningKey) -> None:
        self.world = world
        self.key = key
        self._routes = {
            "v2.0/.well-known/openid-configuration": ("GET", self.discovery),
            "discovery/v2.0/keys": ("GET", self.keys),
            "oauth2/v2.0/token": ("POST", self.token),
            "oauth2/v2.0/devicecode": ("POST", self.devicecode),
        }

    def handle(self, request: Request) -> Response:
        segment, _, rest = request.path.lstrip("/").partition("/")
        if segment == "common" and rest == "discovery/instance" and request.method == "GET":
            return self.instance_discovery(request)
        route = self._routes.get(rest.rstrip("/"))
        if route is None:
            return json_response(404, {"error": "not_found", "path": request.path})
        method, handler = route
        if request.method != method:
            return self._error(
                request,
                400,
                "invalid_request",
                900561,
                f"The endpoint only accepts {method}, OPTIONS requests. "
                f"Received a {request.method} request.",
            )
        return handler(request, segment)

    @staticmethod
    def _error(request: Request, status: int, error: str, code: int, message: str) -> Response:
        return aad_error(status, error, code, message, request.headers.get("client-request-id"))

    def _tenant(self, request: Request, segment: str) -> Tenant | Response:
        if not well_formed(segment):
            return self._error(
                request,
                400,
                "invalid_request",
                900023,
                f"Specified tenant identifier '{segment}' is neither a valid DNS name, "
                "nor a valid external domain.",
            )
        tenant = self.world.resolve(segment)
        if tenant is None:
            return self._error(
                request,
                400,
                "invalid_tenant",
                90002,
                f"Tenant '{segment}' not found. Check to make sure you have the correct tenant ID "
                "and are signing into the correct cloud. Check with your subscription "
                "administrator, this may happen if there are no active subscriptions for the "
                "tenant.",
            )
        return tenant

    def discovery(self, request: Request, segment: str) -> Response:
        tenant = self._tenant(request, segment)
        if isinstance(tenant, Response):
            return tenant
        root = f"{request.base_url}/{tenant.tenant_id}"
        document = {
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{root}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{root}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{request.base_url}/graph/oidc/userinfo",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
            "claims_supported": CLAIMS_SUPPORTED,
            "kerberos_endpoint": f"{root}/kerberos",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }
        headers = {"Cache-Control": "max-age=86400, private", "Access-Control-Allow-Origin": "*"}
        return json_response(200, document, headers)

    def keys(self, request: Request, segment: str) -> Response:
        if segment.lower() in _MULTI_TENANT:
            issuer = "https://login.microsoftonline.com/{tenantid}/v2.0"
        else:
            tenant = self._tenant(request, segment)
            if isinstance(tenant, Response):
                return tenant
            issuer = f"{request.base_url}/{tenant.tenant_id}/v2.0"
        return json_response(200, {"keys": [self.key.jwk(issuer)]})

    def instance_discovery(self, request: Request) -> Response:
        authorize = request.query.get("authorization_endpoint", "")
        tenant = urlsplit(authorize).path.lstrip("/").partition("/")[0] or "common"
        host = urlsplit(request.base_url).netloc
        return json_response(
            200,
            {
                "tenant_discovery_endpoint": (
                    f"{request.base_url}/{tenant}/v2.0/.well-known/openid-configuration"
                ),
                "api-version": "1.1",
                "metadata": [
                    {"preferred_network": host, "preferred_cache": host, "aliases": [host]},
                    {
                        "preferred_network": "login.microsoftonline.com",
                        "preferred_cache": "login.windows.net",
                        "aliases": [
                            "login.microsoftonline.com",
                            "login.windows.net",
                            "login.microsoft.com",
                            "sts.windows.net",
                        ],
                    },
                ],
            },
        )

    def devicecode(self, request: Request, segment: str) -> Response:
        tenant = self._tenant(request, segment)
        if isinstance(tenant, Response):
            return tenant
        form = request.form()
        for field in ("client_id", "scope"):
            if not form.get(field):
                return self._missing(request, field)
        with self.world.lock:
            known = form["client_id"].lower() in tenant.applications
        if not known:
            return self._app_not_found(request, form["client_id"], tenant)
        user_code = "".join(
            secrets.choice(string.ascii_uppercase + string.digits) for _ in range(9)
        )
        return json_response(
            200,
            {
                "user_code": user_code,
                "device_code": secrets.token_urlsafe(96),
                "verification_uri": "https://microsoft.com/devicelogin",
                "expires_in": 900,
                "interval": 5,
                "message": "To sign in, use a web browser to open the page "
                f"https://microsoft.com/devicelogin and enter the code {user_code} to "
                "authenticate.",
            },
            _NO_STORE,
        )

    def _missing(self, request: Request, field: str) -> Response:
        return self._error(
            request,
            400,
            "invalid_request",
            900144,
            f"The request body must contain the following parameter: '{field}'.",
        )

    def _app_not_found(self, request: Request, client_id: str, tenant: Tenant) -> Response:
        return self._error(
            request,
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant.display_name}'. This can happen if the application has not been installed "
            "by the administrator of the tenant or consented to by any user in the tenant. You "
            "may have sent your authentication request to the wrong tenant.",
        )

    def token(self, request: Request, segment: str) -> Response:
        form = request.form()
        grant = form.get("grant_type", "")
        if grant != "client_credentials":
            return self._error(
                request,
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant}'.",
            )
        tenant = self._tenant(request, segment)
        if isinstance(tenant, Response):
            return tenant
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        basic = _basic_credentials(request.headers.get("authorization", ""))
        if basic is not None:
            client_id, secret = client_id or basic[0], secret or basic[1]
        if not client_id:
            return self._missing(request, "client_id")
        with self.world.lock:
            outcome = self._client_credentials(request, tenant, client_id, secret, form)
        if isinstance(outcome, Response):
            return outcome
        body = {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "ext_expires_in": TOKEN_LIFETIME,
            "access_token": self.key.mint(outcome),
        }
        return json_response(200, body, _NO_STORE)

    def _client_credentials(
        self, request: Request, tenant: Tenant, client_id: str, secret: str, form: dict
    ) -> dict | Response:
        """Authenticate the client and return the token's claims (caller holds the lock)."""
        app = tenant.applications.get(client_id.lower())
        if app is None:
            return self._app_not_found(request, client_id, tenant)
        if not app.enabled:
            return self._error(
                request,
                400,
                "unauthorized_client",
                7000112,
                f"Application '{app.app_id}'({app.display_name}) is disabled.",
            )
        if not secret and form.get("client_assertion"):
            return self._error(
                request,
                401,
                "invalid_client",
                700027,
                "Client assertion failed signature validation. [Reason - The key was not found.]",
            )
        if not secret:
            return self._error(
                request,
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'.",
            )
        now = datetime.now(UTC)
        matches = [
            s
            for s in app.secrets
            if s.start <= now and hmac.compare_digest(s.secret_text.encode(), secret.encode())
        ]
        if not matches:
            return self._error(
                request,
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID, for a secret added to app "
                f"'{app.app_id}'.",
            )
        if all(s.end <= now for s in matches):
            return self._error(
                request,
                401,
                "invalid_client",
                7000222,
                f"The provided client secret keys for app '{app.app_id}' are expired. Visit the "
                "Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or "
                "consider using certificate credentials for added security: "
                "https://aka.ms/certCreds",
            )
        scopes = form.get("scope", "").split()
        if not scopes:
            return self._missing(request, "scope")
        for scope in scopes:
            if not scope.endswith("/.default"):
                return self._error(
                    request,
                    400,
                    "invalid_scope",
                    1002012,
                    f"The provided value for scope {scope} is not valid. Client credential flows "
                    "must have a scope value with /.default suffixed to the resource identifier "
                    "(application ID URI).",
                )
        audiences = {scope.removesuffix("/.default") for scope in scopes}
        if len(audiences) > 1:
            return self._error(
                request,
                400,
                "invalid_scope",
                700022,
                "The provided value for the input parameter scope is not valid because it "
                f"contains more than one resource. Scope {' '.join(scopes)} is not valid.",
            )
        audience = audiences.pop()
        resource = audience.rstrip("/").lower()
        is_graph = resource in GRAPH_RESOURCES
        if not (is_graph or (tenant.teams and resource in TEAMS_RESOURCES)):
            return self._error(
                request,
                400,
                "invalid_resource",
                500011,
                f"The resource principal named {audience} was not found in the tenant named "
                f"{tenant.display_name}. This can happen if the application has not been "
                "installed by the administrator of the tenant or consented to by any user in the "
                "tenant. You might have sent your authentication request to the wrong tenant.",
            )
        issuer = f"https://sts.windows.net/{tenant.tenant_id}/"
        issued = int(time.time())
        claims: dict = {
            "aud": audience,
            "iss": issuer,
            "iat": issued,
            "nbf": issued,
            "exp": issued + TOKEN_LIFETIME,
            "appid": app.app_id,
            "appidacr": "1",
            "idp": issuer,
            "idtyp": "app",
            "oid": app.service_principal_id,
            "sub": app.service_principal_id,
            "tid": tenant.tenant_id,
            "uti": secrets.token_urlsafe(16),
            "ver": "1.0",
        }
        if is_graph and app.permissions:
            claims["roles"] = list(app.permissions)
        if app.roles:
            claims["wids"] = [DIRECTORY_ROLES[role] for role in app.roles]
        return claims
