"""Helpers shared by the identity endpoints: ESTS errors and the tenant in the path."""

from __future__ import annotations

import re

from onramp.sandbox.errors import aad_error
from onramp.sandbox.model import Tenant
from onramp.sandbox.state import World
from onramp.sandbox.web import Request, Response

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_GUID_LIKE = re.compile(r"^[0-9a-f-]*-[0-9a-f-]*$", re.I)
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.I)
MULTI_TENANT = {"common", "organizations", "consumers"}
NO_STORE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


def well_formed(segment: str) -> bool:
    """A GUID or a DNS name; GUID look-alikes with wrong groups are malformed, as in Entra."""
    if _GUID.match(segment):
        return True
    if _GUID_LIKE.match(segment) or len(segment) > 253:
        return False
    return all(_LABEL.match(label) for label in segment.split("."))


def error(request: Request, status: int, error: str, code: int, message: str) -> Response:
    return aad_error(status, error, code, message, request.headers.get("client-request-id"))


def resolve_tenant(world: World, request: Request, segment: str) -> Tenant | Response:
    if not well_formed(segment):
        return error(
            request,
            400,
            "invalid_request",
            900023,
            f"Specified tenant identifier '{segment}' is neither a valid DNS name, "
            "nor a valid external domain.",
        )
    tenant = world.resolve(segment)
    if tenant is None:
        return error(
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


def missing(request: Request, field: str) -> Response:
    return error(
        request,
        400,
        "invalid_request",
        900144,
        f"The request body must contain the following parameter: '{field}'.",
    )


def app_not_found(request: Request, client_id: str, directory: str) -> Response:
    return error(
        request,
        400,
        "unauthorized_client",
        700016,
        f"Application with identifier '{client_id}' was not found in the directory "
        f"'{directory}'. This can happen if the application has not been installed "
        "by the administrator of the tenant or consented to by any user in the tenant. You "
        "may have sent your authentication request to the wrong tenant.",
    )
