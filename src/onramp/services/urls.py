"""The operator portal's pages (sign-in pages are in accounts.urls)."""

from django.urls import path

from onramp.audit import views as audit
from onramp.health import urls as health_urls
from onramp.services.views import add, invitations, m365, portal
from onramp.tenancy import views as tenancy

app_name = "services"
urlpatterns = [
    path("dashboard/", portal.dashboard, name="dashboard"),
    path("customers/", tenancy.customer_list, name="customers"),
    path("customers/add/", tenancy.customer_add, name="customer-add"),
    path("customers/<uuid:customer_id>/edit/", tenancy.customer_edit, name="customer-edit"),
    path("channels/", tenancy.channel_list, name="channels"),
    path("channels/add/", tenancy.channel_add, name="channel-add"),
    path("channels/<uuid:channel_id>/edit/", tenancy.channel_edit, name="channel-edit"),
    path("providers/", tenancy.provider_list, name="providers"),
    path("providers/add/", tenancy.provider_add, name="provider-add"),
    path("providers/<uuid:provider_id>/edit/", tenancy.provider_edit, name="provider-edit"),
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
urlpatterns += [
    *health_urls.urlpatterns,
    path("audit/", audit.audit_list, name="audit"),
]
