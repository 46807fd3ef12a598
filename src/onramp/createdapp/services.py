"""The admin's side of "Create the app registration for me": sign in (redirect or device code),
look at what will be created, approve (SPEC "Ways to connect", CONTRACT §5).

The sign-in flow is sealed in the creation's row, never in the session; the flow's ``state`` is
kept as a hash and bound to the browser session that started it (a random value the session
holds, kept here as a hash). A flow is redeemed once. Microsoft is asked outside any
transaction; then the row is locked, re-checked and changed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from onramp.audit.services import audit_record
from onramp.connections.models import ConnectionMethod
from onramp.core.actors import Actor
from onramp.core.crypto import secret_box
from onramp.core.errors import InvalidState
from onramp.core.tasks import enqueue_on_commit
from onramp.createdapp.models import (
    AppCreation,
    CreationStatus,
    CreationStep,
    StepName,
    StepStatus,
)
from onramp.invitations.models import OPEN_STATUSES, Invitation
from onramp.invitations.services import invitation_require
from onramp.m365.graph_writes import GraphWriteError, GraphWriter
from onramp.m365.signin import SignedIn, SignInClient, SignInError, sign_in_client

STEP_TASK = "onramp.createdapp.tasks.run_step"
NAME_MAX = 120
GRANTERS = frozenset({"Global Administrator", "Privileged Role Administrator"})
APP_MAKERS = frozenset(
    {
        "Global Administrator",
        "Application Administrator",
        "Cloud Application Administrator",
        "Application Developer",
    }
)
ELIGIBLE_HINT = (
    "A role that is only eligible in Privileged Identity Management does not count: activate "
    "it first, then sign in again."
)


class SignInStopped(Exception):
    """The sign-in cannot go on; ``title`` and ``message`` are for the page's alert."""

    def __init__(self, title: str, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.title = title
        self.message = message
        self.status = status


class InvitationClosed(Exception):
    """The invitation behind a sign-in is no longer open (``status`` says why)."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def sign_in_offered() -> bool:
    return bool(settings.SIGN_IN_CLIENT_ID)


def default_app_name(invitation: Invitation) -> str:
    service = invitation.service
    return f"{service.provider.name} Teams Direct Routing \u2013 {service.short_name}"[:NAME_MAX]


def permissions_wanted() -> list[str]:
    """The required Graph permissions, then the configured optional ones."""
    wanted = [*settings.REQUIRED_GRAPH_PERMISSIONS, *settings.OPTIONAL_GRAPH_PERMISSIONS]
    return list(dict.fromkeys(wanted))


def roles_missing(roles: list[str] | tuple[str, ...]) -> str | None:
    """What the signed-in admin lacks to create the app, in the admin's words; None: nothing."""
    held = set(roles)
    who = (
        f"you are signed in as {', '.join(sorted(held))}"
        if held
        else "you are signed in without an active administrator role"
    )
    if not held & GRANTERS:
        message = (
            "Granting Microsoft Graph application permissions and assigning the Teams "
            "Administrator role need Global Administrator or Privileged Role Administrator; "
            f"{who}."
        )
    elif not held & APP_MAKERS:
        message = (
            "Creating the app registration needs Global Administrator, Application "
            f"Administrator or Cloud Application Administrator; {who}."
        )
    else:
        return None
    return f"{message} {ELIGIBLE_HINT}"


def creation_of(invitation: Invitation) -> AppCreation | None:
    return AppCreation.objects.filter(invitation=invitation).first()


def bound_to(creation: AppCreation, binding: str | None) -> bool:
    """True when ``binding`` (the browser session's value) started this creation's sign-in."""
    return bool(binding) and _hash(binding or "") == creation.session_hash


def _expected_tenant(creation: AppCreation | None, invitation: Invitation) -> str | None:
    """The tenant the sign-in must be to: pinned, recorded, or where the app was made."""
    made_in = creation.tenant_id if creation and creation.application_object_id else ""
    tenant = invitation.tenant_id or invitation.service.customer.azure_tenant_id or made_in
    return tenant.lower() or None


def _client() -> SignInClient:
    client = sign_in_client()
    if client is None:
        raise InvalidState("Signing in with Microsoft is not configured on this installation.")
    return client


def _seal_json(value: dict[str, Any]) -> str:
    return secret_box().seal(json.dumps(value))


def _open_json(sealed: str) -> dict[str, Any]:
    return json.loads(secret_box().open(sealed))


def sign_in_start(
    *, invitation: Invitation, app_name: str, binding: str, redirect_uri: str, device: bool
) -> tuple[AppCreation, str]:
    """Start a sign-in for this invitation in this browser session: (creation, where to go —
    Microsoft's sign-in page, or empty for the device code shown by Onramp)."""
    invitation_require(invitation, OPEN_STATUSES, "used")
    client = _client()
    tenant = _expected_tenant(creation_of(invitation), invitation)
    try:
        if device:
            flow = client.device_start(tenant)
        else:
            flow = client.auth_code_start(tenant, redirect_uri)
    except SignInError as exc:
        raise SignInStopped("Microsoft sign-in could not start", exc.message) from None
    now = timezone.now()
    with transaction.atomic():
        creation = AppCreation.objects.select_for_update().filter(invitation=invitation).first()
        if creation is None:
            creation = AppCreation(invitation=invitation, created_at=now)
        if not creation.application_object_id:
            creation.app_name = app_name
        creation.status = CreationStatus.SIGNING_IN
        creation.message = ""
        creation.session_hash = _hash(binding)
        creation.flow_kind = "device" if device else "code"
        creation.flow_sealed = _seal_json({"tenant": tenant, "flow": flow})
        creation.state_hash = "" if device else _hash(flow["state"])
        creation.device_user_code = flow.get("user_code", "") if device else ""
        creation.device_verification_uri = flow.get("verification_uri", "") if device else ""
        creation.token_sealed, creation.token_expires_at = "", None
        creation.updated_at = now
        creation.save()
    return creation, "" if device else flow["auth_uri"]


def sign_in_callback(*, params: dict[str, str], binding: str | None) -> AppCreation:
    """Microsoft came back to ``/invite/callback``: check the state against this browser
    session, redeem the code once, then check who signed in where."""
    state = params.get("state") or ""
    creation = (
        AppCreation.objects.select_related("invitation__service__customer")
        .filter(state_hash=_hash(state), flow_kind="code")
        .first()
        if state
        else None
    )
    if creation is None:
        raise SignInStopped(
            "This sign-in is not known",
            "Microsoft sent back a sign-in that Onramp did not start. Nothing was created. "
            "Open the invitation link and choose Sign in with Microsoft again.",
            status=400,
        )
    if not bound_to(creation, binding):
        raise SignInStopped(
            "This sign-in was started in another browser",
            "The sign-in belongs to another browser session, so it cannot be used here. Nothing "
            "was created. Open the invitation link in this browser and sign in again.",
            status=403,
        )
    _require_open(creation.invitation)
    if not creation.flow_sealed:
        raise _already_used()
    held = _open_json(creation.flow_sealed)
    if not AppCreation.objects.filter(pk=creation.pk, flow_sealed=creation.flow_sealed).update(
        flow_sealed=""
    ):
        raise _already_used()
    try:
        signed = _client().auth_code_finish(held["tenant"], held["flow"], params, timezone.now())
    except SignInError as exc:
        raise _stopped(creation, exc) from None
    return _signed_in(creation, signed)


def _already_used() -> SignInStopped:
    return SignInStopped(
        "This sign-in was already used",
        "A sign-in answer from Microsoft can be used once only. Open the invitation link and "
        "sign in again.",
        status=400,
    )


def device_poll(*, creation: AppCreation, binding: str | None) -> AppCreation:
    """Ask Microsoft once whether the admin finished on the other device."""
    if not bound_to(creation, binding):
        raise SignInStopped(
            "This sign-in was started in another browser",
            "Open the invitation link in this browser and sign in again.",
            status=403,
        )
    _require_open(creation.invitation)
    if creation.flow_kind != "device" or not creation.flow_sealed:
        return creation
    held = _open_json(creation.flow_sealed)
    try:
        signed = _client().device_poll(held["tenant"], held["flow"], timezone.now())
    except SignInError as exc:
        AppCreation.objects.filter(pk=creation.pk).update(flow_sealed="")
        raise _stopped(creation, exc) from None
    if signed is None:  # the flow learnt the polling interval: keep what it learnt
        AppCreation.objects.filter(pk=creation.pk, flow_sealed=creation.flow_sealed).update(
            flow_sealed=_seal_json(held)
        )
        return creation
    if not AppCreation.objects.filter(pk=creation.pk, flow_sealed=creation.flow_sealed).update(
        flow_sealed=""
    ):
        return AppCreation.objects.get(pk=creation.pk)
    return _signed_in(creation, signed)


def _require_open(invitation: Invitation) -> None:
    status = invitation.effective_status(timezone.now())
    if status not in OPEN_STATUSES:
        raise InvitationClosed(status)


def _stopped(creation: AppCreation, error: SignInError) -> SignInStopped:
    titles = {
        "declined": "The sign-in was declined",
        "blocked": "Your organization blocked this sign-in",
        "expired": "The sign-in expired",
        "used": "This sign-in was already used",
        "transient": "Microsoft could not be reached",
    }
    _stop(creation, error.message, reason=f"sign_in_{error.kind}")
    return SignInStopped(titles.get(error.kind, "Microsoft refused the sign-in"), error.message)


def _stop(creation: AppCreation, message: str, *, reason: str, upn: str = "") -> None:
    """Nothing was written: record why (the invitation's audit trail), forget the token."""
    now = timezone.now()
    AppCreation.objects.filter(pk=creation.pk).update(
        status=CreationStatus.STOPPED,
        message=message,
        token_sealed="",
        token_expires_at=None,
        updated_at=now,
    )
    invitation = creation.invitation
    audit_record(
        actor=Actor.customer_admin(),
        action="invitation.rejected",
        target=invitation,
        provider_id=invitation.provider_id,
        customer_id=invitation.customer_id,
        new={"reason": reason, "method": ConnectionMethod.CREATED_APP, "signed_in_as": upn},
    )


def _signed_in(creation: AppCreation, signed: SignedIn) -> AppCreation:
    """Who signed in where: the wrong tenant or missing roles stop before anything is written;
    otherwise the token is sealed until the steps finish."""
    invitation = creation.invitation
    expected = _expected_tenant(creation, invitation)
    if expected and signed.tenant_id != expected:
        message = (
            f"You signed in to the tenant {signed.tenant_id}, but this invitation is for the "
            f"tenant {expected}. Nothing was created. Sign in with an administrator account of "
            "that tenant."
        )
        _stop(creation, message, reason="tenant_mismatch", upn=signed.user_principal_name)
        raise SignInStopped("You signed in to another tenant", message, status=409)
    from onramp.m365.validation import get_client

    try:
        _, display_name, domain = GraphWriter(
            get_client().transport, signed.access_token
        ).organization()
    except GraphWriteError as exc:
        _stop(creation, exc.message, reason="microsoft_error", upn=signed.user_principal_name)
        raise SignInStopped("Your organization could not be read", exc.message) from None
    missing = roles_missing(signed.roles)
    now = timezone.now()
    creation.tenant_id = signed.tenant_id
    creation.tenant_display_name = display_name
    creation.tenant_default_domain = domain
    creation.signed_in_upn = signed.user_principal_name
    creation.signed_in_roles = list(signed.roles)
    creation.updated_at = now
    fields = [
        "tenant_id",
        "tenant_display_name",
        "tenant_default_domain",
        "signed_in_upn",
        "signed_in_roles",
        "updated_at",
    ]
    if missing is None:
        creation.status = CreationStatus.SIGNED_IN
        creation.token_sealed = secret_box().seal(signed.access_token)
        creation.token_expires_at = signed.expires_at
        fields += ["status", "token_sealed", "token_expires_at"]
    creation.save(update_fields=fields)
    if missing is not None:
        _stop(creation, missing, reason="missing_roles", upn=signed.user_principal_name)
        raise SignInStopped("Your account cannot create the app registration", missing)
    return creation


def signed_in(creation: AppCreation) -> bool:
    """Signed in, approval pending, and the delegated token still valid."""
    expires = creation.token_expires_at
    return (
        creation.status == CreationStatus.SIGNED_IN
        and bool(creation.token_sealed)
        and expires is not None
        and expires > timezone.now()
    )


def creation_approve(*, creation_id: Any, binding: str | None) -> AppCreation:
    """Create the app registration: the steps start (failed ones are tried again)."""
    now = timezone.now()
    with transaction.atomic():
        creation = (
            AppCreation.objects.select_for_update()
            .select_related("invitation__service__customer")
            .get(pk=creation_id)
        )
        _require_open(creation.invitation)
        if not bound_to(creation, binding):
            raise InvalidState("This sign-in belongs to another browser session.")
        if creation.status == CreationStatus.RUNNING:
            return creation
        if not signed_in(creation):
            raise InvalidState(
                "The Microsoft sign-in has expired or was not finished. Open the invitation "
                "link again and sign in."
            )
        for position, name in enumerate(StepName):
            CreationStep.objects.get_or_create(
                creation=creation,
                name=name,
                defaults={"position": position, "updated_at": now},
            )
        creation.steps.exclude(status=StepStatus.DONE).update(
            status=StepStatus.PENDING, attempts=0, next_attempt_at=None, updated_at=now
        )
        first = creation.steps.exclude(status=StepStatus.DONE).first()
        creation.status, creation.message, creation.updated_at = CreationStatus.RUNNING, "", now
        creation.save(update_fields=["status", "message", "updated_at"])
        if first is not None:
            first.next_attempt_at = now
            first.save(update_fields=["next_attempt_at"])
            enqueue_on_commit(STEP_TASK, str(creation.pk), first.name)
    return creation


def creation_kick(creation: AppCreation) -> None:
    """Enqueue this creation's steps that are due (a refreshed progress page, a reopened link)."""
    if creation.status == CreationStatus.RUNNING:
        _enqueue_due(creation.steps.all())


def creation_sweep() -> int:
    """The periodic safety net, also when nobody watches the progress page: every due step of
    a running creation is enqueued (a backoff elapsed, a dead worker's lease ran out). Returns
    how many."""
    return _enqueue_due(CreationStep.objects.filter(creation__status=CreationStatus.RUNNING))


def _enqueue_due(steps: Any) -> int:
    from onramp.createdapp.machine import due

    found = list(steps.filter(due(timezone.now())).values_list("creation_id", "name"))
    for creation_id, name in found:
        enqueue_on_commit(STEP_TASK, str(creation_id), name)
    return len(found)
