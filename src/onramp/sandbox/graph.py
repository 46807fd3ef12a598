"""Microsoft Graph under /graph: the reads Onramp validates with, JSON batching, role checks.

Order of checks follows Graph: token first (401), then the route (400), then the token's roles
(403), then the object (404).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable

import jwt

from onramp.sandbox import directory
from onramp.sandbox.certs import SigningKey
from onramp.sandbox.errors import (
    GRAPH_CONTENT_TYPE,
    GraphError,
    bad_request,
    forbidden,
    graph_error_body,
    not_found,
)
from onramp.sandbox.model import GRAPH_APP_ID, Tenant
from onramp.sandbox.state import World
from onramp.sandbox.web import Request, Response, json_response, parse_query

AUDIENCES = ["https://graph.microsoft.com", "https://graph.microsoft.com/", GRAPH_APP_ID]
_READ_DIRECTORY = {"Directory.Read.All", "Directory.ReadWrite.All"}
ORGANIZATION_ROLES = {"Organization.Read.All", "Organization.ReadWrite.All", *_READ_DIRECTORY}
APPLICATION_ROLES = {"Application.Read.All", "Application.ReadWrite.All", *_READ_DIRECTORY}
BATCH_LIMIT = 20
_APP_BY_APP_ID = re.compile(r"^applications\(appId='([^']*)'\)$")
_SP_BY_APP_ID = re.compile(r"^servicePrincipals\(appId='([^']*)'\)$")
_ASSIGNMENTS = re.compile(r"^servicePrincipals/([^/]+)/appRoleAssignments$")
_FILTER_APP_ID = re.compile(r"^\s*appId\s+eq\s+'([^']*)'\s*$", re.I)

Query = dict[str, str]


def _selected(query: Query, available: Iterable[str], type_name: str) -> list[str]:
    """The properties named by `$select` (case-insensitive, as in Graph); [] when absent."""
    wanted = [name.strip() for name in query.get("$select", "").split(",") if name.strip()]
    by_lower = {key.lower(): key for key in available}
    chosen = []
    for name in wanted:
        if name.lower() not in by_lower:
            raise GraphError(
                400,
                "Request_BadRequest",
                f"Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'.",
            )
        chosen.append(by_lower[name.lower()])
    return chosen


def _select(entity: dict, query: Query, type_name: str) -> tuple[dict, str]:
    """Apply `$select`; return the entity and the context suffix naming the selection."""
    chosen = _selected(query, entity, type_name)
    if not chosen:
        return entity, ""
    return {key: entity[key] for key in chosen}, f"({','.join(chosen)})"


def _require(claims: dict, allowed: set[str]) -> None:
    if not allowed & set(claims.get("roles") or []):
        raise forbidden()


class Graph:
    def __init__(self, world: World, key: SigningKey) -> None:
        self.world = world
        self.key = key

    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        client_request_id = request.headers.get("client-request-id") or request_id
        headers = {"request-id": request_id, "client-request-id": client_request_id}
        try:
            claims = self._authenticate(request)
            path = request.path.removeprefix("/graph")
            if path.rstrip("/") == "/v1.0/$batch":
                if request.method != "POST":
                    raise self._method_not_allowed()
                body = self._batch(request, claims)
            else:
                body = self._dispatch(request.method, path, request.query, claims, request.base_url)
        except GraphError as error:
            return self.error_response(error, request_id, client_request_id)
        return json_response(200, body, headers, content_type=GRAPH_CONTENT_TYPE)

    @staticmethod
    def error_response(error: GraphError, request_id: str, client_request_id: str) -> Response:
        headers = {"request-id": request_id, "client-request-id": client_request_id}
        headers.update(error.headers)
        body = graph_error_body(error.code, error.message, request_id, client_request_id)
        return json_response(error.status, body, headers)

    def _authenticate(self, request: Request) -> dict:
        challenge = {
            "WWW-Authenticate": f'Bearer realm="", authorization_uri="{request.base_url}'
            f'/common/oauth2/authorize", client_id="{GRAPH_APP_ID}"'
        }

        def invalid(message: str) -> GraphError:
            return GraphError(401, "InvalidAuthenticationToken", message, challenge)

        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise invalid("Access token is empty.")
        try:
            claims = self.key.verify(token.strip(), AUDIENCES)
        except jwt.ExpiredSignatureError:
            raise invalid("Lifetime validation failed, the token is expired.") from None
        except jwt.InvalidAudienceError:
            raise invalid("Access token validation failure. Invalid audience.") from None
        except jwt.InvalidSignatureError:
            raise invalid("Access token validation failure.") from None
        except jwt.DecodeError:
            raise invalid("CompactToken parsing failed with error code: 80049217") from None
        except jwt.PyJWTError:
            raise invalid("Access token validation failure.") from None
        if self.world.resolve(str(claims["tid"])) is None:
            raise invalid("Access token validation failure. Invalid tenant.")
        return claims

    @staticmethod
    def _method_not_allowed() -> GraphError:
        return GraphError(
            405,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        )

    def _dispatch(self, method: str, path: str, query: Query, claims: dict, base: str) -> dict:
        """Answer one Graph read; raises GraphError for anything but 200."""
        version, _, resource = path.lstrip("/").partition("/")
        if version != "v1.0":
            raise bad_request(f"Invalid version: {version}")
        resource = resource.rstrip("/")
        context = f"{base}/graph/v1.0/$metadata#"
        routes: list[tuple[re.Pattern[str] | str, Callable[..., dict]]] = [
            ("organization", self._organization),
            (_APP_BY_APP_ID, self._application),
            ("applications", self._applications),
            (_SP_BY_APP_ID, self._service_principal),
            (_ASSIGNMENTS, self._assignments),
        ]
        for pattern, handler in routes:
            match = pattern.match(resource) if isinstance(pattern, re.Pattern) else None
            if match or resource == pattern:
                if method != "GET":
                    raise self._method_not_allowed()
                with self.world.lock:
                    tenant = self.world.resolve(str(claims["tid"]))
                    if tenant is None:
                        raise not_found(str(claims["tid"]))
                    arguments = match.groups() if match else ()
                    return handler(tenant, claims, query, context, *arguments)
        raise bad_request(f"Resource not found for the segment '{resource.split('/')[0]}'.")

    @staticmethod
    def _organization(tenant: Tenant, claims: dict, query: Query, context: str) -> dict:
        _require(claims, ORGANIZATION_ROLES)
        entity, suffix = _select(directory.organization(tenant), query, "organization")
        return {"@odata.context": f"{context}organization{suffix}", "value": [entity]}

    @staticmethod
    def _application(tenant: Tenant, claims: dict, query: Query, context: str, app_id: str) -> dict:
        _require(claims, APPLICATION_ROLES)
        app = tenant.applications.get(app_id.lower())
        if app is None:
            raise not_found(app_id)
        entity, suffix = _select(directory.application(tenant, app), query, "application")
        return {"@odata.context": f"{context}applications{suffix}/$entity", **entity}

    @staticmethod
    def _applications(tenant: Tenant, claims: dict, query: Query, context: str) -> dict:
        _require(claims, APPLICATION_ROLES)
        apps = list(tenant.applications.values())
        if "$filter" in query:
            match = _FILTER_APP_ID.match(query["$filter"])
            if match is None:
                raise GraphError(
                    400,
                    "Request_UnsupportedQuery",
                    "Unsupported or invalid query filter clause specified for resource "
                    "'Application'.",
                )
            apps = [app for app in apps if app.app_id == match.group(1).lower()]
        chosen = _selected(query, directory.APPLICATION_FIELDS, "application")
        items = [directory.application(tenant, app) for app in apps]
        if chosen:
            items = [{key: item[key] for key in chosen} for item in items]
        suffix = f"({','.join(chosen)})" if chosen else ""
        return {"@odata.context": f"{context}applications{suffix}", "value": items}

    @staticmethod
    def _service_principal(
        tenant: Tenant, claims: dict, query: Query, context: str, app_id: str
    ) -> dict:
        _require(claims, APPLICATION_ROLES)
        found = directory.service_principal(tenant, app_id)
        if found is None:
            raise not_found(app_id)
        entity, suffix = _select(found, query, "servicePrincipal")
        return {"@odata.context": f"{context}servicePrincipals{suffix}/$entity", **entity}

    @staticmethod
    def _assignments(tenant: Tenant, claims: dict, query: Query, context: str, sp_id: str) -> dict:
        _require(claims, APPLICATION_ROLES)
        items = directory.app_role_assignments(tenant, sp_id)
        if items is None:
            raise not_found(sp_id)
        return {
            "@odata.context": f"{context}servicePrincipals('{sp_id}')/appRoleAssignments",
            "value": items,
        }

    def _batch(self, request: Request, claims: dict) -> dict:
        """JSON batching: each request answered as it would be alone, in the order given."""
        try:
            payload = request.json()
        except ValueError:
            raise bad_request("Invalid batch payload format.") from None
        items = payload.get("requests") if isinstance(payload, dict) else None
        if not isinstance(items, list) or not items:
            raise bad_request("Invalid batch payload format.")
        if len(items) > BATCH_LIMIT:
            raise bad_request(f"The number of batch requests exceeds the limit of {BATCH_LIMIT}.")
        for item in items:
            if not (
                isinstance(item, dict)
                and all(isinstance(item.get(key), str) for key in ("id", "method", "url"))
            ):
                raise bad_request("Invalid batch payload format.")
        if len({item["id"] for item in items}) != len(items):
            raise bad_request("Batch request contains duplicate request ids.")
        return {"responses": [self._batch_one(request, claims, item) for item in items]}

    def _batch_one(self, request: Request, claims: dict, item: dict) -> dict:
        sub_headers = {str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()}
        request_id = str(uuid.uuid4())
        client_request_id = sub_headers.get("client-request-id") or request_id
        path, _, query = item["url"].partition("?")
        headers = {"Content-Type": GRAPH_CONTENT_TYPE}
        try:
            if "://" in path:
                raise bad_request("Invalid request URL: batch URLs must be relative.")
            body = self._dispatch(
                item["method"].upper(),
                "/v1.0/" + path.lstrip("/"),
                parse_query(query),
                claims,
                request.base_url,
            )
            status = 200
        except GraphError as error:
            status = error.status
            headers.update(error.headers)
            body = graph_error_body(error.code, error.message, request_id, client_request_id)
        return {"id": item["id"], "status": status, "headers": headers, "body": body}
