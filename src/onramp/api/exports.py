"""The OpenAPI description of a list's ``?format=csv`` answer (the CSV itself: core.csv_export)."""

from __future__ import annotations

from typing import Any


def csv_openapi(description: str) -> dict[str, Any]:
    """Documents the CSV variant of a list's 200 answer."""
    return {
        "responses": {
            200: {
                "description": description,
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    }
