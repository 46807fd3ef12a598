"""Loaded as a pytest plugin (``-p tests.environment``) before pytest-django reads settings.

Gives the test run the configuration a deployment would get from its environment; an explicit
variable (e.g. ONRAMP_DATABASE_URL from ``make test``) wins.
"""

import os

from cryptography.fernet import Fernet

os.environ.setdefault("ONRAMP_SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 20)
os.environ.setdefault("ONRAMP_ENCRYPTION_KEYS", Fernet.generate_key().decode())
os.environ.setdefault("ONRAMP_EMAIL_URL", "smtp://127.0.0.1:1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
