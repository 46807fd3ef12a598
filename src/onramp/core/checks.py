"""Onramp's own items of ``onramp check --deploy``: each names the ONRAMP_* variable to change.

Django's deployment checks say which setting is off; these say why, in terms of the environment.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

DEFAULT_EMAIL_FROM = "onramp@localhost"


@register(Tags.security, deploy=True)
def deployment_environment(app_configs, **kwargs) -> list[Warning]:
    warnings = []
    if not settings.SERVED_OVER_HTTPS:
        warnings.append(
            Warning(
                f"ONRAMP_PUBLIC_URL is {settings.PUBLIC_URL}: served over plain HTTP, so secure "
                "cookies, HSTS and the redirect to HTTPS are off.",
                hint="In production set ONRAMP_PUBLIC_URL=https://… behind a TLS proxy.",
                id="onramp.W001",
            )
        )
    elif not settings.TRUSTED_PROXIES:
        warnings.append(
            Warning(
                "ONRAMP_PUBLIC_URL is https:// but ONRAMP_TRUSTED_PROXIES is 0: onramp serve "
                "speaks plain HTTP, so it cannot tell that the proxy in front received HTTPS and "
                "redirects every request to HTTPS again.",
                hint="Set ONRAMP_TRUSTED_PROXIES to the number of proxies in front (usually 1).",
                id="onramp.W002",
            )
        )
    if settings.DEFAULT_FROM_EMAIL == DEFAULT_EMAIL_FROM:
        warnings.append(
            Warning(
                f"ONRAMP_EMAIL_FROM is the default {DEFAULT_EMAIL_FROM}: invitation emails from "
                "it are likely to be rejected or filtered as spam.",
                hint="Set ONRAMP_EMAIL_FROM to an address of your domain.",
                id="onramp.W003",
            )
        )
    return warnings
