"""Request bodies are JSON objects sent as ``application/json``; anything else is a 400."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser

from onramp.api.errors import MalformedBody


def _reject_constant(name: str) -> Any:
    raise MalformedBody(f"{name} is not a JSON value.")


class JsonObjectParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        media_type = request.content_type or ""
        if media_type != "application/json" and not media_type.endswith("+json"):
            raise MalformedBody("Send the request body as JSON (Content-Type: application/json).")
        try:
            data = json.loads(request.body, parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError):
            raise MalformedBody("The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise MalformedBody("Send the request body as a JSON object.")
        return data
