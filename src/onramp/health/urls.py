"""Connection health pages; included in services.urls (the "services" namespace)."""

from django.urls import path

from onramp.health import views

urlpatterns = [
    path("health/", views.health_list, name="health"),
    path("health/validate/", views.validate_all, name="health-validate"),
    path("health/jobs/<uuid:job_id>/", views.job_detail, name="health-job"),
]
