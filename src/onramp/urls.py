from django.urls import include, path

from onramp.api.urls import api_urls
from onramp.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("onramp.accounts.urls")),
    path("", include("onramp.services.urls")),
    path("", include("onramp.tenancy.urls")),
    path("", include("onramp.directrouting.urls")),
    path("", include("onramp.health.urls")),
    path("", include("onramp.audit.urls")),
    path("", include("onramp.accounts.operator_urls")),
    path("invite/", include("onramp.invitations.urls")),
    path("sandbox/", include("onramp.sandbox.urls")),
    path("api/v1/", api_urls()),
]
