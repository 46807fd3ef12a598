"""Environment parsing: documented defaults and one clear error per bad value."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from onramp.core.config import (
    database_from_url,
    email_settings_from_url,
    env_int,
    env_int_list,
    env_names,
    public_url_settings,
    required_env,
)


def test_smtp_url_with_credentials_and_starttls():
    assert email_settings_from_url("smtp://mailer:p%40ss@relay.example:587?starttls=1") == {
        "backend": "django.core.mail.backends.smtp.EmailBackend",
        "host": "relay.example",
        "port": 587,
        "user": "mailer",
        "password": "p@ss",
        "use_tls": True,
        "use_ssl": False,
    }


def test_smtps_url_defaults_to_port_465_and_ssl():
    config = email_settings_from_url("smtps://relay.example")
    assert (config["port"], config["use_ssl"], config["use_tls"]) == (465, True, False)


def test_console_url_prints_mail():
    assert email_settings_from_url("console://")["backend"] == (
        "django.core.mail.backends.console.EmailBackend"
    )


@pytest.mark.parametrize("url", ["http://relay", "smtp://", "relay.example:25"])
def test_bad_email_url_is_refused(url):
    with pytest.raises(ImproperlyConfigured, match=r"^ONRAMP_EMAIL_URL must look like"):
        email_settings_from_url(url)


def test_sqlite_gets_wal_busy_timeout_and_immediate_transactions(tmp_path):
    config = database_from_url(f"sqlite:///{tmp_path}/sub/db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["OPTIONS"] == {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    assert (tmp_path / "sub").is_dir()


def test_postgres_url():
    config = database_from_url("postgres://postgres@127.0.0.1:5432/onramp")
    assert (config["ENGINE"], config["NAME"], config["HOST"], config["PORT"]) == (
        "django.db.backends.postgresql",
        "onramp",
        "127.0.0.1",
        5432,
    )


def test_bad_database_url_is_refused():
    with pytest.raises(ImproperlyConfigured, match=r"^ONRAMP_DATABASE_URL is not a database URL"):
        database_from_url("nosuchdb://x")


def test_public_url_host_is_always_allowed():
    assert public_url_settings("https://onramp.example.net/", ["internal.lan"]) == {
        "allowed_hosts": ["onramp.example.net", "internal.lan"],
        "origin": "https://onramp.example.net",
        "https": True,
    }


def test_public_url_must_be_http_or_https():
    with pytest.raises(ImproperlyConfigured, match=r"^ONRAMP_PUBLIC_URL must be an http"):
        public_url_settings("ftp://x", [])


def test_required_and_numeric_values(monkeypatch):
    monkeypatch.delenv("ONRAMP_X", raising=False)
    with pytest.raises(ImproperlyConfigured, match=r"^ONRAMP_X is required: the thing$"):
        required_env("ONRAMP_X", "the thing")
    monkeypatch.setenv("ONRAMP_X", "abc")
    with pytest.raises(ImproperlyConfigured, match=r"^ONRAMP_X must be a whole number"):
        env_int("ONRAMP_X", 5, minimum=1)
    monkeypatch.setenv("ONRAMP_X", "0")
    with pytest.raises(ImproperlyConfigured, match=r"^ONRAMP_X must be at least 1, got 0$"):
        env_int("ONRAMP_X", 5, minimum=1)
    monkeypatch.setenv("ONRAMP_X", "7, 30,1")
    assert env_int_list("ONRAMP_X", "") == [30, 7, 1]
    monkeypatch.setenv("ONRAMP_X", "7,soon")
    with pytest.raises(ImproperlyConfigured, match=r"^ONRAMP_X must be comma-separated"):
        env_int_list("ONRAMP_X", "")


def test_documented_defaults(settings):
    assert settings.INVITATION_TTL_HOURS == 168
    assert settings.VALIDATION_SCHEDULE == "0 2 * * *"
    assert settings.VALIDATION_CONCURRENCY == 32
    assert settings.EXPIRY_ALERT_DAYS == [30, 14, 7, 1, 0]
    assert settings.WIZARD_RATE_LIMITS == "10/10m per link, 30/10m per client"
    assert settings.DEFAULT_FROM_EMAIL == "onramp@localhost"
    assert settings.PUBLIC_URL == "http://127.0.0.1:8000"
    assert settings.ALLOWED_HOSTS[0] == "127.0.0.1"  # the test runner appends "testserver"


def test_permission_and_role_names_must_be_known(monkeypatch):
    known = {"Organization.Read.All": "id-1", "Domain.ReadWrite.All": "id-2"}
    monkeypatch.setenv("ONRAMP_OPTIONAL_GRAPH_PERMISSIONS", "Domain.ReadWrite.All, Bogus.Read ")
    with pytest.raises(ImproperlyConfigured) as refused:
        env_names("ONRAMP_OPTIONAL_GRAPH_PERMISSIONS", "", known)
    assert str(refused.value) == (
        "ONRAMP_OPTIONAL_GRAPH_PERMISSIONS names what Onramp does not know: Bogus.Read "
        "(known: Domain.ReadWrite.All, Organization.Read.All)"
    )
    monkeypatch.setenv("ONRAMP_OPTIONAL_GRAPH_PERMISSIONS", "Domain.ReadWrite.All")
    assert env_names("ONRAMP_OPTIONAL_GRAPH_PERMISSIONS", "", known) == ["Domain.ReadWrite.All"]
    monkeypatch.delenv("ONRAMP_OPTIONAL_GRAPH_PERMISSIONS")
    assert env_names("ONRAMP_OPTIONAL_GRAPH_PERMISSIONS", "Organization.Read.All", known) == [
        "Organization.Read.All"
    ]
