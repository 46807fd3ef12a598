"""The Operators pages: admins list, invite, change the role of and deactivate the operators
inside their own scope. The rules (admins only, which scopes an admin may grant, never acting
on itself) are checked by the writes in accounts.services.operators, which the API calls too;
a page here checks only who may see it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from onramp.accounts.operator_forms import OperatorInviteForm, OperatorRoleForm
from onramp.accounts.scoping import require
from onramp.accounts.selectors import operator_get, operators_visible
from onramp.accounts.services.operators import (
    operator_change,
    operator_deactivate,
    operator_invite,
)
from onramp.core.actors import Actor
from onramp.core.views.ui import operator_page, paginate, posted, render_page, sort_headers, sorting

OPERATOR_COLUMNS = {
    "email": ("email",),
    "role": ("role", "email"),
    "scope": ("scope", "email"),
    "created": ("created_at", "email"),
}
OPERATOR_HEADERS = [("email", "Email"), ("role", "Role"), ("scope", "Scope"), ("created", "Added")]
SECTION = "operators"


@operator_page
@require_GET
def operator_list(request: HttpRequest) -> HttpResponse:
    """Admins only: the operators inside the caller's scope, deactivated ones included."""
    operator = request.user
    require(operator, "operator.manage")
    sort, ordering = sorting(request, OPERATOR_COLUMNS, "email")
    context = {
        "page": paginate(request, operators_visible(operator).order_by(*ordering)),
        "headers": sort_headers(sort, OPERATOR_HEADERS),
    }
    return render_page(
        request, "accounts/operators.html", context, section=SECTION, title="Operators"
    )


@operator_page
@require_http_methods(["GET", "POST"])
def operator_invite_view(request: HttpRequest) -> HttpResponse:
    """A new operator gets an emailed set-up link (password and second factor)."""
    operator = request.user
    form = OperatorInviteForm(posted(request), admin=operator)
    if invited := form.submit(
        lambda: operator_invite(actor=Actor.for_operator(operator), **form.values())
    ):
        messages.success(
            request,
            f"Invitation sent to {invited.email}: the emailed link lets them set a password "
            "and a second factor within 72 hours.",
        )
        return redirect("operators:list")
    require(operator, "operator.manage")  # the form itself is for admins only
    return render_page(
        request,
        "accounts/operators_invite.html",
        {"form": form},
        status=form.status,
        section=SECTION,
    )


@operator_page
@require_http_methods(["GET", "POST"])
def operator_role_view(request: HttpRequest, operator_id: str) -> HttpResponse:
    operator = request.user
    target = operator_get(operator, operator_id)
    form = OperatorRoleForm(posted(request), initial={"role": target.role})
    if changed := form.submit(
        lambda: operator_change(
            actor=Actor.for_operator(operator), operator=target, role=form.cleaned_data["role"]
        )
    ):
        messages.success(request, f"{changed.email} is now {changed.get_role_display().lower()}.")
        return redirect("operators:list")
    require(operator, "operator.manage")  # the form itself is for admins only
    context = {"form": form, "target": target}
    return render_page(
        request, "accounts/operators_role.html", context, status=form.status, section=SECTION
    )


@operator_page
@require_http_methods(["GET", "POST"])
def operator_deactivate_view(request: HttpRequest, operator_id: str) -> HttpResponse:
    """Confirm, then deactivate: no more sign-in, API tokens revoked; the row stays for the
    audit trail. An admin cannot deactivate itself (403)."""
    operator = request.user
    target = operator_get(operator, operator_id)
    if request.method == "POST":
        operator_deactivate(actor=Actor.for_operator(operator), operator=target)
        messages.success(
            request, f"{target.email} was deactivated: no more sign-in, API tokens revoked."
        )
        return redirect("operators:list")
    require(operator, "operator.manage")  # the confirmation itself is for admins only
    return render_page(
        request, "accounts/operators_deactivate.html", {"target": target}, section=SECTION
    )
