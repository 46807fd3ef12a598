from __future__ import annotations

import pytest

from onramp.core.security import INLINE_STYLES, STRICT


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "policy"),
    [
        ("/login", STRICT),
        ("/healthz", STRICT),
        ("/invite/unknown-token", STRICT),
        ("/api/v1/docs", INLINE_STYLES),
    ],
)
def test_every_response_carries_a_content_security_policy(client, path, policy):
    response = client.get(path)
    assert response["Content-Security-Policy"] == policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("style-src")[0]
