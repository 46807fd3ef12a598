"""The one gate for the second factor.

A session that has the password but not yet the second factor reaches only the code and
enrolment steps, sign-out and the public paths; everything else sends it to its next step.
The API is among the public paths because it authenticates by bearer token only, never by
session (api/auth.py), so such a session gets nothing there.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from onramp.accounts.second_factor import needs_second_factor, next_step_url

PUBLIC_PREFIXES = ("/invite/", "/api/", "/static/", "/setup/", "/healthz")
STEP_URL_NAMES = ("login-code", "login-enrol", "logout")


class SecondFactorMiddleware:
    """After django_otp's OTPMiddleware. Sets ``request.second_factor_pending`` for templates."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.second_factor_pending = needs_second_factor(request.user)
        if request.second_factor_pending and not self.reachable(request.path_info):
            return redirect(next_step_url(request.user, request.get_full_path()))
        return self.get_response(request)

    @staticmethod
    def reachable(path: str) -> bool:
        steps = {reverse(name) for name in STEP_URL_NAMES}
        return path in steps or path.startswith(PUBLIC_PREFIXES)
