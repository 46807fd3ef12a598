"""The public wizard at /invite/<token>; anything else under /invite/ is an unknown link."""

from django.urls import path, re_path

from onramp.invitations import views

app_name = "invitations"
urlpatterns = [
    path("<str:token>", views.wizard, name="wizard"),
    re_path(r"^.*$", views.unknown_path, name="unknown"),
]
