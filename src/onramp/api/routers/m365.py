"""A service's M365 configuration: read, validate live, renew the secret, enter its expiry by
hand, re-initiate the authentication flow."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from onramp.api.auth import actor_of, operator_of
from onramp.api.responses import M365, InvitationWithLink, SecretRenewed, Validation, errors
from onramp.api.schemas import ExpiryEntry, Reinitiation, SecretRenewal
from onramp.api.serializers import issued_invitation_json, m365_json, run_json, validation_json
from onramp.connections.services import (
    connection_replace_secret,
    connection_set_expiry,
    connection_validate,
)
from onramp.services.onboarding import service_reinitiate
from onramp.services.selectors import service_get

router = Router(tags=["m365"])


@router.get("/services/{id}/m365", response={200: M365, **errors(404)})
def get_m365(request: HttpRequest, id: str):
    """All null until the service has a tenant connection. Never holds the secret."""
    return m365_json(service_get(operator_of(request), id))


@router.post(
    "/services/{id}/m365/validate",
    response={200: Validation, **errors(403, 404, 409, 429, 503)},
)
def validate_m365(request: HttpRequest, id: str):
    """Every check, live; 200 also when a check fails (`ok: false`). Per service one at a
    time and 5 per 10 minutes: 429 with `Retry-After` beyond that."""
    operator = operator_of(request)
    service = service_get(operator, id)
    return run_json(connection_validate(actor=actor_of(request), service=service))


@router.put(
    "/services/{id}/m365/secret", response={200: SecretRenewed, **errors(403, 404, 409, 422, 503)}
)
def renew_secret(request: HttpRequest, id: str, payload: SecretRenewal):
    """Stored once Microsoft issues a token with it for the same tenant and application."""
    operator = operator_of(request)
    service = service_get(operator, id)
    _, result = connection_replace_secret(
        actor=actor_of(request),
        service=service,
        client_secret=payload.client_secret.get_secret_value(),
    )
    return {
        "m365": m365_json(service_get(operator, id)),
        "validation": validation_json(result.as_dict()),
    }


@router.put("/services/{id}/m365/secret-expiry", response={200: M365, **errors(403, 404, 409, 422)})
def enter_secret_expiry(request: HttpRequest, id: str, payload: ExpiryEntry):
    """Only while Microsoft cannot tell the expiry (409 otherwise)."""
    operator = operator_of(request)
    service = service_get(operator, id)
    connection_set_expiry(actor=actor_of(request), service=service, expires_at=payload.expires_at)
    return m365_json(service_get(operator, id))


@router.post(
    "/services/{id}/m365/reinitiate",
    response={201: InvitationWithLink, **errors(403, 404, 409, 422)},
)
def reinitiate(request: HttpRequest, id: str, payload: Reinitiation):
    """A new invitation (with its link, once); the current connection stays until Add."""
    operator = operator_of(request)
    service = service_get(operator, id)
    issued = service_reinitiate(
        actor=actor_of(request), service=service, admin_email=payload.admin_email
    )
    return Status(201, issued_invitation_json(issued))
