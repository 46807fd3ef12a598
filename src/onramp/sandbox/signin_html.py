"""HTML and redirects of the sign-in pages: page frame, forms, answers to the client, reply URLs."""

from __future__ import annotations

import html
from urllib.parse import urlencode, urlsplit

from onramp.sandbox.web import Response


def page(title: str, body: str, status: int = 200) -> Response:
    text = (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title></head><body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )
    headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
    return Response(status, text.encode(), headers)


def form(action: str, ctx: str, inner: str) -> str:
    return (
        f"<form method='post' action='{html.escape(action)}'>"
        f"<input type='hidden' name='ctx' value='{ctx}'>{inner}</form>"
    )


def redirect(uri: str, params: dict, mode: str | None = None) -> Response:
    """Answer the client with the parameters that have a value (no `state` when it sent none):
    in the query, or with `response_mode=form_post` as a self-submitting form, as Entra does."""
    params = {key: value for key, value in params.items() if value}
    if mode == "form_post":
        fields = "".join(
            f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(str(v))}'>"
            for k, v in params.items()
        )
        body = (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Working...</title>"
            "</head><body onload='document.forms[0].submit()'>"
            f"<form method='post' action='{html.escape(uri)}'>{fields}"
            "<noscript><button type='submit'>Continue</button></noscript></form></body></html>"
        )
        headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
        return Response(200, body.encode(), headers)
    glue = "&" if urlsplit(uri).query else "?"
    return Response(302, b"", {"Location": f"{uri}{glue}{urlencode(params)}"})


def matches(registered: list[str], uri: str) -> bool:
    """Exact match; for http://localhost the port is ignored, as Entra does for native apps."""
    parts = urlsplit(uri)
    for item in registered:
        if item == uri:
            return True
        known = urlsplit(item)
        if (
            parts.scheme == known.scheme == "http"
            and parts.hostname == known.hostname == ("localhost")
            and parts.path == known.path
        ):
            return True
    return False
