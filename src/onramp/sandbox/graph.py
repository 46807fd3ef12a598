"""Microsoft Graph under /graph: the reads Onramp validates with, JSON batching, role checks.

Order of checks follows Graph: token first (401), then the route (400), then the token's roles
(403), then the object (404).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from onramp.sandbox.catalog import GRAPH_APP_ID
from onramp.sandbox.certs import SigningKey
from onramp.sandbox.errors import GRAPH_CONTENT_TYPE, GraphError, bad_request, graph_error_body
from onramp.sandbox.graph_domains import DOMAIN_ROUTES
from onramp.sandbox.graph_numbers import NUMBER_ROUTES
from onramp.sandbox.graph_reads import READ_ROUTES
from onramp.sandbox.graph_teams import TEAMS_ROUTES
from onramp.sandbox.graph_users import USER_ROUTES
from onramp.sandbox.graph_writes import WRITE_ROUTES
from onramp.sandbox.model import Tenant
from onramp.sandbox.odata import Query
from onramp.sandbox.state import World
from onramp.sandbox.web import Request, Response, json_response, parse_query

AUDIENCES = ["https://graph.microsoft.com", "https://graph.microsoft.com/", GRAPH_APP_ID]
BATCH_LIMIT = 20


@dataclass
class Call:
    """One Graph request as a handler sees it: the caller's tenant and token, query and body."""

    world: World
    tenant: Tenant
    claims: dict
    query: Query
    headers: dict[str, str]
    body: Any
    base: str  # https://host:port/graph/v1.0
    path: str

    @property
    def context(self) -> str:
        return f"{self.base}/$metadata#"


Handler = Callable[..., tuple]  # (status, body) or (status, body, extra headers)
Reply = tuple[int, dict | None, dict[str, str]]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    *READ_ROUTES,
    *WRITE_ROUTES,
    *DOMAIN_ROUTES,
    *USER_ROUTES,
    *TEAMS_ROUTES,
    *NUMBER_ROUTES,
]


class Graph:
    def __init__(self, world: World, key: SigningKey) -> None:
        self.world = world
        self.key = key

    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        client_request_id = request.headers.get("client-request-id") or request_id
        headers = {"request-id": request_id, "client-request-id": client_request_id}
        reply: Reply
        try:
            claims = self._authenticate(request)
            path = request.path.removeprefix("/graph")
            if path.rstrip("/") == "/v1.0/$batch":
                if request.method != "POST":
                    raise self._method_not_allowed()
                reply = 200, self._batch(request, claims), {}
            else:
                reply = self._dispatch(
                    request.method,
                    path,
                    request.query,
                    request.headers,
                    request.body,
                    claims,
                    request.base_url,
                )
        except GraphError as error:
            return self.error_response(error, request_id, client_request_id)
        status, body, extra = reply
        headers.update(extra)
        if body is None:
            return Response(status, b"", headers)
        return json_response(status, body, headers, content_type=GRAPH_CONTENT_TYPE)

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

    def _dispatch(
        self,
        method: str,
        path: str,
        query: Query,
        headers: dict[str, str],
        raw: bytes,
        claims: dict,
        base: str,
    ) -> Reply:
        """Answer one Graph call; raises GraphError for failures."""
        version, _, resource = path.lstrip("/").partition("/")
        if version != "v1.0":
            raise bad_request(f"Invalid version: {version}")
        resource = resource.rstrip("/")
        allowed = False
        for verb, pattern, handler in ROUTES:
            match = pattern.match(resource)
            if match is None:
                continue
            if verb != method:
                allowed = True
                continue
            body = self._json(raw) if method in ("POST", "PATCH") else None
            with self.world.lock:
                tenant = self.world.resolve(str(claims["tid"]))
                if tenant is None:
                    raise GraphError(404, "Request_ResourceNotFound", "Tenant not found.")
                call = Call(
                    self.world, tenant, claims, query, headers, body, f"{base}/graph/v1.0", resource
                )
                status, body, *extra = handler(call, *match.groups())
                return status, body, extra[0] if extra else {}
        if allowed:
            raise self._method_not_allowed()
        raise bad_request(f"Resource not found for the segment '{resource.split('/')[0]}'.")

    @staticmethod
    def _json(raw: bytes) -> dict:
        if not raw.strip():
            return {}  # actions such as `verify` take no body
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            raise bad_request("Unable to read JSON request payload.") from None
        if not isinstance(body, dict):
            raise bad_request("Unable to read JSON request payload.")
        return body

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
            sub_body = item.get("body")
            raw = json.dumps(sub_body).encode() if sub_body is not None else b""
            status, body, extra = self._dispatch(
                item["method"].upper(),
                "/v1.0/" + path.lstrip("/"),
                parse_query(query),
                sub_headers,
                raw,
                claims,
                request.base_url,
            )
            headers.update(extra)
        except GraphError as error:
            status = error.status
            headers.update(error.headers)
            body = graph_error_body(error.code, error.message, request_id, client_request_id)
        return {"id": item["id"], "status": status, "headers": headers, "body": body}
