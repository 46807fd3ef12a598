"""Sign-in, set-up and Account pages. Not namespaced: settings.LOGIN_URL and
LOGOUT_REDIRECT_URL name "login"."""

from django.urls import path

from onramp.accounts import views

urlpatterns = [
    path("login", views.LoginView.as_view(), name="login"),
    path("login/code", views.login_code, name="login-code"),
    path("login/enrol", views.login_enrol, name="login-enrol"),
    path("logout", views.LogoutView.as_view(), name="logout"),
    path("setup/<str:token>", views.operator_setup, name="operator-setup"),
    path("account/", views.account, name="account"),
    path("account/password", views.account_password, name="account-password"),
    path("account/recovery-codes", views.account_recovery_codes, name="account-recovery-codes"),
    path("account/tokens", views.account_token_create, name="account-token-create"),
    path(
        "account/tokens/<uuid:token_id>/revoke",
        views.account_token_revoke,
        name="account-token-revoke",
    ),
]
