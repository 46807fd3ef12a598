"""The optional ``numbers`` step (SPEC "Direct Routing provisioning" 6): Direct Routing numbers
assigned to listed users through Graph's telephone number management, each row checked first
(the user exists, holds Teams Phone, the number is free or already theirs), then
``assignNumber`` and its long-running operation followed; a result per row."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from onramp.directrouting.outcome import Outcome, StepContext
from onramp.directrouting.tenant_steps import tenant_graph
from onramp.m365.provisioning import TenantGraph

E164 = re.compile(r"\+[1-9]\d{6,14}")
MAX_ROWS = 500
FOLLOW = timedelta(minutes=1)
FINISHED = {"succeeded", "failed", "skipped"}


def number_rows_errors(rows: list[dict[str, str]]) -> list[str]:
    """What is wrong with the requested rows, each message naming its row (1-based)."""
    problems = []
    if len(rows) > MAX_ROWS:
        problems.append(f"At most {MAX_ROWS} rows at once.")
    seen: dict[str, int] = {}
    for index, row in enumerate(rows, start=1):
        upn, number = row["user_principal_name"].strip(), row["phone_number"].strip()
        if "@" not in upn.strip("@"):
            problems.append(f"Row {index}: '{upn}' is not a user principal name.")
        if not E164.fullmatch(number):
            problems.append(
                f"Row {index}: '{number}' is not an E.164 number (+, country code, number)."
            )
        elif number in seen:
            problems.append(f"Row {index}: {number} is also in row {seen[number]}.")
        else:
            seen[number] = index
    return problems


def numbers(ctx: StepContext) -> Outcome:
    rows = ctx.run.numbers
    if not rows:
        return Outcome.skipped("No numbers to assign: this step is optional.")
    graph, _ = tenant_graph(ctx)
    following: dict[str, str] = dict(ctx.step.detail.get("operations") or {})
    results = [_row(graph, row, following) for row in rows]
    detail: dict[str, Any] = {"rows": results, "operations": following}
    pending = [r for r in results if r["status"] == "pending"]
    failed = [r for r in results if r["status"] == "failed"]
    if pending:
        return Outcome.waiting(
            f"Microsoft is assigning {len(pending)} of {len(rows)} numbers.", FOLLOW, **detail
        )
    if failed:
        return Outcome.fail(
            f"{len(failed)} of {len(rows)} numbers were not assigned; the first: "
            f"{failed[0]['message']} Correct the rows, then send the list again.",
            **detail,
        )
    plural = "" if len(rows) == 1 else "s"
    return Outcome.done(f"Assigned {len(rows)} number{plural}.", **detail)


def _row(graph: TenantGraph, row: dict[str, str], following: dict[str, str]) -> dict[str, str]:
    upn, number = row["user_principal_name"], row["phone_number"]

    def result(status: str, message: str) -> dict[str, str]:
        if status != "pending":
            following.pop(number, None)
        return {
            "user_principal_name": upn,
            "phone_number": number,
            "status": status,
            "message": message,
        }

    if number not in following:
        user = graph.user_get(upn)
        if user is None:
            return result("failed", f"There is no user {upn} in the customer's tenant.")
        holder = graph.number_holder(number)
        if holder == user["id"]:
            return result("assigned", f"{number} is assigned to {upn}.")
        if holder is not None:
            return result("failed", f"{number} is already assigned to another user.")
        if not graph.user_has_phone(user["id"]):
            return result(
                "failed", f"{upn} has no Teams Phone license, which a Direct Routing number needs."
            )
        following[number] = graph.number_assign(number, user["id"])
    status, detail = operation_result(graph, following[number])
    if status == "pending":
        return result("pending", f"Microsoft is assigning {number} to {upn}.")
    if status == "succeeded":
        return result("assigned", f"{number} is assigned to {upn}.")
    return result("failed", f"Microsoft did not assign {number} to {upn}: {detail}".strip())


def operation_result(graph: TenantGraph, location: str) -> tuple[str, str]:
    """A number's long-running operation: ``pending`` until it finished, then ``succeeded``
    or ``failed`` with Microsoft's reason."""
    operation = graph.operation(location)
    status = str(operation.get("status") or "")
    if status not in FINISHED:
        return "pending", ""
    if status == "succeeded":
        return status, ""
    detail = operation.get("statusDetail") or next(
        (n.get("statusDetail") for n in operation.get("numbers") or [] if n.get("statusDetail")),
        "",
    )
    return "failed", str(detail)
