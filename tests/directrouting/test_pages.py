"""The Direct Routing pages without a browser: the provider's settings (SBC domains, DNS backend,
Test DNS against the real Knot server, errors next to their fields, who may change them) and a
service's Direct Routing tab (plan, steps, actions, the Teams script), each refusal changing
nothing."""

from __future__ import annotations

import pytest

from onramp.accounts.models import Operator
from onramp.audit.models import AuditEvent
from onramp.directrouting.models import DnsSettings, Provisioning
from onramp.directrouting.services import provisioning_propose
from tests.api.helpers import db_state
from tests.conftest import PASSWORD
from tests.directrouting.conftest import INITIAL, KEY_NAME, KEY_SECRET, ZONE
from tests.factories import ServiceFactory
from tests.pages.helpers import field_errors, visible_text
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(provider):
    return Operator.objects.create_user(
        "admin@northwind.example", PASSWORD, role="admin", scope="provider", provider=provider
    )


@pytest.fixture
def admin_client(client, admin):
    return sign_in(client, admin)


def settings_url(provider, tail=""):
    return f"/providers/{provider.pk}/direct-routing/{tail}"


def rfc2136_form(knot, **overrides):
    return {
        "backend": "rfc2136",
        "zone": ZONE,
        "server": knot.host,
        "port": str(knot.port),
        "key_name": KEY_NAME,
        "key_secret": KEY_SECRET,
        "key_algorithm": "",
        "resolver": "",
        "options": "",
    } | overrides


def without_soa(records):
    """The zone's records but its SOA (whose serial each update raises)."""
    return [record for record in records if " IN SOA " not in record]


# --- the provider's settings -------------------------------------------------------------------


def test_admin_saves_sbc_domains(admin_client, provider):
    response = admin_client.post(
        settings_url(provider, "sbc-domains/"),
        {"sbc_domains": "sbc.northwind.example\nSBC2.northwind.example"},
    )
    assert (response.status_code, response["Location"]) == (302, settings_url(provider))
    provider.refresh_from_db()
    assert provider.sbc_domains == ["sbc.northwind.example", "sbc2.northwind.example"]
    assert provider.sbc_domain == "sbc.northwind.example"
    page = admin_client.get(settings_url(provider))
    assert "The SBC domains were saved." in visible_text(page)


def test_a_bad_sbc_domain_is_shown_next_to_the_field_and_nothing_changes(admin_client, provider):
    before = db_state()
    response = admin_client.post(
        settings_url(provider, "sbc-domains/"),
        {"sbc_domains": "sbc.northwind.example\nnot a domain!"},
    )
    assert response.status_code == 422
    assert field_errors(response, "sbc_domains") == [
        "not: Enter a domain name such as sbc.example.com.",
        "a: Enter a domain name such as sbc.example.com.",
        "domain!: Enter a domain name such as sbc.example.com.",
    ]
    assert db_state() == before


def test_rfc2136_saved_then_test_dns_passes_against_knot(admin_client, provider, knot):
    saved = admin_client.post(settings_url(provider, "dns/"), rfc2136_form(knot))
    assert (saved.status_code, saved["Location"]) == (302, settings_url(provider))
    row = DnsSettings.objects.get(provider=provider)
    assert (row.backend, row.settings) == (
        "rfc2136",
        {"zone": ZONE, "server": knot.host, "port": knot.port, "key_name": KEY_NAME},
    )
    page = admin_client.get(settings_url(provider))
    assert KEY_SECRET not in page.content.decode()
    assert "Stored secret settings (never shown): key_secret." in visible_text(page)

    tested = admin_client.post(settings_url(provider, "dns/test/"))
    assert tested.status_code == 302
    shown = visible_text(admin_client.get(settings_url(provider)))
    assert f"Test DNS passed: The DNS server {knot.host}:{knot.port} created" in shown
    assert without_soa(knot.records()) == without_soa(INITIAL)  # the probe record was deleted
    tests = AuditEvent.objects.filter(action="provider.dns_tested")
    assert [e.changes["new"]["ok"] for e in tests] == [True]


def test_test_dns_with_a_wrong_key_names_it_on_the_page(admin_client, provider, knot):
    admin_client.post(
        settings_url(provider, "dns/"),
        rfc2136_form(knot, key_secret="d3JvbmctMzItYnl0ZS1zZWNyZXQtZm9yLXRzaWcta2V5IQ=="),
    )
    tested = admin_client.post(settings_url(provider, "dns/test/"))
    assert tested.status_code == 422
    text = visible_text(tested)
    assert "Test DNS failed." in text
    message = AuditEvent.objects.get(action="provider.dns_tested").changes["new"]
    assert message["ok"] is False
    assert message["message"] in text
    assert "TSIG" in message["message"]
    assert without_soa(knot.records()) == without_soa(INITIAL)


def test_a_dns_setting_missing_is_shown_next_to_the_backend(admin_client, provider, knot):
    before = db_state()
    response = admin_client.post(
        settings_url(provider, "dns/"), rfc2136_form(knot, key_name="", key_secret="")
    )
    assert response.status_code == 422
    assert visible_text(response).count("The DNS settings for 'rfc2136' lack 'key_name'.") == 1
    assert db_state() == before


def test_an_operator_may_not_see_or_change_provider_settings(ops_client, provider):
    before = db_state()
    assert ops_client.get(settings_url(provider)).status_code == 403
    response = ops_client.post(settings_url(provider, "sbc-domains/"), {"sbc_domains": "a.example"})
    assert response.status_code == 403
    assert db_state() == before


def test_another_providers_settings_are_not_found(admin_client):
    from tests.factories import ProviderFactory

    other = ProviderFactory()
    assert admin_client.get(settings_url(other)).status_code == 404
    assert admin_client.post(settings_url(other, "dns/test/")).status_code == 404


# --- a service's Direct Routing tab ------------------------------------------------------------


@pytest.fixture
def service(customer):
    return ServiceFactory(connected=True, short_name="Contoso-01", customer=customer)


def tab_url(service, tail=""):
    return f"/services/{service.pk}/direct-routing/{tail}"


def finish(run, *names):
    run.steps.filter(name__in=names).update(status="done", attempts=1)


def test_the_tab_shows_the_proposed_plan_and_every_step(ops_client, service):
    response = ops_client.get(tab_url(service))
    assert response.status_code == 200
    text = visible_text(response)
    assert "Sub-domain label contoso-01" in text
    assert "Sub-domains contoso-01.sbc.northwind.example" in text
    for name in (
        "Plan",
        "Preflight",
        "Domain",
        "DNS record",
        "Domain verified",
        "Activation user",
        "Teams activation",
        "Teams voice routing",
        "Numbers",
    ):
        assert f"{name} Pending" in text
    assert "Start provisioning" in text
    assert 'http-equiv="refresh"' not in response.content.decode()


def test_a_running_step_makes_the_page_refresh_itself(ops_client, service):
    run = provisioning_propose(service=service)
    run.steps.filter(name="plan").update(status="running", attempts=1)
    response = ops_client.get(tab_url(service))
    assert '<meta http-equiv="refresh" content="5">' in response.content.decode()
    assert "this page refreshes itself" in visible_text(response)


def test_the_label_is_edited_on_the_tab(ops_client, service):
    response = ops_client.post(tab_url(service, "label/"), {"subdomain_label": "contoso"})
    assert (response.status_code, response["Location"]) == (302, tab_url(service))
    assert Provisioning.objects.get(service=service).label == "contoso"


def test_a_label_dns_cannot_hold_is_shown_next_to_the_field(ops_client, service):
    provisioning_propose(service=service)
    before = db_state()
    response = ops_client.post(tab_url(service, "label/"), {"subdomain_label": "bad_label"})
    assert response.status_code == 422
    assert field_errors(response, "subdomain_label") == [
        "Enter a label of letters, digits and inner hyphens."
    ]
    too_long = ops_client.post(tab_url(service, "label/"), {"subdomain_label": "a" * 40})
    assert too_long.status_code == 422
    assert len(field_errors(too_long, "subdomain_label")) == 1
    assert "48" in field_errors(too_long, "subdomain_label")[0]
    assert db_state() == before


def test_a_label_another_service_uses_is_refused(ops_client, service, customer):
    provisioning_propose(
        service=ServiceFactory(connected=True, short_name="Taken", customer=customer)
    )
    provisioning_propose(service=service)
    before = db_state()
    response = ops_client.post(tab_url(service, "label/"), {"subdomain_label": "taken"})
    assert response.status_code == 422
    assert field_errors(response, "subdomain_label") == [
        "Another service of this provider already uses this label."
    ]
    assert db_state() == before


def test_the_label_form_is_gone_once_the_domain_step_ran(ops_client, service):
    run = provisioning_propose(service=service)
    finish(run, "plan", "preflight", "domain")
    response = ops_client.get(tab_url(service))
    assert 'name="subdomain_label"' not in response.content.decode()
    before = db_state()
    refused = ops_client.post(tab_url(service, "label/"), {"subdomain_label": "other"})
    assert refused.status_code == 409
    assert "the domain step has run" in visible_text(refused)
    assert db_state() == before


def test_a_failed_step_offers_retry_which_resumes(ops_client, service, monkeypatch):
    from onramp.directrouting import machine

    enqueued = []
    monkeypatch.setattr(machine, "enqueue_on_commit", lambda *args: enqueued.append(args))
    run = provisioning_propose(service=service)
    run.steps.filter(name="plan").update(
        status="failed", attempts=3, message="No SBC domain.", finished_at=run.created_at
    )
    run.status = "failed"
    run.save()
    page = ops_client.get(tab_url(service))
    assert "Retry plan" in visible_text(page)
    assert "No SBC domain." in visible_text(page)
    response = ops_client.post(tab_url(service, "start/"))
    assert response.status_code == 302
    plan = run.steps.get(name="plan")
    assert (plan.status, plan.attempts) == ("pending", 0)
    assert enqueued == [(machine.STEP_TASK, str(run.pk), "plan")]


def test_teams_activation_marked_done_after_the_activation_user(ops_client, service, monkeypatch):
    from onramp.directrouting import machine

    monkeypatch.setattr(machine, "enqueue_on_commit", lambda *args: None)
    run = provisioning_propose(service=service)
    before = db_state()
    early = ops_client.post(tab_url(service, "teams-activation/"))
    assert early.status_code == 409
    assert "once the activation user exists" in visible_text(early)
    assert db_state() == before

    finish(run, "plan", "preflight", "domain", "dns_record", "domain_verified", "activation_user")
    run.steps.filter(name="teams_activation").update(status="waiting", attempts=2)
    assert "Mark Teams activation done" in visible_text(ops_client.get(tab_url(service)))
    assert ops_client.post(tab_url(service, "teams-activation/")).status_code == 302
    run.refresh_from_db()
    assert run.teams_activation_confirmed_at is not None
    assert (
        AuditEvent.objects.filter(action="direct_routing.teams_activation_confirmed").count() == 1
    )


def test_the_script_is_downloaded_and_confirmed(ops_client, service, monkeypatch):
    from onramp.directrouting import machine

    monkeypatch.setattr(machine, "enqueue_on_commit", lambda *args: None)
    run = provisioning_propose(service=service)
    script = ops_client.get(tab_url(service, "teams-script/"))
    assert script.status_code == 200
    assert script["Content-Type"] == "text/plain; charset=utf-8"
    assert (
        script["Content-Disposition"] == 'attachment; filename="onramp-teams-voice-contoso-01.ps1"'
    )
    body = script.content.decode()
    assert f"$TenantId = '{service.connection.tenant_id}'" in body
    assert "$Gateways = @('contoso-01.sbc.northwind.example')" in body

    before = db_state()
    assert ops_client.post(tab_url(service, "teams-confirmation/")).status_code == 409
    assert db_state() == before
    finish(run, *[s.name for s in run.steps.all()][:7])
    run.steps.filter(name="teams_voice").update(status="waiting", attempts=1)
    assert "Confirm the script ran" in visible_text(ops_client.get(tab_url(service)))
    assert ops_client.post(tab_url(service, "teams-confirmation/")).status_code == 302
    run.refresh_from_db()
    assert run.teams_script_confirmed_at is not None


def test_a_monitor_sees_the_tab_but_may_not_act(client, monitor, service):
    sign_in(client, monitor)
    page = client.get(tab_url(service))
    assert page.status_code == 200
    assert "Start provisioning" not in visible_text(page)
    before = db_state()
    for tail in ("start/", "teams-activation/", "teams-confirmation/"):
        assert client.post(tab_url(service, tail)).status_code == 403
    assert client.post(tab_url(service, "label/"), {"subdomain_label": "x1"}).status_code == 403
    assert db_state() == before


def test_another_providers_service_is_not_found(ops_client):
    other = ServiceFactory(connected=True, short_name="Other-01")
    for tail in ("", "teams-script/"):
        assert ops_client.get(tab_url(other, tail)).status_code == 404
    assert ops_client.post(tab_url(other, "start/")).status_code == 404


def test_the_services_list_shows_the_provisioning_state(ops_client, service, customer):
    ServiceFactory(connected=True, short_name="Contoso-02", customer=customer)
    run = provisioning_propose(service=service)
    run.status = "waiting"
    run.save()
    text = visible_text(ops_client.get("/services/"))
    assert "Contoso-01" in text and "Waiting" in text


def test_the_operator_confirms_the_proposed_license(ops_client, service, monkeypatch):
    from onramp.directrouting import machine

    enqueued = []
    monkeypatch.setattr(machine, "enqueue_on_commit", lambda *args: enqueued.append(args))
    run = provisioning_propose(service=service)
    finish(run, "plan")
    candidates = [
        {"sku_part_number": "SPE_E3", "sku_id": "05e9a617-0261-4cee-bb44-138d3ef5d965", "free": 4},
        {
            "sku_part_number": "ENTERPRISEPACK",
            "sku_id": "6fd2c87f-b296-42f0-b197-1e91e994b900",
            "free": 1,
        },
    ]
    warning = "The tenant has 0 Teams Phone licenses for 25 licensed users: 25 more are needed."
    run.steps.filter(name="preflight").update(
        status="waiting",
        attempts=1,
        message="Confirm the license for the activation user: Onramp proposes SPE_E3 (4 free).",
        detail={"proposed": "SPE_E3", "candidates": candidates, "warnings": [warning]},
    )
    page = ops_client.get(tab_url(service))
    body = page.content.decode()
    assert '<option value="SPE_E3" selected>SPE_E3 (4 free)</option>' in body
    assert '<option value="ENTERPRISEPACK">ENTERPRISEPACK (1 free)</option>' in body
    assert warning in visible_text(page)
    assert "this page refreshes itself" not in visible_text(page)

    before = db_state()
    empty = ops_client.post(tab_url(service, "sku/"), {"activation_sku": " "})
    assert empty.status_code == 302
    assert db_state() == before
    assert "Enter a SKU part number" in visible_text(ops_client.get(tab_url(service)))

    assert (
        ops_client.post(tab_url(service, "sku/"), {"activation_sku": "ENTERPRISEPACK"}).status_code
        == 302
    )
    run.refresh_from_db()
    assert (run.activation_sku, run.activation_sku_confirmed) == ("ENTERPRISEPACK", True)
    assert enqueued == [(machine.STEP_TASK, str(run.pk), "preflight")]
    # Preflight runs again at once: the tab follows it without a manual reload.
    assert "this page refreshes itself" in visible_text(ops_client.get(tab_url(service)))
    assert AuditEvent.objects.get(action="direct_routing.sku_confirmed").changes == {
        "new": {"activation_sku": "ENTERPRISEPACK"}
    }


def test_numbers_are_entered_on_the_tab_with_errors_per_row(ops_client, service):
    run = provisioning_propose(service=service)
    before = db_state()
    refused = ops_client.post(
        tab_url(service, "numbers/"), {"numbers": "alice@contoso.example, 020 7123 4567"}
    )
    assert refused.status_code == 422
    assert field_errors(refused, "numbers") == [
        "Row 1: '020 7123 4567' is not an E.164 number (+, country code, number)."
    ]
    assert db_state() == before
    saved = ops_client.post(
        tab_url(service, "numbers/"),
        {"numbers": "alice@contoso.example, +442071234567\n\nbob@contoso.example,+442071234568"},
    )
    assert saved.status_code == 302
    run.refresh_from_db()
    assert run.numbers == [
        {"user_principal_name": "alice@contoso.example", "phone_number": "+442071234567"},
        {"user_principal_name": "bob@contoso.example", "phone_number": "+442071234568"},
    ]
    run.steps.filter(name="numbers").update(
        status="failed",
        attempts=1,
        detail={
            "rows": [
                {
                    "user_principal_name": "bob@contoso.example",
                    "phone_number": "+442071234568",
                    "status": "failed",
                    "message": "+442071234568 is already assigned to another user.",
                }
            ]
        },
    )
    text = visible_text(ops_client.get(tab_url(service)))
    assert (
        "bob@contoso.example +442071234568 Failed +442071234568 is already assigned to another "
        "user." in text
    )


def csv_upload(content: bytes, name: str = "numbers.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_numbers_come_from_a_csv_file_exported_by_a_spreadsheet(ops_client, service):
    """Excel's "CSV UTF-8": a byte-order mark, a header row, semicolons in some locales."""
    run = provisioning_propose(service=service)
    exported = (
        "\ufeffUser principal name;Phone number\r\n"
        "alice@contoso.example;+442071234567\r\n"
        '"bob@contoso.example";+442071234568\r\n'
    ).encode()
    saved = ops_client.post(
        tab_url(service, "numbers/"), {"numbers": "", "numbers_file": csv_upload(exported)}
    )
    assert saved.status_code == 302
    run.refresh_from_db()
    assert run.numbers == [
        {"user_principal_name": "alice@contoso.example", "phone_number": "+442071234567"},
        {"user_principal_name": "bob@contoso.example", "phone_number": "+442071234568"},
    ]
    assert AuditEvent.objects.get(action="direct_routing.numbers_set").changes == {
        "new": {"rows": 2}
    }


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (
            b"upn,number\nalice@contoso.example,020 7123 4567\n",
            "Row 1: '020 7123 4567' is not an E.164 number (+, country code, number).",
        ),
        (
            "alice@contoso.example,+442071234567\n".encode("utf-16"),
            'The file is not UTF-8 text: save it as "CSV UTF-8" and choose it again.',
        ),
        (b"a" * (64 * 1024 + 1), "The file is 65 KB; at most 64 KB."),
    ],
    ids=["bad-row", "not-utf8", "too-big"],
)
def test_a_bad_csv_file_is_named_next_to_it_and_nothing_is_kept(
    ops_client, service, content, error
):
    provisioning_propose(service=service)
    before = db_state()
    refused = ops_client.post(
        tab_url(service, "numbers/"),
        {"numbers": "bob@contoso.example, +442071234568", "numbers_file": csv_upload(content)},
    )
    assert refused.status_code == 422
    assert field_errors(refused, "numbers_file") == [error]
    assert field_errors(refused, "numbers") == []
    assert db_state() == before
