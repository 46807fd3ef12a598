"""Microsoft-shaped error bodies: ESTS (AADSTS) for identity, OData for Graph.

Clients branch on these fields, so the layout follows microsoft-cases.json to the character.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from onramp.sandbox.web import Response, json_response

GRAPH_CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;"
    "IEEE754Compatible=false;charset=utf-8"
)


def _now() -> datetime:
    return datetime.now(UTC)


def aad_error(
    status: int,
    error: str,
    code: int,
    message: str,
    correlation_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An ESTS error: `AADSTS<code>: text` plus the trace trailer Microsoft appends."""
    trace_id = str(uuid.uuid4())
    correlation = correlation_id or str(uuid.uuid4())
    stamp = _now().strftime("%Y-%m-%d %H:%M:%SZ")
    description = (
        f"AADSTS{code}: {message}\r\nTrace ID: {trace_id}\r\n"
        f"Correlation ID: {correlation}\r\nTimestamp: {stamp}"
    )
    body = {
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace_id,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    merged = {
        "Cache-Control": "no-store, no-cache",
        "Pragma": "no-cache",
        "x-ms-request-id": trace_id,
    }
    merged.update(headers or {})
    return json_response(status, body, merged)


def graph_error_body(code: str, message: str, request_id: str, client_request_id: str) -> dict:
    """The OData error object; `date` has no zone and no fraction, as Graph sends it."""
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": _now().strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    }


class GraphError(Exception):
    """Raised inside Graph handlers; rendered once with the request's ids."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def bad_request(message: str) -> GraphError:
    return GraphError(400, "BadRequest", message)


def directory_error(message: str) -> GraphError:
    """A 400 from the directory behind Graph (users, domains, licenses): `Request_BadRequest`."""
    return GraphError(400, "Request_BadRequest", message)


def invalid_property(name: str, resource: str) -> GraphError:
    return directory_error(
        f"Invalid value specified for property '{name}' of resource '{resource}'."
    )


def not_found(identifier: str) -> GraphError:
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{identifier}' does not exist or one of its queried reference-property "
        "objects are not present.",
    )


def forbidden() -> GraphError:
    return GraphError(
        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
    )


def graph_fault(status: int, retry_after: int | None) -> GraphError:
    """An injected Graph failure with the code Graph uses for that status."""
    code, message = {
        429: ("TooManyRequests", "Too many requests."),
        500: ("UnknownError", "An internal server error occurred."),
        502: ("BadGateway", "The gateway received an invalid response."),
        503: (
            "serviceNotAvailable",
            "The service is temporarily unavailable. Retry the request after a delay.",
        ),
        504: ("gatewayTimeout", "The gateway timed out waiting for the service."),
    }.get(status, ("generalException", "An unspecified error occurred."))
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return GraphError(status, code, message, headers)


def aad_fault(status: int, retry_after: int | None, correlation_id: str | None) -> Response:
    """An injected identity-side failure: 429 is tenant throttling, anything else ESTS trouble."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if status == 429:
        return aad_error(
            429,
            "temporarily_unavailable",
            90055,
            "TenantThrottlingError - There are too many incoming requests. "
            "This exception is thrown for blocked tenants.",
            correlation_id,
            headers,
        )
    return aad_error(
        status,
        "temporarily_unavailable",
        90033,
        "A transient error has occurred. Please try again.",
        correlation_id,
        headers,
    )
