"""The identity platform: discovery, keys, instance discovery and the device-code request.

Token grants live in `grants.py`, the browser pages in `authorize.py`.
"""

from __future__ import annotations

import secrets
import string
import time
from urllib.parse import urlsplit

from onramp.sandbox.authorize import Pages
from onramp.sandbox.certs import SigningKey
from onramp.sandbox.ests import (
    MULTI_TENANT,
    NO_STORE,
    app_not_found,
    error,
    missing,
    resolve_tenant,
)
from onramp.sandbox.grants import TokenEndpoint
from onramp.sandbox.state import World
from onramp.sandbox.web import Request, Response, json_response

CLAIMS_SUPPORTED = (
    "sub iss cloud_instance_name cloud_instance_host_name cloud_graph_host_name msgraph_host aud "
    "exp iat auth_time acr nonce preferred_username name tid ver at_hash c_hash email"
).split()


class Identity:
    """Handlers for everything under /{tenant}/ and /common/discovery/instance."""

    def __init__(self, world: World, key: SigningKey) -> None:
        self.world = world
        self.key = key
        self.tokens = TokenEndpoint(world, key)
        self.pages = Pages(world)
        self._routes = {
            "v2.0/.well-known/openid-configuration": ("GET", self.discovery),
            "discovery/v2.0/keys": ("GET", self.keys),
            "oauth2/v2.0/token": ("POST", self.tokens.token),
            "oauth2/v2.0/devicecode": ("POST", self.devicecode),
            "oauth2/v2.0/authorize": ("GET", self.pages.authorize),
            "login": ("POST", self.pages.login),
            "v2.0/adminconsent": ("GET", self.pages.admin_consent),
        }

    def handle(self, request: Request) -> Response:
        segment, _, rest = request.path.lstrip("/").partition("/")
        if segment == "common" and rest == "discovery/instance" and request.method == "GET":
            return self.instance_discovery(request)
        if segment == "devicelogin" and not rest:
            return self.pages.devicelogin(request)
        route = self._routes.get(rest.rstrip("/"))
        if route is None:
            return json_response(404, {"error": "not_found", "path": request.path})
        method, handler = route
        if request.method != method:
            return error(
                request,
                400,
                "invalid_request",
                900561,
                f"The endpoint only accepts {method}, OPTIONS requests. "
                f"Received a {request.method} request.",
            )
        return handler(request, segment)

    def discovery(self, request: Request, segment: str) -> Response:
        if segment.lower() in ("common", "organizations"):
            root, issuer = f"{request.base_url}/{segment.lower()}", "{tenantid}"
        else:
            tenant = resolve_tenant(self.world, request, segment)
            if isinstance(tenant, Response):
                return tenant
            root = issuer = f"{request.base_url}/{tenant.tenant_id}"
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
            "issuer": f"{request.base_url}/{issuer}/v2.0"
            if issuer == "{tenantid}"
            else f"{root}/v2.0",
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
        if segment.lower() in MULTI_TENANT:
            issuer = "https://login.microsoftonline.com/{tenantid}/v2.0"
        else:
            tenant = resolve_tenant(self.world, request, segment)
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
        """Start a device-code sign-in; the user finishes it at the sandbox's /devicelogin."""
        if segment.lower() not in ("common", "organizations"):
            tenant = resolve_tenant(self.world, request, segment)
            if isinstance(tenant, Response):
                return tenant
        form = request.form()
        for field in ("client_id", "scope"):
            if not form.get(field):
                return missing(request, field)
        with self.world.lock:
            faults = self.world.faults
            home = self.world.home_of(form["client_id"])
            allowed = home is not None and (
                segment.lower() in ("common", "organizations")
                or home[1].sign_in_audience != "AzureADMyOrg"
                or self.world.resolve(segment) is home[0]
            )
            if not allowed:
                target = self.world.resolve(segment)
                name = target.display_name if target else segment
                return app_not_found(request, form["client_id"], name)
            user_code = "".join(
                secrets.choice(string.ascii_uppercase + string.digits) for _ in range(9)
            )
            device_code = secrets.token_urlsafe(96)
            self.world.pending[f"device:{device_code}"] = {
                "client_id": form["client_id"].lower(),
                "scope": form["scope"],
                "segment": segment,
                "expires": time.time() + faults.device_code_expires_in,
                "interval": faults.device_code_interval,
                "last_poll": 0.0,
                "status": "pending",
                "polled": False,
            }
            self.world.pending[f"user_code:{user_code}"] = device_code
        return json_response(
            200,
            {
                "user_code": user_code,
                "device_code": device_code,
                "verification_uri": "https://microsoft.com/devicelogin",
                "expires_in": faults.device_code_expires_in,
                "interval": faults.device_code_interval,
                "message": "To sign in, use a web browser to open the page "
                f"https://microsoft.com/devicelogin and enter the code {user_code} to "
                "authenticate.",
            },
            NO_STORE,
        )
