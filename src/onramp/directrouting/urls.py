"""The Direct Routing pages: a provider's settings and a service's Direct Routing tab."""

from django.urls import path

from onramp.directrouting import views

app_name = "directrouting"
urlpatterns = [
    path("services/provision/", views.bulk_provision, name="bulk-start"),
    path("services/provision/<uuid:job_id>/", views.bulk_provision_job, name="bulk-job"),
    path(
        "providers/<uuid:provider_id>/direct-routing/",
        views.provider_settings,
        name="settings",
    ),
    path(
        "providers/<uuid:provider_id>/direct-routing/sbc-domains/",
        views.provider_sbc_domains,
        name="sbc-domains",
    ),
    path("providers/<uuid:provider_id>/direct-routing/dns/", views.provider_dns, name="dns"),
    path(
        "providers/<uuid:provider_id>/direct-routing/dns/test/",
        views.provider_dns_test,
        name="dns-test",
    ),
    path(
        "services/<uuid:service_id>/direct-routing/",
        views.service_direct_routing,
        name="service",
    ),
    path("services/<uuid:service_id>/direct-routing/label/", views.service_label, name="label"),
    path("services/<uuid:service_id>/direct-routing/start/", views.service_start, name="start"),
    path("services/<uuid:service_id>/direct-routing/sku/", views.service_sku_confirm, name="sku"),
    path(
        "services/<uuid:service_id>/direct-routing/numbers/",
        views.service_numbers,
        name="numbers",
    ),
    path(
        "services/<uuid:service_id>/direct-routing/teams-activation/",
        views.service_activation_confirm,
        name="activation-confirm",
    ),
    path(
        "services/<uuid:service_id>/direct-routing/teams-script/",
        views.service_script,
        name="script",
    ),
    path("services/<uuid:service_id>/direct-routing/remove/", views.service_remove, name="remove"),
    path(
        "services/<uuid:service_id>/decommission/",
        views.service_decommission_view,
        name="decommission",
    ),
    path(
        "services/<uuid:service_id>/direct-routing/teams-teardown-script/",
        views.service_teardown_script,
        name="teardown-script",
    ),
    path(
        "services/<uuid:service_id>/direct-routing/teams-teardown-confirmation/",
        views.service_teardown_confirm,
        name="teardown-confirm",
    ),
    path(
        "services/<uuid:service_id>/direct-routing/teams-confirmation/",
        views.service_script_confirm,
        name="script-confirm",
    ),
]
