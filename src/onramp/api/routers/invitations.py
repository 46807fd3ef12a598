"""Invitations: list (by effective status), resend, revoke and Add (complete onboarding)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from onramp.api.auth import actor_of, operator_of
from onramp.api.pagination import page
from onramp.api.responses import Activation, Invitation, InvitationPage, InvitationWithLink, errors
from onramp.api.schemas import InvitationFilters
from onramp.api.serializers import (
    invitation_json,
    issued_invitation_json,
    service_json,
    validation_json,
)
from onramp.invitations.selectors import invitation_get, invitations_visible, with_status
from onramp.invitations.services import invitation_resend
from onramp.services.onboarding import invitation_revoke, service_activate

router = Router(tags=["invitations"])


@router.get("/invitations", response={200: InvitationPage, **errors(422)})
def list_invitations(request: HttpRequest, params: Query[InvitationFilters]):
    """Newest first."""
    invitations = invitations_visible(operator_of(request))
    if params.status:
        invitations = with_status(invitations, params.status)
    if params.customer_id:
        invitations = invitations.filter(customer_id=params.customer_id)
    return page(invitations, limit=params.limit, cursor=params.cursor, render=invitation_json)


@router.get("/invitations/{id}", response={200: Invitation, **errors(404)})
def get_invitation(request: HttpRequest, id: str):
    """Never the link: only resend makes a new one."""
    return invitation_json(invitation_get(operator_of(request), id))


@router.post(
    "/invitations/{id}/resend", response={200: InvitationWithLink, **errors(403, 404, 409)}
)
def resend_invitation(request: HttpRequest, id: str):
    """A new link (the old one dies), a new expiry, the email queued."""
    operator = operator_of(request)
    invitation = invitation_get(operator, id)
    return issued_invitation_json(invitation_resend(actor=actor_of(request), invitation=invitation))


@router.post("/invitations/{id}/revoke", response={200: Invitation, **errors(403, 404, 409)})
def revoke_invitation(request: HttpRequest, id: str):
    operator = operator_of(request)
    invitation = invitation_get(operator, id)
    return invitation_json(invitation_revoke(actor=actor_of(request), invitation=invitation))


@router.post("/invitations/{id}/add", response={200: Activation, **errors(403, 404, 409, 422, 503)})
def add_invitation(request: HttpRequest, id: str):
    """Validates the received credentials live again, then completes the onboarding."""
    operator = operator_of(request)
    invitation = invitation_get(operator, id)
    service, result = service_activate(actor=actor_of(request), invitation=invitation)
    return {"service": service_json(service), "validation": validation_json(result.as_dict())}
