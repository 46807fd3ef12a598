"""``/api/v1/services/{id}/direct-routing`` (CONTRACT §4): the run, the label, start (the SKU
confirmation), the operator's confirmations and the Teams script; each refusal with its exact
status and code, changing nothing."""

from __future__ import annotations

import pytest

from onramp.directrouting import machine
from onramp.directrouting.models import Provisioning
from onramp.directrouting.services import provisioning_propose
from onramp.m365.results import format_utc
from tests.api.helpers import api_as, db_state, error
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

STEP_NAMES = [
    "plan",
    "preflight",
    "domain",
    "dns_record",
    "domain_verified",
    "activation_user",
    "teams_activation",
    "teams_voice",
    "numbers",
]


@pytest.fixture
def service(customer):
    return ServiceFactory(connected=True, short_name="Contoso-01", customer=customer)


def path(service, tail=""):
    return f"/services/{service.pk}/direct-routing{tail}"


def test_an_active_service_shows_its_proposed_run_without_writing(api, service):
    before = db_state()
    response = api.get(path(service))
    assert db_state() == before
    assert response.status_code == 200
    body = response.json()
    assert {k: v for k, v in body.items() if k != "steps"} == {
        "service_id": str(service.pk),
        "subdomain": "contoso-01.sbc.northwind.example",
        "subdomains": ["contoso-01.sbc.northwind.example"],
        "activation_sku": None,
        "status": "not-started",
        "teams_script_confirmed_at": None,
    }
    assert [(s["name"], s["status"], s["message"], s["updated_at"]) for s in body["steps"]] == [
        (name, "pending", "", None) for name in STEP_NAMES
    ]
    run = provisioning_propose(service=service)
    saved = api.get(path(service)).json()
    assert saved["subdomains"] == body["subdomains"]
    assert saved["steps"][0]["updated_at"] == format_utc(run.created_at)  # the clock ticks on


def test_a_service_not_active_has_no_run(api, customer):
    waiting = ServiceFactory(customer=customer)
    body = api.get(path(waiting)).json()
    assert (body["subdomains"], body["status"], body["steps"]) == ([], "not-started", [])
    assert Provisioning.objects.count() == 0


def test_the_label_changes_until_the_domain_step_runs(api, service):
    response = api.patch(path(service), {"subdomain_label": "contoso"})
    assert (response.status_code, response.json()["subdomains"]) == (
        200,
        ["contoso.sbc.northwind.example"],
    )
    run = Provisioning.objects.get(service=service)
    run.steps.filter(name="domain").update(status="done", attempts=1)
    before = db_state()
    refused = api.patch(path(service), {"subdomain_label": "other"})
    assert error(refused) == (409, "invalid_state", None)
    assert db_state() == before


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("bad_label", "Enter a label of letters, digits and inner hyphens."),
        ("-x", "Enter a label of letters, digits and inner hyphens."),
    ],
)
def test_a_label_dns_cannot_hold_is_422(api, service, label, message):
    before = db_state()  # no run yet: the refusal leaves none behind either
    assert error(api.patch(path(service), {"subdomain_label": label})) == (
        422,
        "invalid_input",
        {"subdomain_label": [message]},
    )
    assert db_state() == before


def test_a_label_making_the_domain_too_long_is_422(api, service):
    provisioning_propose(service=service)
    before = db_state()
    status, code, errors = error(api.patch(path(service), {"subdomain_label": "a" * 30}))
    assert (status, code, len(errors["subdomain_label"])) == (422, "invalid_input", 1)
    assert "48" in errors["subdomain_label"][0]
    assert db_state() == before


def test_a_label_used_by_another_service_is_422(api, service, customer):
    provisioning_propose(
        service=ServiceFactory(connected=True, short_name="Taken", customer=customer)
    )
    provisioning_propose(service=service)
    before = db_state()
    assert error(api.patch(path(service), {"subdomain_label": "taken"})) == (
        422,
        "invalid_input",
        {"subdomain_label": ["Another service of this provider already uses this label."]},
    )
    assert db_state() == before


def test_start_confirms_the_given_sku_and_enqueues_plan(api, service, enqueued):
    response = api.post(path(service), {"activation_sku": "ENTERPRISEPACK"})
    assert response.status_code == 202
    assert response.json()["activation_sku"] == "ENTERPRISEPACK"
    run = Provisioning.objects.get(service=service)
    assert (run.activation_sku, run.activation_sku_confirmed) == ("ENTERPRISEPACK", True)
    assert enqueued == [(machine.STEP_TASK, str(run.pk), "plan")]


def test_start_without_a_sku_accepts_the_proposal(api, service, enqueued):
    run = provisioning_propose(service=service)
    run.steps.filter(name="plan").update(status="done", attempts=1)
    run.steps.filter(name="preflight").update(
        status="waiting", attempts=1, detail={"proposed": "SPE_E3", "candidates": []}
    )
    assert api.post(path(service), {}).status_code == 202
    run.refresh_from_db()
    assert (run.activation_sku, run.activation_sku_confirmed) == ("SPE_E3", True)
    assert enqueued == [(machine.STEP_TASK, str(run.pk), "preflight")]


def test_start_for_a_service_not_active_is_409(api, customer, enqueued):
    waiting = ServiceFactory(customer=customer)
    before = db_state()
    assert error(api.post(path(waiting), {})) == (409, "invalid_state", None)
    assert db_state() == before
    assert enqueued == []


def test_a_monitor_may_read_but_not_act(service, provider, enqueued):
    provisioning_propose(service=service)
    monitor = api_as(
        email="watch@northwind.example", role="monitor", scope="provider", provider=provider
    )
    assert monitor.get(path(service)).status_code == 200
    before = db_state()
    assert error(monitor.post(path(service), {})) == (403, "forbidden", None)
    assert error(monitor.patch(path(service), {"subdomain_label": "x1"})) == (
        403,
        "forbidden",
        None,
    )
    assert error(monitor.post(path(service, "/teams-confirmation"), {})) == (403, "forbidden", None)
    assert db_state() == before


def test_another_providers_service_is_404(api, enqueued):
    other = ServiceFactory(connected=True, short_name="Other-01")
    before = db_state()
    assert error(api.get(path(other))) == (404, "not_found", None)
    assert error(api.post(path(other), {})) == (404, "not_found", None)
    assert error(api.get(path(other, "/teams-script"))) == (404, "not_found", None)
    assert db_state() == before


def test_confirmations_and_the_script(api, service, enqueued):
    run = provisioning_propose(service=service)
    before = db_state()
    early = api.post(path(service, "/teams-activation-confirmation"), {})
    assert error(early) == (409, "invalid_state", None)
    assert db_state() == before

    run.steps.filter(position__lte=5).update(status="done", attempts=1)
    run.steps.filter(name="teams_activation").update(status="waiting", attempts=3)
    confirmed = api.post(path(service, "/teams-activation-confirmation"), {"reclaim_license": True})
    assert confirmed.status_code == 200
    run.refresh_from_db()
    assert (run.reclaim_license, run.teams_activation_confirmed_at is not None) == (True, True)
    assert enqueued[-1] == (machine.STEP_TASK, str(run.pk), "teams_activation")

    script = api.get(path(service, "/teams-script"))
    assert (script.status_code, script["Content-Type"]) == (200, "text/plain; charset=utf-8")
    assert "-OnlinePstnGatewayList $Gateways" in script.content.decode()

    run.steps.filter(name="teams_activation").update(status="done")
    done = api.post(path(service, "/teams-confirmation"), {})
    assert (done.status_code, done.json()["teams_script_confirmed_at"]) == (
        200,
        "2026-06-15T10:00:00Z",
    )


def test_unknown_fields_are_400(api, service):
    provisioning_propose(service=service)
    before = db_state()
    assert error(api.post(path(service), {"sku": "X"}))[:2] == (400, "malformed_request")
    assert db_state() == before


def test_numbers_are_checked_row_by_row_and_kept(api, service, enqueued):
    run = provisioning_propose(service=service)
    before = db_state()
    refused = api.put(
        path(service, "/numbers"),
        [
            {"user_principal_name": "alice@contoso.example", "phone_number": "442071234567"},
            {"user_principal_name": "bob", "phone_number": "+442071234568"},
            {"user_principal_name": "carol@contoso.example", "phone_number": "+442071234568"},
        ],
    )
    assert error(refused) == (
        422,
        "invalid_input",
        {
            "numbers": [
                "Row 1: '442071234567' is not an E.164 number (+, country code, number).",
                "Row 2: 'bob' is not a user principal name.",
                "Row 3: +442071234568 is also in row 2.",
            ]
        },
    )
    assert db_state() == before
    accepted = api.put(
        path(service, "/numbers"),
        [{"user_principal_name": "alice@contoso.example", "phone_number": "+442071234567"}],
    )
    assert accepted.status_code == 202
    run.refresh_from_db()
    assert run.numbers == [
        {"user_principal_name": "alice@contoso.example", "phone_number": "+442071234567"}
    ]
    assert enqueued == []  # Teams voice routing is not done yet: the step waits its turn


def test_numbers_must_be_a_json_array(api, service):
    provisioning_propose(service=service)
    before = db_state()
    status, code, _errors = error(api.put(path(service, "/numbers"), {"rows": []}))
    assert (status, code) == (400, "malformed_request")
    assert db_state() == before


def test_numbers_before_provisioning_started_is_409(api, service):
    before = db_state()
    rows = [{"user_principal_name": "alice@contoso.example", "phone_number": "+442071234567"}]
    assert error(api.put(path(service, "/numbers"), rows)) == (409, "invalid_state", None)
    assert db_state() == before


def test_remove_before_provisioning_started_is_409_and_changes_nothing(api, service):
    provisioning_propose(service=service)
    before = db_state()
    refused = api.delete(path(service))
    assert error(refused) == (409, "invalid_state", None)
    assert refused.json()["detail"] == (
        "No Direct Routing step has run for this service yet: there is nothing to remove."
    )
    assert db_state() == before


def test_remove_stops_provisioning_and_runs_the_steps_backwards(api, service, enqueued):
    assert api.post(path(service), {}).status_code == 202
    run = Provisioning.objects.get(service=service)
    run.steps.filter(name="plan").update(status="done", attempts=1)
    enqueued.clear()
    response = api.delete(path(service))
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "removing"
    assert [(s["name"], s["status"]) for s in body["steps"]] == [
        ("plan", "done"),
        *[(name, "skipped") for name in STEP_NAMES[1:]],
        ("numbers_unassigned", "pending"),
        ("activation_user_deleted", "pending"),
        ("domain_removed", "pending"),
        ("dns_record_deleted", "pending"),
        ("teams_teardown", "pending"),
    ]
    assert body["steps"][1]["message"] == "Stopped: Direct Routing is being removed."
    assert [call[1:] for call in enqueued] == [(str(run.pk), "numbers_unassigned")]
    again = api.delete(path(service))  # resumes: nothing new
    assert again.status_code == 202 and again.json()["steps"] == body["steps"]
    refused = api.post(path(service), {})
    assert error(refused) == (409, "invalid_state", None)


def test_remove_while_a_step_runs_is_409_and_changes_nothing(api, service, enqueued):
    api.post(path(service), {})
    Provisioning.objects.get(service=service).steps.filter(name="plan").update(
        status="running", attempts=1
    )
    before = db_state()
    assert error(api.delete(path(service))) == (409, "invalid_state", None)
    assert db_state() == before


def test_the_teardown_script_and_its_confirmation(api, service, enqueued):
    script = api.get(path(service, "/teams-teardown-script"))
    assert script.status_code == 200
    assert script["Content-Disposition"] == (
        'attachment; filename="onramp-teams-teardown-contoso-01.ps1"'
    )
    text = script.content.decode()
    assert "Connect-MicrosoftTeams -TenantId $TenantId" in text
    assert "Remove-CsOnlineVoiceRoute -Identity $VoiceRoute" in text
    assert "secret" not in text.lower().replace("no key, secret or token", "")
    assert error(api.post(path(service, "/teams-teardown-confirmation"), {}))[0] == 409
    api.post(path(service), {})
    Provisioning.objects.get(service=service).steps.filter(name="plan").update(
        status="done", attempts=1
    )
    api.delete(path(service))
    confirmed = api.post(path(service, "/teams-teardown-confirmation"), {})
    assert confirmed.status_code == 200
    run = Provisioning.objects.get(service=service)
    assert run.teams_teardown_confirmed_at is not None
    assert run.steps.get(name="teams_teardown").status == "pending"  # runs in its turn
