"""Where a secret could leak at rest: every stored value, for the scans to search."""

from __future__ import annotations

from django.apps import apps
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session


def every_stored_value() -> str:
    """Every column of every row of every table Django knows (ours, django-q's, sessions...)."""
    chunks = []
    for model in apps.get_models():
        for row in model.objects.all().values_list():
            chunks.append(" ".join(str(value) for value in row))
    for session in Session.objects.all():  # session data is encoded: decode it too
        chunks.append(str(SessionStore().decode(session.session_data)))
    return "\n".join(chunks)
