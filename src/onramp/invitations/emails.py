"""The invitation email: text and HTML parts rendered from templates."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from onramp.invitations.models import Invitation


def invitation_email(invitation: Invitation, link: str) -> tuple[str, str, str]:
    """Subject, text and HTML of the email that carries the link (it holds no other secret)."""
    service = invitation.service
    context = {
        "provider": service.provider.name,
        "customer": service.customer.name,
        "short_name": service.short_name,
        "full_name": service.full_name,
        "link": link,
        "expires_at": invitation.expires_at,
        "permissions": settings.REQUIRED_GRAPH_PERMISSIONS,
        "roles": settings.REQUIRED_DIRECTORY_ROLES,
    }
    subject = f"{service.provider.name}: activate Microsoft Teams calling for {service.short_name}"
    text = render_to_string("invitations/email/invitation.txt", context)
    html = render_to_string("invitations/email/invitation.html", context)
    return subject, text, html
