"""Sign-in pages. Not namespaced: settings.LOGIN_URL and LOGOUT_REDIRECT_URL name "login"."""

from django.urls import path

from onramp.accounts import views

urlpatterns = [
    path("login", views.LoginView.as_view(), name="login"),
    path("logout", views.LogoutView.as_view(), name="logout"),
]
