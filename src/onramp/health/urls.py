"""The connection health pages."""

from django.urls import path

from onramp.health import views

app_name = "health"
urlpatterns = [
    path("health/", views.health_list, name="list"),
    path("health/validate/", views.validate_all, name="validate"),
    path("health/jobs/<uuid:job_id>/", views.job_detail, name="job"),
]
