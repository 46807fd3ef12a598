"""Reading Microsoft's answers: token claims, discovery documents, and the classification of a
refused or failed HTTP answer into a ``MicrosoftFailure`` (transient or an admin's to fix).

Kept apart from the client and the checks so both classify a status the same way.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from onramp.m365.errors import (
    CONSENT_DELAY_HINT,
    MicrosoftFailure,
    from_token_error,
    transient_failure,
)
from onramp.m365.transport import Response, header, parse_retry_after


def token_claims(token: str) -> dict[str, Any]:
    """The claims of an access token, read without verifying it: Microsoft asks clients to
    treat tokens as opaque, and we only read what the token says about the caller itself."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def tenant_from_discovery(text: str) -> str:
    document = json.loads(text)
    return urlsplit(document["token_endpoint"]).path.strip("/").split("/")[0].lower()


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _json_or_empty(response: Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def classify_discovery(response: Response, tenant: str, client_id: str) -> MicrosoftFailure:
    """A discovery document that did not come: answered like the token endpoint's errors."""
    return from_token_error(
        _json_or_empty(response),
        status=response.status_code,
        tenant=tenant,
        client_id=client_id,
        retry_after=parse_retry_after(header(response.headers, "Retry-After")),
    )


def classify_graph(response: Response) -> MicrosoftFailure:
    """A refused Graph request as a whole (the ``$batch`` itself, not one of its reads)."""
    retry_after = parse_retry_after(header(response.headers, "Retry-After"))
    if response.status_code == 429:
        return transient_failure("throttled", retry_after, "Microsoft Graph answered 429")
    if response.status_code >= 500:
        return transient_failure(
            "microsoft_unavailable", retry_after, f"Microsoft Graph answered {response.status_code}"
        )
    error = _json_or_empty(response).get("error") or {}
    return MicrosoftFailure(
        "microsoft_error",
        (
            f"Microsoft Graph refused the request with {response.status_code} "
            f"{error.get('code', '')}: {error.get('message', '')}".rstrip(": ")
        ),
    )


def graph_item(
    item: dict[str, Any] | None, permission: str, action: str
) -> tuple[dict[str, Any], MicrosoftFailure | None]:
    """The body of one ``$batch`` answer, or why it cannot be used."""
    if item is None:
        return {}, MicrosoftFailure("microsoft_error", "Microsoft Graph did not answer the read.")
    status = int(item.get("status", 0))
    body = item.get("body") or {}
    if status == 200:
        return body, None
    retry_after = parse_retry_after(header(item.get("headers") or {}, "Retry-After"))
    if status == 429:
        return body, transient_failure("throttled", retry_after, "Microsoft Graph answered 429")
    if status >= 500:
        return body, transient_failure(
            "microsoft_unavailable", retry_after, f"Microsoft Graph answered {status}"
        )
    if status == 403:
        return body, MicrosoftFailure(
            "missing_permissions",
            (
                f"Microsoft Graph refused to {action}: the application lacks {permission}. Add it "
                f"under API permissions and grant admin consent. {CONSENT_DELAY_HINT}"
            ),
        )
    error = body.get("error") or {}
    return body, MicrosoftFailure(
        "microsoft_error",
        (
            f"Microsoft Graph could not {action}: {status} {error.get('code', '')} "
            f"{error.get('message', '')}".strip()
        ),
    )
