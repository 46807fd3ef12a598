"""Parsing of the ``ONRAMP_*`` environment variables into Django settings values.

Kept apart from settings.py so the rules (and their error messages) are unit-testable.
Every bad value raises ImproperlyConfigured naming the variable, so start-up fails in one line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def required_env(name: str, what: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} is required: {what}")
    return value


def env_csv(name: str, default: str = "") -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int, *, minimum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def task_lease_seconds(timeout: int) -> int:
    """ONRAMP_TASK_LEASE_SECONDS: how long a fetched task stays hidden from other workers. It
    must exceed twice the task timeout, or a task that waits behind a running one while leased
    is handed out again and runs twice (docs/deploy.md)."""
    lease = env_int("ONRAMP_TASK_LEASE_SECONDS", 2 * timeout + 30, minimum=1)
    if lease <= 2 * timeout:
        raise ImproperlyConfigured(
            f"ONRAMP_TASK_LEASE_SECONDS must be more than twice ONRAMP_TASK_TIMEOUT_SECONDS "
            f"({2 * timeout}), got {lease}"
        )
    return lease


def env_int_list(name: str, default: str) -> list[int]:
    """A comma-separated list of non-negative whole numbers, largest first."""
    items = env_csv(name, default)
    if not all(item.isdigit() for item in items):
        raise ImproperlyConfigured(f"{name} must be comma-separated whole numbers, got {items!r}")
    return sorted({int(item) for item in items}, reverse=True)


def database_from_url(url: str) -> dict[str, Any]:
    """Django DATABASES entry for a ``sqlite:///path`` or ``postgres://`` URL.

    SQLite is shared by the web server and worker processes: WAL, a busy timeout and
    IMMEDIATE transactions make concurrent writers wait instead of failing.
    """
    import dj_database_url

    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"ONRAMP_DATABASE_URL is not a database URL: {exc}") from None
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Parameters travel separately (no client-side quoting of large JSON values).
        config.setdefault("OPTIONS", {})["server_side_binding"] = True
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        if config["NAME"] and config["NAME"] != ":memory:":
            Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
            # Tests get a file too (not Django's in-memory default), so that threads and
            # processes share it as they do in a deployment.
            config["TEST"] = {"NAME": f"{config['NAME']}.test-{os.getpid()}"}
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


def email_settings_from_url(url: str) -> dict[str, Any]:
    """Django email settings from ``smtp://``, ``smtps://`` (``?starttls=1``) or ``console://``."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {
            "backend": "django.core.mail.backends.console.EmailBackend",
            "host": "",
            "port": 0,
            "user": "",
            "password": "",
            "use_tls": False,
            "use_ssl": False,
        }
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ImproperlyConfigured(
            "ONRAMP_EMAIL_URL must look like smtp://[user:pass@]host:port, smtps://… or console://"
        )
    starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in ("1", "true", "yes")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise ImproperlyConfigured("ONRAMP_EMAIL_URL has an invalid port") from None
    return {
        "backend": "django.core.mail.backends.smtp.EmailBackend",
        "host": parts.hostname,
        "port": port,
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "use_tls": starttls,
        "use_ssl": parts.scheme == "smtps",
    }


def public_url_settings(public_url: str, extra_hosts: list[str]) -> dict[str, Any]:
    """Allowed hosts and origin from ONRAMP_PUBLIC_URL; links are never built from Host."""
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(
            f"ONRAMP_PUBLIC_URL must be an http(s):// URL, got {public_url!r}"
        )
    return {
        "allowed_hosts": [parts.hostname, *extra_hosts],
        "origin": f"{parts.scheme}://{parts.netloc}",
        "https": parts.scheme == "https",
    }


def sign_in_client(
    client_id: str | None, secret: str | None, certificate: str | None
) -> tuple[str | None, str | None, str | None]:
    """``ONRAMP_SIGN_IN_CLIENT_*`` (CONTRACT §3): unset, or a client ID with exactly one
    credential — a secret, or the path of a PEM file holding a certificate and its key."""
    client_id = (client_id or "").strip() or None
    secret, certificate = secret or None, certificate or None
    if client_id and bool(secret) == bool(certificate):
        raise ImproperlyConfigured(
            "ONRAMP_SIGN_IN_CLIENT_ID needs exactly one of ONRAMP_SIGN_IN_CLIENT_SECRET and "
            "ONRAMP_SIGN_IN_CLIENT_CERTIFICATE"
        )
    if certificate and not os.path.isfile(certificate):
        raise ImproperlyConfigured(
            f"ONRAMP_SIGN_IN_CLIENT_CERTIFICATE must be a PEM file, got {certificate!r}"
        )
    return client_id, secret, certificate
