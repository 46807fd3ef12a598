"""The demo's world, made once: a customer tenant in the sandbox and the matching Onramp data.

Runs after Django is set up. Everything is created through the same service functions the
product uses, with the system as the audit actor.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from onramp.ops.demo.files import DemoFiles
from onramp.sandbox.runner import SandboxProcess

TENANT_NAME = "Contoso Demo"
PROVIDER_NAME = "Demo Voice"
CUSTOMER_NAME = "Contoso Demo"
DEMO_EMAIL = "demo@onramp.example"
SECRET_DAYS = 180


class SeedError(RuntimeError):
    """The demo cannot go on; the message is one line for the user."""


@dataclass(frozen=True)
class AppRegistration:
    tenant_id: str
    default_domain: str
    client_id: str
    client_secret: str
    expires_at: str


@dataclass(frozen=True)
class SignIn:
    """The installation's sign-in app and the customer tenant's Global Administrator."""

    client_id: str
    client_secret: str
    admin_upn: str
    admin_password: str


@dataclass(frozen=True)
class Login:
    email: str
    password: str | None


def sandbox_registration(files: DemoFiles, sandbox: SandboxProcess) -> AppRegistration:
    """The demo tenant's app registration: every required permission and role, a 180-day secret."""
    remembered = files.remembered().get("app_registration")
    if remembered:
        registration = AppRegistration(**remembered)
        if not _tenant_known(sandbox, registration.tenant_id):
            raise SeedError(
                f"the sandbox no longer knows the demo tenant {registration.tenant_id}; "
                f"remove {files.data_dir} to start the demo afresh"
            )
        return registration
    admin = sandbox.admin
    tenant = admin.create_tenant(TENANT_NAME)
    app = admin.create_application(
        tenant["tenant_id"],
        "Onramp connector",
        permissions=list(settings.REQUIRED_GRAPH_PERMISSIONS),
        roles=list(settings.REQUIRED_DIRECTORY_ROLES),
    )
    end = (timezone.now() + timedelta(days=SECRET_DAYS)).replace(microsecond=0)
    secret = admin.add_secret(
        tenant["tenant_id"],
        app["app_id"],
        display_name="Onramp demo",
        end_date_time=end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    registration = AppRegistration(
        tenant_id=tenant["tenant_id"],
        default_domain=tenant["default_domain"],
        client_id=app["app_id"],
        client_secret=secret["secret_text"],
        expires_at=secret["end_date_time"],
    )
    files.remember(app_registration=registration.__dict__)
    return registration


def sandbox_sign_in(
    files: DemoFiles, sandbox: SandboxProcess, registration: AppRegistration
) -> SignIn:
    """For "Create the app registration for me": the sign-in app (multi-tenant, redirect URI
    ``{ONRAMP_PUBLIC_URL}/invite/callback``, device code allowed) in the provider's own sandbox
    tenant, and a Global Administrator of the demo customer's tenant (CONTRACT §3)."""
    remembered = files.remembered().get("sign_in")
    if remembered:
        return SignIn(**remembered)
    admin = sandbox.admin
    provider = admin.create_tenant(PROVIDER_NAME)
    app = admin.create_application(
        provider["tenant_id"],
        "Onramp sign-in",
        sign_in_audience="AzureADMultipleOrgs",
        public_client=True,
        redirect_uris=[f"{settings.PUBLIC_URL}/invite/callback"],
    )
    secret = admin.add_secret(provider["tenant_id"], app["app_id"], display_name="Onramp demo")
    password = secrets.token_urlsafe(12)
    upn = f"admin@{registration.default_domain}"
    admin.create_user(registration.tenant_id, upn, password, roles=["Global Administrator"])
    sign_in = SignIn(app["app_id"], secret["secret_text"], upn, password)
    files.remember(sign_in=sign_in.__dict__)
    return sign_in


def _tenant_known(sandbox: SandboxProcess, tenant_id: str) -> bool:
    url = f"{sandbox.url}/{tenant_id}/v2.0/.well-known/openid-configuration"
    return sandbox.admin.session.get(url, timeout=10).status_code == 200


def demo_data(files: DemoFiles, registration: AppRegistration) -> Login:
    """Provider, customer (linked to the sandbox tenant) and the demo operator, once."""
    from onramp.accounts.models import Operator
    from onramp.accounts.services import operator_create
    from onramp.core.actors import Actor
    from onramp.tenancy.customers import customer_create
    from onramp.tenancy.services import provider_create

    login = files.remembered().get("login") or {}
    if Operator.objects.filter(email=DEMO_EMAIL).exists():
        return Login(DEMO_EMAIL, login.get("password"))
    password = login.get("password") or secrets.token_urlsafe(12)
    files.remember(login={"email": DEMO_EMAIL, "password": password})
    actor = Actor.system()
    with transaction.atomic():
        provider = provider_create(
            actor=actor, name=PROVIDER_NAME, sbc_domain="sbc.demo-voice.example"
        )
        customer_create(
            actor=actor,
            provider=provider,
            name=CUSTOMER_NAME,
            azure_tenant_id=registration.tenant_id,
        )
        operator = operator_create(
            actor=actor,
            email=DEMO_EMAIL,
            role="admin",
            scope=f"provider:{provider.pk}",
            password=password,
        )
        # The demo operator alone may sign in without a second factor (the UI says so).
        Operator.objects.filter(pk=operator.pk).update(second_factor_exempt=True)
    return Login(DEMO_EMAIL, password)
