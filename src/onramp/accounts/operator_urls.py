"""The Operators pages (the sign-in pages are in accounts.urls)."""

from django.urls import path

from onramp.accounts import operator_views as views

app_name = "operators"
urlpatterns = [
    path("operators/", views.operator_list, name="list"),
    path("operators/invite/", views.operator_invite_view, name="invite"),
    path("operators/<uuid:operator_id>/role/", views.operator_role_view, name="role"),
    path(
        "operators/<uuid:operator_id>/deactivate/",
        views.operator_deactivate_view,
        name="deactivate",
    ),
]
