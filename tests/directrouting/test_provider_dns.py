"""The provider's DNS backend through the API: stored without testing, secrets sealed and never
shown back (API, audit, logs, stored rows), Test DNS against the real Knot server."""

from __future__ import annotations

import logging

import pytest

from onramp.audit.models import AuditEvent
from onramp.directrouting.models import DnsSettings
from tests.api.helpers import db_state, error
from tests.directrouting.conftest import KEY_NAME, KEY_SECRET, ZONE
from tests.security.scan import every_stored_value

pytestmark = pytest.mark.django_db


def rfc2136(knot, **overrides):
    return {
        "server": knot.host,
        "port": knot.port,
        "zone": ZONE,
        "key_name": KEY_NAME,
        "key_secret": KEY_SECRET,
    } | overrides


def test_rfc2136_stored_sealed_tested_and_never_shown(admin_api, provider, knot, caplog):
    caplog.set_level(logging.DEBUG)
    path = f"/providers/{provider.pk}/dns"
    assert admin_api.get(path).json() == {"backend": None, "settings": {}, "secrets_set": []}
    put = admin_api.put(path, {"backend": "rfc2136", "settings": rfc2136(knot)})
    shown = {
        "backend": "rfc2136",
        "settings": {"server": knot.host, "port": knot.port, "zone": ZONE, "key_name": KEY_NAME},
        "secrets_set": ["key_secret"],
    }
    assert (put.status_code, put.json()) == (200, shown)
    assert admin_api.get(path).json() == shown
    tested = admin_api.post(f"{path}/test")
    assert tested.status_code == 200
    assert tested.json()["ok"] is True
    assert tested.json()["message"].startswith(f"The DNS server {knot.host}:{knot.port} created")
    events = AuditEvent.objects.filter(action__startswith="provider.").order_by("created_at", "id")
    assert [e.action for e in events] == [
        "provider.dns_changed",
        "provider.dns_tested",
    ]
    everything = every_stored_value() + caplog.text + put.text + tested.text
    assert KEY_SECRET not in everything
    assert DnsSettings.objects.get().secrets_sealed  # sealed, not empty


def test_a_secret_left_out_is_kept_and_a_wrong_one_fails_the_test(admin_api, provider, knot):
    path = f"/providers/{provider.pk}/dns"
    admin_api.put(path, {"backend": "rfc2136", "settings": rfc2136(knot)})
    kept = admin_api.put(
        path, {"backend": "rfc2136", "settings": rfc2136(knot, key_secret="", port=knot.port)}
    )
    assert kept.json()["secrets_set"] == ["key_secret"]
    assert admin_api.post(f"{path}/test").json()["ok"] is True
    wrong = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZyE="
    admin_api.put(path, {"backend": "rfc2136", "settings": rfc2136(knot, key_secret=wrong)})
    tested = admin_api.post(f"{path}/test").json()
    assert tested["ok"] is False
    assert "BADSIG" in tested["message"] and wrong not in tested["message"]


def test_missing_or_unknown_settings_are_refused_on_settings(admin_api, provider, knot):
    path = f"/providers/{provider.pk}/dns"
    before = db_state()
    settings = {k: v for k, v in rfc2136(knot).items() if k != "key_secret"}
    assert error(admin_api.put(path, {"backend": "rfc2136", "settings": settings})) == (
        422,
        "invalid_input",
        {"settings": ["The DNS settings for 'rfc2136' lack 'key_secret'."]},
    )
    assert error(admin_api.put(path, {"backend": "nosuchdns", "settings": {"zone": ZONE}}))[2] == {
        "settings": [
            "'nosuchdns' is not a DNS hosting service Onramp can speak to: choose manual, "
            "rfc2136 or one of dns-lexicon's providers."
        ]
    }
    assert db_state() == before


def test_only_the_providers_admins_may(api, admin_api, provider, knot):
    path = f"/providers/{provider.pk}/dns"
    before = db_state()
    assert error(api.get(path))[:2] == (403, "forbidden")
    assert error(api.put(path, {"backend": "rfc2136", "settings": rfc2136(knot)}))[0] == 403
    assert error(api.post(f"{path}/test"))[0] == 403
    assert error(admin_api.post(f"{path}/test")) == (
        409,
        "invalid_state",
        None,
    )
    assert db_state() == before


def test_the_audit_writer_drops_nested_dns_secrets(provider):
    from onramp.audit.services import audit_record
    from onramp.core.actors import Actor

    event = audit_record(
        actor=Actor.system(),
        action="provider.dns_changed",
        target=provider,
        new={"settings": {"zone": ZONE, "key_secret": KEY_SECRET, "auth_token": "t0ken"}},
    )
    assert event.changes == {"new": {"settings": {"zone": ZONE}}}
