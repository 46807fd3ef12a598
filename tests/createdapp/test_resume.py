"""Microsoft failing or slow in the middle, a sign-in that expired, a tenant that forbids
secrets: the creation waits, resumes and ends with exactly one app."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onramp.createdapp import machine
from onramp.createdapp.models import AppCreation, CreationStatus, StepStatus
from tests.wizard.conftest import find, text

from .conftest import REQUIRED, microsoft_sign_in
from .test_flow import NAME, _callback, _start, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(client, link, tenant, admin_browser, queued):
    """Signed in as the Global Administrator and approved: (the creation, its page)."""
    params = microsoft_sign_in(admin_browser, _start(client, link), tenant.users["ga"])
    page_url = _callback(client, params)["Location"]
    assert client.post(page_url).status_code == 302
    return AppCreation.objects.get(), page_url


def _ours(sandbox, tenant) -> list[dict]:
    return [a for a in sandbox.admin.applications(tenant.tenant_id) if a["display_name"] == NAME]


def _run(queued, count: int = 1) -> None:
    for _ in range(count):
        _, creation_id, name = queued.pop(0)
        machine.creation_step_run(creation_id=creation_id, name=name)


def test_microsoft_failing_mid_way_is_waited_out(
    approved, queued, run_steps, sandbox, tenant, client, link
):
    creation, _ = approved
    _run(queued, 2)  # roles, application
    assert len(_ours(sandbox, tenant)) == 1
    sandbox.admin.set_faults(status=503, paths="graph", retry_after=7)
    _run(queued)  # the service principal: Microsoft answers 503
    step = creation.steps.get(name="service_principal")
    assert step.status == StepStatus.PENDING and step.attempts == 1
    assert step.message.startswith(
        "Microsoft could not look up a service principal just now (503 serviceNotAvailable)"
    )
    assert "Trying again at" in step.message
    # The admin closed the tab and opens the link again: back to the progress, nothing redone.
    _, page_url = approved
    assert client.get(f"{link.path}?method=created-app")["Location"] == page_url
    sandbox.admin.clear_faults()
    creation = run_steps(creation)
    assert creation.status == CreationStatus.DONE, creation.message
    (app,) = _ours(sandbox, tenant)
    assert sorted(app["permissions"]) == sorted(REQUIRED) and len(app["key_credentials"]) == 1


def test_throttling_honours_retry_after(approved, queued, sandbox, clock):
    creation, _ = approved
    _run(queued)  # roles
    sandbox.admin.set_faults(status=429, paths="graph", retry_after=90)
    _run(queued)
    step = creation.steps.get(name="application")
    assert step.status == StepStatus.PENDING
    assert step.next_attempt_at >= clock.now() + timedelta(seconds=89)
    assert "throttling" in step.message


def test_an_expired_sign_in_stops_and_a_new_sign_in_continues_without_a_second_app(
    approved, client, link, queued, run_steps, sandbox, tenant, admin_browser
):
    creation, page_url = approved
    _run(queued, 2)  # roles, application
    (made,) = _ours(sandbox, tenant)
    AppCreation.objects.filter(pk=creation.pk).update(
        token_expires_at=creation.token_expires_at - timedelta(hours=2)
    )
    _run(queued)
    creation.refresh_from_db()
    assert creation.status == CreationStatus.STOPPED and creation.token_sealed == ""
    stopped = client.get(page_url)
    (alert,) = find(stopped, role="alert")
    assert "The Microsoft sign-in has expired" in text(alert["text"])
    assert made["object_id"] in page_text(stopped)

    # The admin opens the link again: the name page says what exists, a new sign-in continues.
    name_page = client.get(f"{link.path}?method=created-app")
    assert made["object_id"] in page_text(name_page)
    admin_browser.cookies.clear()
    params = microsoft_sign_in(admin_browser, _start(client, link), tenant.users["ga"])
    assert _callback(client, params)["Location"] == page_url
    assert client.post(page_url).status_code == 302
    creation = run_steps(creation)
    assert creation.status == CreationStatus.DONE, creation.message
    (app,) = _ours(sandbox, tenant)
    assert app["object_id"] == made["object_id"] and len(app["key_credentials"]) == 1


def test_replication_delay_is_waited_out(approved, run_steps, sandbox, tenant):
    creation, _ = approved
    sandbox.admin.set_faults(replication_delay_ms=2500)
    creation = run_steps(creation)
    assert creation.status == CreationStatus.DONE, creation.message
    replication = creation.steps.get(name="replication")
    assert replication.attempts > 1 and replication.status == StepStatus.DONE
    assert len(_ours(sandbox, tenant)) == 1


def test_a_policy_forbidding_secrets_does_not_stop_the_certificate(
    client, link, tenant, admin_browser, run_steps, sandbox
):
    sandbox.admin.set_policy(tenant.tenant_id, passwords_allowed=False)
    params = microsoft_sign_in(admin_browser, _start(client, link), tenant.users["ga"])
    page_url = _callback(client, params)["Location"]
    client.post(page_url)
    creation = run_steps(AppCreation.objects.get())
    assert creation.status == CreationStatus.DONE, creation.message
    (app,) = _ours(sandbox, tenant)
    assert app["password_credentials"] == [] and len(app["key_credentials"]) == 1


def test_a_revoked_invitation_stops_the_steps(
    approved, queued, client, link, sandbox, tenant, actor
):
    from onramp.services.onboarding import invitation_revoke

    creation, page_url = approved
    _run(queued, 2)  # roles, application
    invitation_revoke(actor=actor, invitation=link.invitation)
    _run(queued)
    creation.refresh_from_db()
    assert creation.status == CreationStatus.STOPPED and creation.token_sealed == ""
    assert (
        creation.message == "The invitation is revoked, so nothing more is created in the tenant."
    )
    assert creation.steps.get(name="service_principal").attempts == 0
    (app,) = _ours(sandbox, tenant)
    assert (app["service_principal_id"], app["permissions"], app["key_credentials"]) == (
        None,
        [],
        [],
    )
    assert client.get(page_url).status_code == 410


def test_an_approval_after_the_sign_in_expired_asks_for_a_new_sign_in(
    client, link, tenant, admin_browser, sandbox, clock
):
    params = microsoft_sign_in(admin_browser, _start(client, link), tenant.users["ga"])
    page_url = _callback(client, params)["Location"]
    assert client.get(f"{link.path}?method=created-app")["Location"] == page_url  # resumes
    clock.advance(timedelta(hours=2))
    refused = client.post(page_url)
    (alert,) = find(refused, role="alert")
    assert "The Microsoft sign-in has expired or was not finished" in text(alert["text"])
    assert AppCreation.objects.get().status == CreationStatus.SIGNED_IN
    assert not AppCreation.objects.get().steps.exists()
    assert client.get(f"{link.path}?method=created-app").status_code == 200  # the name page
    assert _ours(sandbox, tenant) == []


def test_the_sweep_resumes_a_step_whose_backoff_elapsed_with_no_page_open(
    approved, queued, sandbox, clock
):
    from onramp.createdapp.services import STEP_TASK, creation_sweep

    creation, _ = approved
    _run(queued)  # roles
    sandbox.admin.set_faults(status=503, paths="graph")
    _run(queued)  # application: Microsoft answers 503, due again after the backoff
    assert queued == [] and creation_sweep() == 0  # not due yet
    step = creation.steps.get(name="application")
    clock.set(step.next_attempt_at)
    assert creation_sweep() == 1
    assert queued == [(STEP_TASK, str(creation.pk), "application")]
