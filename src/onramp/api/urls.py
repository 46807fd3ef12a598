"""The REST API (CONTRACT.md §4), mounted at /api/v1/."""

from django.urls import path  # noqa: F401


def api_urls() -> tuple[list, str, str]:
    return [], "api", "api"
