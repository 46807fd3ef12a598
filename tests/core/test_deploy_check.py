"""``onramp check --deploy`` (Django's deployment checklist and Onramp's own items), run as a
real process with the environment docs/deploy.md describes for production."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from cryptography.fernet import Fernet

CHECK = [sys.executable, "-m", "onramp.cli", "check", "--deploy", "--fail-level", "WARNING"]


def production_env(**overrides: str) -> dict[str, str]:
    """PostgreSQL, a TLS proxy in front, real keys, a relay and a sender of the provider's domain
    (the checklist reads settings only: nothing connects to the database or the relay)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONRAMP_", "DJANGO_"))}
    env.update(
        ONRAMP_DATABASE_URL="postgres://onramp:secret@db.northwind.example:5432/onramp",
        ONRAMP_SECRET_KEY=secrets.token_urlsafe(50),
        ONRAMP_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ONRAMP_PUBLIC_URL="https://onramp.northwind.example",
        ONRAMP_TRUSTED_PROXIES="1",
        ONRAMP_EMAIL_URL="smtp://relay.northwind.example:587?starttls=1",
        ONRAMP_EMAIL_FROM="onramp@northwind.example",
    )
    env.update(overrides)
    return env


def check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(CHECK, capture_output=True, text=True, timeout=120, env=env)


def warning_ids(result: subprocess.CompletedProcess) -> list[str]:
    return [
        line.split("(", 1)[1].split(")", 1)[0]
        for line in result.stderr.splitlines()
        if line.startswith("?: (")
    ]


def test_production_settings_pass_the_deployment_checklist():
    result = check(production_env())
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "System check identified no issues (0 silenced).\n"


def test_plain_http_public_url_explains_what_is_off():
    """The demo's http:// URL: a report of what is off, not a crash."""
    result = check(production_env(ONRAMP_PUBLIC_URL="http://127.0.0.1:8000"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert warning_ids(result) == [
        "onramp.W001",
        "security.W004",
        "security.W008",
        "security.W012",
        "security.W016",
    ]
    assert (
        "ONRAMP_PUBLIC_URL is http://127.0.0.1:8000: served over plain HTTP, so secure cookies, "
        "HSTS and the redirect to HTTPS are off." in result.stderr
    )
    assert "System check identified 5 issues (0 silenced)." in result.stderr


def test_https_without_a_trusted_proxy_is_reported():
    result = check(production_env(ONRAMP_TRUSTED_PROXIES="0"))
    assert result.returncode == 1
    assert warning_ids(result) == ["onramp.W002"]
    assert "HINT: Set ONRAMP_TRUSTED_PROXIES to the number of proxies in front" in result.stderr


def test_default_sender_is_reported():
    """CONTRACT §3: the deploy check warns while ONRAMP_EMAIL_FROM is the default."""
    env = production_env()
    del env["ONRAMP_EMAIL_FROM"]
    result = check(env)
    assert result.returncode == 1
    assert warning_ids(result) == ["onramp.W003"]
    assert "ONRAMP_EMAIL_FROM is the default onramp@localhost" in result.stderr


def test_debug_in_production_is_reported():
    result = check(production_env(ONRAMP_DEBUG="1"))
    assert result.returncode == 1
    assert warning_ids(result) == ["security.W018"]
