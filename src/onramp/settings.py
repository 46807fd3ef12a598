"""Django settings, read from the ``ONRAMP_*`` environment variables (CONTRACT.md §3).

One module for every environment: production, demo and tests differ only in their variables.
A missing required value stops start-up with a message naming the variable.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from onramp.core.config import (
    database_from_url,
    email_settings_from_url,
    env_csv,
    env_int,
    env_int_list,
    public_url_settings,
    required_env,
    sign_in_client,
    task_lease_seconds,
)
from onramp.core.ratelimit import wizard_rates

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = required_env("ONRAMP_SECRET_KEY", "the Django secret key (any long random string)")
ENCRYPTION_KEYS = env_csv("ONRAMP_ENCRYPTION_KEYS")
if not ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "ONRAMP_ENCRYPTION_KEYS is required: comma-separated Fernet keys "
        "(generate one with: onramp generate-key)"
    )

DEBUG = os.environ.get("ONRAMP_DEBUG", "") == "1"

PUBLIC_URL = os.environ.get("ONRAMP_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
_public = public_url_settings(PUBLIC_URL, env_csv("ONRAMP_ALLOWED_HOSTS"))
ALLOWED_HOSTS = _public["allowed_hosts"]
CSRF_TRUSTED_ORIGINS = [_public["origin"]]
SERVED_OVER_HTTPS = _public["https"]
SESSION_COOKIE_SECURE = SERVED_OVER_HTTPS
CSRF_COOKIE_SECURE = SERVED_OVER_HTTPS
SECURE_SSL_REDIRECT = SERVED_OVER_HTTPS
SECURE_HSTS_SECONDS = 31536000 if SERVED_OVER_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SERVED_OVER_HTTPS
SECURE_HSTS_PRELOAD = SERVED_OVER_HTTPS
TRUSTED_PROXIES = env_int("ONRAMP_TRUSTED_PROXIES", 0, minimum=0)
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ninja",
    "onramp.core",
    "onramp.m365",
    "onramp.connections",
    "onramp.tenancy",
    "onramp.accounts",
    "onramp.services",
    "onramp.invitations",
    "onramp.audit",
    "onramp.notifications",
    "onramp.health",
    "onramp.directrouting",
    "onramp.createdapp",
    "onramp.ops",
]

AUTH_USER_MODEL = "accounts.Operator"
AUTHENTICATION_BACKENDS = ["onramp.accounts.backends.OperatorBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "services:list"
LOGOUT_REDIRECT_URL = "login"
# Second factor (accounts.second_factor): wrong codes count in our own sign-in lock-out, so
# django-otp's per-device delays are off; a TOTP code is valid one 30 s step early or late.
OTP_TOTP_ISSUER = "Onramp"
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "onramp.core.request_context.RequestContextMiddleware",
    "onramp.core.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "onramp.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "onramp.urls"
WSGI_APPLICATION = "onramp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "onramp.accounts.context_processors.permissions",
                "onramp.sandbox.mailbox.demo_mailbox",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        os.environ.get("ONRAMP_DATABASE_URL", "sqlite:///./var/onramp.sqlite3")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = os.environ.get("ONRAMP_STATIC_ROOT") or None  # the app serves its own files
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

_email = email_settings_from_url(os.environ.get("ONRAMP_EMAIL_URL", "smtp://127.0.0.1:25"))
EMAIL_BACKEND = _email["backend"]
EMAIL_HOST = _email["host"]
EMAIL_PORT = _email["port"]
EMAIL_HOST_USER = _email["user"]
EMAIL_HOST_PASSWORD = _email["password"]
EMAIL_USE_TLS = _email["use_tls"]
EMAIL_USE_SSL = _email["use_ssl"]
EMAIL_TIMEOUT = 15
DEFAULT_FROM_EMAIL = os.environ.get("ONRAMP_EMAIL_FROM", "onramp@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

MICROSOFT_AUTHORITY = os.environ.get(
    "ONRAMP_MICROSOFT_AUTHORITY", "https://login.microsoftonline.com"
).rstrip("/")
MICROSOFT_GRAPH = os.environ.get("ONRAMP_MICROSOFT_GRAPH", "https://graph.microsoft.com").rstrip(
    "/"
)
MICROSOFT_CA_BUNDLE = os.environ.get("ONRAMP_MICROSOFT_CA_BUNDLE") or None
MICROSOFT_TIMEOUT_SECONDS = env_int("ONRAMP_MICROSOFT_TIMEOUT_SECONDS", 15, minimum=1)
for _name, _url in (
    ("ONRAMP_MICROSOFT_AUTHORITY", MICROSOFT_AUTHORITY),
    ("ONRAMP_MICROSOFT_GRAPH", MICROSOFT_GRAPH),
):
    if urlsplit(_url).scheme != "https":
        raise ImproperlyConfigured(f"{_name} must be an https:// URL, got {_url!r}")

INVITATION_TTL_HOURS = env_int("ONRAMP_INVITATION_TTL_HOURS", 168, minimum=1)
REQUIRED_GRAPH_PERMISSIONS = env_csv(
    "ONRAMP_REQUIRED_GRAPH_PERMISSIONS",
    "Organization.Read.All,Application.Read.All,User.ReadWrite.All,Domain.ReadWrite.All",
)
REQUIRED_DIRECTORY_ROLES = env_csv("ONRAMP_REQUIRED_DIRECTORY_ROLES", "Teams Administrator")
OPTIONAL_GRAPH_PERMISSIONS = env_csv(
    "ONRAMP_OPTIONAL_GRAPH_PERMISSIONS",
    "TeamsTelephoneNumber.ReadWrite.All,TeamsUserConfiguration.Read.All",
)
# The installation's multi-tenant app for the admin's delegated sign-in (CONTRACT §3): the
# wizard's sign-in methods are offered only when it is set. Its credential: a secret, or the
# path of a PEM file holding its certificate and private key (one of the two).
SIGN_IN_CLIENT_ID, SIGN_IN_CLIENT_SECRET, SIGN_IN_CLIENT_CERTIFICATE = sign_in_client(
    os.environ.get("ONRAMP_SIGN_IN_CLIENT_ID"),
    os.environ.get("ONRAMP_SIGN_IN_CLIENT_SECRET"),
    os.environ.get("ONRAMP_SIGN_IN_CLIENT_CERTIFICATE"),
)
WIZARD_RATE_LIMITS = os.environ.get(
    "ONRAMP_WIZARD_RATE_LIMITS", "10/10m per link, 30/10m per client"
)
wizard_rates(WIZARD_RATE_LIMITS)  # a malformed value stops start-up, not the first POST
VALIDATION_SCHEDULE = os.environ.get("ONRAMP_VALIDATION_SCHEDULE", "0 2 * * *")
VALIDATION_CONCURRENCY = env_int("ONRAMP_VALIDATION_CONCURRENCY", 32, minimum=1)
EXPIRY_ALERT_DAYS = env_int_list("ONRAMP_EXPIRY_ALERT_DAYS", "30,14,7,1,0")
DOMAIN_VERIFY_HOURS = env_int("ONRAMP_DOMAIN_VERIFY_HOURS", 24, minimum=1)

# Background work (django-q2, ORM broker on the default database; research/queues.md):
# queue_limit 1 so tasks are not leased before they start, retry > 2 x timeout + 30,
# bounded attempts, no catch-up storms after downtime. Tasks are idempotent and take ids.
TASK_TIMEOUT_SECONDS = env_int("ONRAMP_TASK_TIMEOUT_SECONDS", 120, minimum=1)
Q_CLUSTER = {
    "name": "onramp",
    "orm": "default",
    "workers": env_int("ONRAMP_WORKER_CONCURRENCY", 2, minimum=1),
    "queue_limit": 1,
    "timeout": TASK_TIMEOUT_SECONDS,
    "retry": task_lease_seconds(TASK_TIMEOUT_SECONDS),
    "max_attempts": 5,
    "ack_failures": False,
    "catch_up": False,
    "save_limit": 1000,
    "poll": 0.5,
    "label": "Tasks",
}
# Set by `onramp demo`: where its SMTP catch-all keeps mail for the /sandbox/mailbox page.
DEMO_MAILBOX_DIR = os.environ.get("ONRAMP_DEMO_MAILBOX_DIR") or None
OUTBOX_MAX_ATTEMPTS = env_int("ONRAMP_OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
OUTBOX_BACKOFF_SECONDS = env_int("ONRAMP_OUTBOX_BACKOFF_SECONDS", 30, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"mask_invitation_tokens": {"()": "onramp.core.logging.InvitationTokenFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_invitation_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("ONRAMP_LOG_LEVEL", "INFO")},
    "loggers": {"msal": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}
