"""The services pages: list, detail, Add Service, Microsoft 365, invitations (sign-in pages are
in accounts.urls; tenancy, health and audit have their own)."""

from django.urls import path

from onramp.services.views import add, invitations, m365, portal

app_name = "services"
urlpatterns = [
    path("dashboard/", portal.dashboard, name="dashboard"),
    path("services/", portal.service_list, name="list"),
    path("services/add/", add.add_service, name="add"),
    path("services/add/direct-routing/", add.direct_routing, name="direct-routing"),
    path("services/<uuid:service_id>/", portal.service_detail, name="detail"),
    path("services/<uuid:service_id>/delete/", portal.service_delete_view, name="delete"),
    path("services/<uuid:service_id>/m365/", m365.m365_view, name="m365"),
    path("services/<uuid:service_id>/m365/validate/", m365.m365_validate, name="m365-validate"),
    path("services/<uuid:service_id>/m365/secret/", m365.m365_secret, name="m365-secret"),
    path("services/<uuid:service_id>/m365/expiry/", m365.m365_expiry, name="m365-expiry"),
    path(
        "services/<uuid:service_id>/m365/reinitiate/",
        m365.m365_reinitiate,
        name="m365-reinitiate",
    ),
    path("invitations/", invitations.invitation_list, name="invitations"),
    path(
        "invitations/<uuid:invitation_id>/resend/",
        invitations.invitation_resend_view,
        name="invitation-resend",
    ),
    path(
        "invitations/<uuid:invitation_id>/revoke/",
        invitations.invitation_revoke_view,
        name="invitation-revoke",
    ),
    path(
        "invitations/<uuid:invitation_id>/add/",
        invitations.invitation_add_view,
        name="invitation-add",
    ),
]
