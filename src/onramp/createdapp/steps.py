"""The steps that build the app registration in the customer's tenant with the admin's delegated
token (research/provisioning.md §A.1). Each first reads what exists (the application by its
stored object id, the service principal by app id, grants and roles already there), so a step
run twice — a retry, a resumed creation — never makes anything twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from onramp.connections.live import validate_live
from onramp.connections.models import ConnectionMethod
from onramp.core.crypto import secret_box
from onramp.core.errors import InvalidState
from onramp.createdapp.models import AppCreation, StepName
from onramp.createdapp.services import permissions_wanted, roles_missing
from onramp.m365.credentials import ClientCertificate, key_pair_generate
from onramp.m365.graph_writes import GRAPH_APP_ID, GraphWriteError, GraphWriter
from onramp.m365.results import ValidationResult
from onramp.m365.validation import get_client
from onramp.services.onboarding import credentials_received

# What validation says while Microsoft's replicas do not know the new app, key or grants yet.
REPLICATING = frozenset(
    {
        "application_not_found",
        "invalid_client_certificate",
        "invalid_client_secret",
        "missing_permissions",
    }
)


@dataclass(frozen=True)
class Outcome:
    done: bool
    message: str
    transient: bool = False
    retry_in: timedelta | None = None


def _writer(creation: AppCreation) -> GraphWriter:
    expires = creation.token_expires_at
    if not creation.token_sealed or expires is None or expires <= timezone.now():
        raise GraphWriteError(
            "signed_out",
            "The Microsoft sign-in has expired. Open the invitation link again and sign in to "
            "continue; what was created so far is kept and will not be created twice.",
        )
    return GraphWriter(get_client().transport, secret_box().open(creation.token_sealed))


def _keep(creation: AppCreation, **fields: str) -> None:
    """Record at once what now exists in the tenant (before anything else can fail)."""
    for name, value in fields.items():
        setattr(creation, name, value)
    AppCreation.objects.filter(pk=creation.pk).update(**fields)


def roles(creation: AppCreation) -> Outcome:
    missing = roles_missing(creation.signed_in_roles)
    if missing:
        return Outcome(False, missing)
    held = ", ".join(creation.signed_in_roles)
    return Outcome(True, f"Signed in as {creation.signed_in_upn} ({held}).")


def application(creation: AppCreation) -> Outcome:
    writer = _writer(creation)
    if creation.application_object_id:
        if writer.application_find(creation.application_object_id) is None:
            return Outcome(
                False,
                f"The application Onramp created (object ID {creation.application_object_id}) "
                "is not visible to Microsoft yet.",
                transient=True,
            )
        return Outcome(True, f"The application {creation.app_name} exists.")
    graph = writer.resource_roles(GRAPH_APP_ID)
    made = writer.application_create(creation.app_name, [graph.access(permissions_wanted())])
    _keep(creation, application_object_id=made.object_id, application_app_id=made.app_id)
    return Outcome(
        True, f"Created the application {made.display_name} (application ID {made.app_id})."
    )


def service_principal(creation: AppCreation) -> Outcome:
    sp_id = _writer(creation).service_principal_create(creation.application_app_id)
    _keep(creation, service_principal_id=sp_id)
    return Outcome(True, f"The service principal {sp_id} exists.")


def permissions(creation: AppCreation) -> Outcome:
    writer = _writer(creation)
    graph = writer.resource_roles(GRAPH_APP_ID)
    names = permissions_wanted()
    for name in names:
        writer.app_role_grant(graph, creation.service_principal_id, name)
    return Outcome(True, f"Granted admin consent to {', '.join(names)}.")


def role(creation: AppCreation) -> Outcome:
    writer = _writer(creation)
    for name in settings.REQUIRED_DIRECTORY_ROLES:
        writer.directory_role_assign(creation.service_principal_id, name)
    return Outcome(True, f"Assigned {', '.join(settings.REQUIRED_DIRECTORY_ROLES)}.")


def held_certificate(creation: AppCreation) -> ClientCertificate:
    return ClientCertificate.load(
        creation.certificate_pem, secret_box().open(creation.private_key_sealed)
    )


def certificate(creation: AppCreation) -> Outcome:
    """The key pair is made once and kept sealed before it is uploaded, so a retry uploads the
    same certificate (found by its thumbprint) instead of a second one."""
    writer = _writer(creation)
    if not creation.private_key_sealed:
        made = key_pair_generate(subject=creation.app_name, now=timezone.now())
        _keep(
            creation,
            certificate_pem=made.certificate_pem,
            private_key_sealed=secret_box().seal(made.private_key_pem),
        )
    held = held_certificate(creation)
    writer.certificate_add(creation.application_object_id, held, display_name="Onramp")
    return Outcome(
        True,
        f"Added the certificate {held.thumbprint_sha1} (expires {held.expires_at:%Y-%m-%d}).",
    )


def _validate(creation: AppCreation) -> ValidationResult:
    return validate_live(
        tenant=creation.tenant_id,
        client_id=creation.application_app_id,
        credential=held_certificate(creation),
        expected_tenant_id=creation.tenant_id,
    )


def replication(creation: AppCreation) -> Outcome:
    """Microsoft's replicas learn the new app, its key and its grants within seconds, at times
    minutes: waited out with backoff, not reported as a failure."""
    result = _validate(creation)
    if result.ok:
        return Outcome(True, "Microsoft accepts the new app registration.")
    if result.transient or result.reason in REPLICATING:
        return Outcome(
            False,
            f"Waiting for Microsoft to accept the new app registration ({result.reason}).",
            transient=True,
            retry_in=timedelta(seconds=result.retry_after or 0),
        )
    return Outcome(False, result.message)


def validation(creation: AppCreation) -> Outcome:
    result = _validate(creation)
    if result.transient:
        return Outcome(False, result.message, transient=True)
    try:
        result = credentials_received(
            invitation=creation.invitation,
            tenant_id=creation.tenant_id,
            client_id=creation.application_app_id,
            credential=held_certificate(creation),
            result=result,
            method=ConnectionMethod.CREATED_APP,
            created_app={
                "signed_in_upn": creation.signed_in_upn,
                "application_object_id": creation.application_object_id,
            },
        )
    except InvalidState as exc:
        return Outcome(False, str(exc))
    return Outcome(result.ok, result.message)


def cleanup(creation: AppCreation) -> Outcome:
    """The sign-in app's delegated grant goes, so only the created app remains. Failing to
    remove it does not undo a valid connection: the admin is told how to remove it."""
    try:
        removed = _writer(creation).permission_grants_delete(settings.SIGN_IN_CLIENT_ID or "")
    except GraphWriteError as exc:
        if exc.transient:
            raise
        return Outcome(
            True,
            f"Onramp could not remove the permissions its sign-in app received ({exc.message}). "
            "Remove them in the Microsoft Entra admin center: Enterprise applications → the "
            "sign-in app → Delete.",
        )
    _keep(creation, grants_removed=removed)
    return Outcome(True, f"Removed {removed} permission grant(s) of Onramp's sign-in app.")


def _guarded(function: Callable[[AppCreation], Outcome]) -> Callable[[AppCreation], Outcome]:
    def run(creation: AppCreation) -> Outcome:
        try:
            return function(creation)
        except GraphWriteError as exc:
            retry_in = timedelta(seconds=exc.retry_after) if exc.retry_after else None
            return Outcome(False, exc.message, transient=exc.transient, retry_in=retry_in)

    return run


STEPS: dict[str, Callable[[AppCreation], Outcome]] = {
    StepName.ROLES: _guarded(roles),
    StepName.APPLICATION: _guarded(application),
    StepName.SERVICE_PRINCIPAL: _guarded(service_principal),
    StepName.PERMISSIONS: _guarded(permissions),
    StepName.ROLE: _guarded(role),
    StepName.CERTIFICATE: _guarded(certificate),
    StepName.REPLICATION: _guarded(replication),
    StepName.VALIDATION: _guarded(validation),
    StepName.CLEANUP: _guarded(cleanup),
}
