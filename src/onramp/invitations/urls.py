"""The public wizard at /invite/<token>; anything else under /invite/ is an unknown link."""

from django.urls import path, re_path

from onramp.createdapp import views as created_app
from onramp.invitations import views

app_name = "invitations"
urlpatterns = [
    path("callback", created_app.callback, name="callback"),
    path("created/<uuid:creation_id>", created_app.creation_page, name="created-app"),
    path("<str:token>", views.wizard, name="wizard"),
    re_path(r"^.*$", views.unknown_path, name="unknown"),
]
