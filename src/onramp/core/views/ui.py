"""What every operator page shares, so each view stays a parse → call → render.

Domain errors as HTTP answers (out of scope is 404, a role that may not act is 403, a state
that does not allow the action is 409), forms whose errors are tied to their inputs for
assistive technology, pagination and sortable columns. The permission flags (``can``) come from
accounts' context processor.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.forms.boundfield import BoundField
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from onramp.core.errors import Forbidden, InvalidInput, InvalidState, NotFound

PAGE_SIZE = 50
STAND_IN_ID = "00000000-0000-0000-0000-000000000000"
COUNT_BEYOND = 1000
MAX_PAGE = 100_000


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    section: str = "",
    title: str = "",
) -> HttpResponse:
    page = {
        "now": timezone.now(),
        "section": section,
        "title": title,
    }
    return render(request, template, {**page, **(context or {})}, status=status)


def error_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render_page(
        request, "onramp/error.html", {"title": title, "message": message}, status=status
    )


def operator_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in required; domain errors become the matching HTTP answer."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.detail) from None
        except Forbidden as error:
            return error_page(request, 403, "Not allowed", error.detail)
        except InvalidState as error:
            return error_page(request, 409, "This cannot be done now", error.detail)

    return login_required(wrapper)


# --- forms ------------------------------------------------------------------------------------


class AccessibleBoundField(BoundField):
    """Ties help text and errors to the input (aria-describedby, aria-invalid)."""

    def build_widget_attrs(self, attrs: dict[str, Any], widget: Any = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        described = []
        if self.help_text:
            described.append(f"{self.auto_id}-help")
        if self.errors:
            described.append(f"{self.auto_id}-error")
            attrs["aria-invalid"] = "true"
        if described:
            attrs["aria-describedby"] = " ".join(described)
        if getattr(self.field, "marked_required", False):
            attrs["aria-required"] = "true"
        return attrs


class PageForm(forms.Form):
    """Fields are parsed here; the rules live in the service functions, whose messages
    (``InvalidInput.errors``) are shown next to the fields they name."""

    bound_field_class = AccessibleBoundField
    required_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.required_fields:
            self.fields[name].marked_required = True  # type: ignore[attr-defined]

    def add_domain_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)

    def submit(self, save: Callable[[], Any]) -> Any:
        """Call ``save`` (a service write) once a posted form parses; returns its result, or
        None with the service's ``InvalidInput`` messages shown next to the fields."""
        if not self.is_bound or not self.is_valid():
            return None
        try:
            return save()
        except InvalidInput as error:
            self.add_domain_errors(error.errors)
            return None

    @property
    def status(self) -> int:
        """422 when a posted form is shown again (with its errors), else 200."""
        return 422 if self.is_bound else 200


def posted(request: HttpRequest) -> Any:
    """The form data of a POST (None on GET, so the form stays unbound)."""
    return request.POST if request.method == "POST" else None


# --- tables -----------------------------------------------------------------------------------


class BoundedPaginator(Paginator):
    """Counts at most ``COUNT_BEYOND`` rows past the requested page: counting 100,000 rows costs
    more than showing 50. ``more`` says rows remain uncounted (the pager says "more than")."""

    def __init__(self, object_list: Any, per_page: int, number: int) -> None:
        super().__init__(object_list, per_page)
        self.reach = number * per_page + COUNT_BEYOND
        self.more = False

    @functools.cached_property
    def count(self) -> int:
        counted = self.object_list[: self.reach + 1].count()
        self.more = counted > self.reach
        return min(counted, self.reach)


def paginate(request: HttpRequest, queryset: Any, per_page: int = PAGE_SIZE) -> Page:
    """One page of rows; a missing or malformed page number shows the nearest real page."""
    number = request.GET.get("page")
    try:
        reach = min(max(int(number), 1), MAX_PAGE)
    except (TypeError, ValueError):
        reach = 1
    return BoundedPaginator(queryset, per_page, reach).get_page(number)


def row_url(name: str) -> Callable[[Any], str]:
    """``reverse(name, args=[pk])`` for every row of a page at the cost of one reverse: a
    reverse per link was a fifth of the render time of a 50-row page."""
    pattern = reverse(name, args=[STAND_IN_ID])
    return lambda pk: pattern.replace(STAND_IN_ID, str(pk))


def sorting(
    request: HttpRequest, columns: dict[str, Iterable[str]], default: str
) -> tuple[str, list[str]]:
    """``?sort=name`` or ``?sort=-name`` among the given columns → (the key, the ordering)."""
    key = request.GET.get("sort", default)
    descending = key.startswith("-")
    column = key.lstrip("-")
    if column not in columns:
        key, descending, column = default, default.startswith("-"), default.lstrip("-")
    ordering = [f"-{field}" if descending else field for field in columns[column]]
    return key, ordering


def sort_headers(key: str, columns: Iterable[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """Header links by column: a click sorts by the column, a second click reverses it."""
    headers = {}
    for column, label in columns:
        current = key.lstrip("-") == column
        descending = key.startswith("-")
        headers[column] = {
            "label": label,
            "next": f"-{column}" if current and not descending else column,
            "aria_sort": ("descending" if descending else "ascending") if current else "",
        }
    return headers


def picked(request: HttpRequest, name: str, rows: Iterable[Any]) -> Any:
    """The row whose id is ``?<name>=`` among ``rows`` (those the operator sees), else None."""
    wanted = request.GET.get(name, "")
    return next((row for row in rows if str(row.pk) == wanted), None)


def choice(request: HttpRequest, name: str, allowed: Iterable[str]) -> str:
    """A filter value from the query string, or "" when absent or not one of ``allowed``."""
    value = request.GET.get(name, "")
    return value if value in set(allowed) else ""
