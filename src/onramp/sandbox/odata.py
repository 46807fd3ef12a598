"""OData query options as Graph applies them to directory objects: $select, $top, $count."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from urllib.parse import urlencode

from onramp.sandbox.errors import GraphError

Query = dict[str, str]


def selected(query: Query, available: Iterable[str], type_name: str) -> list[str]:
    """The properties named by `$select` (case-insensitive, as in Graph); [] when absent."""
    wanted = [name.strip() for name in query.get("$select", "").split(",") if name.strip()]
    by_lower = {key.lower(): key for key in available}
    chosen = []
    for name in wanted:
        if name.lower() not in by_lower:
            raise GraphError(
                400,
                "Request_BadRequest",
                f"Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'.",
            )
        chosen.append(by_lower[name.lower()])
    return chosen


def select(entity: dict, query: Query, type_name: str) -> tuple[dict, str]:
    """Apply `$select`; return the entity and the context suffix naming the selection."""
    chosen = selected(query, entity, type_name)
    if not chosen:
        return entity, ""
    return {key: entity[key] for key in chosen}, f"({','.join(chosen)})"


def _offset(query: Query) -> int:
    token = query.get("$skiptoken")
    if token is None:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token + "==").decode().removeprefix("o:"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise GraphError(400, "Request_BadRequest", "Invalid $skiptoken value.") from None


def collection(
    items: list[dict],
    query: Query,
    headers: dict[str, str],
    url: str,
    context: str,
    fields: Iterable[str],
    type_name: str,
) -> dict:
    """A collection response: $select, then a page of $top with `@odata.nextLink`, `$count`."""
    chosen = selected(query, fields, type_name)
    if chosen:
        items = [{key: item[key] for key in chosen} for item in items]
    body: dict = {"@odata.context": context + (f"({','.join(chosen)})" if chosen else "")}
    count = query.get("$count", "").lower()
    if count not in ("", "true", "false"):
        raise GraphError(400, "Request_BadRequest", f"Invalid $count value '{count}'.")
    if count == "true":
        if headers.get("consistencylevel", "").lower() != "eventual":
            raise GraphError(400, "Request_BadRequest", "$count is not currently supported.")
        body["@odata.count"] = len(items)
    start = _offset(query)
    if "$top" in query:
        try:
            top = int(query["$top"])
        except ValueError:
            top = 0
        if not 1 <= top <= 999:
            raise GraphError(
                400,
                "Request_BadRequest",
                f"Invalid page size specified: '{query['$top']}'. Must be between 1 and 999 "
                "inclusive.",
            )
        if start + top < len(items):
            rest = {k: v for k, v in query.items() if k not in ("$skiptoken", "$count")}
            token = base64.urlsafe_b64encode(f"o:{start + top}".encode()).rstrip(b"=").decode()
            body["@odata.nextLink"] = f"{url}?{urlencode({**rest, '$skiptoken': token})}"
        items = items[start : start + top]
    else:
        items = items[start:]
    body["value"] = items
    return body
