"""The NinjaAPI instance: bearer auth on every operation, JSON-only bodies, the contract's
error bodies, one router per area. OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs
(Swagger UI served from the ``ninja`` app's static files, no CDN)."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.operation import Operation

from onramp.api import errors
from onramp.api.auth import BearerToken
from onramp.api.parser import JsonObjectParser
from onramp.api.routers import (
    audit,
    customers,
    directrouting,
    health,
    invitations,
    m365,
    operators,
    services,
    tenancy,
)

DESCRIPTION = (
    "Onboarding of Microsoft Teams Direct Routing customers, their connection health, and the "
    "providers, channels, operators, tokens and audit trail around them. Authenticate with "
    "`Authorization: Bearer <token>` (`onramp token create`). Timestamps are ISO 8601 UTC; "
    "lists return `{items, next}` and take `?limit=` (1-500, default 50) and `?cursor=`. "
    'Errors: `{"detail", "code", "errors"?}`.'
)


class OnrampApi(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """Short, stable operation ids (``create_service``) for generated clients."""
        return operation.view_func.__name__


def build_api() -> NinjaAPI:
    api = OnrampApi(
        title="Onramp API",
        version="1",
        description=DESCRIPTION,
        auth=BearerToken(),
        parser=JsonObjectParser(),
        urls_namespace="api",
        openapi_url="/openapi.json",
        docs_url="/docs",
    )
    errors.install(api)
    for area in (
        customers,
        services,
        invitations,
        m365,
        tenancy,
        operators,
        audit,
        health,
        directrouting,
    ):
        api.add_router("", area.router)
    return api


api = build_api()
