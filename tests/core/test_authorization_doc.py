"""The authorization table in docs/authorization.md is the one in code, row for row."""

from __future__ import annotations

import re
from pathlib import Path

from onramp.accounts.models import Role, Scope
from onramp.accounts.scoping import PERMISSIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "authorization.md"
ROW = re.compile(r"^\| `([a-z_.]+)` \| ([a-z, ]+) \| ([a-z, ]+) \|$")


def documented_table() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    rows = {}
    for line in DOC.read_text().splitlines():
        if match := ROW.match(line):
            action, roles, scopes = match.groups()
            rows[action] = (frozenset(roles.split(", ")), frozenset(scopes.split(", ")))
    return rows


def test_the_documented_table_is_the_code_table():
    in_code = {
        action: (frozenset(map(str, roles)), frozenset(map(str, scopes)))
        for action, (roles, scopes) in PERMISSIONS.items()
    }
    assert documented_table() == in_code
    assert len(in_code) == 16


def test_monitors_may_change_nothing():
    assert all(Role.MONITOR not in roles for roles, _ in PERMISSIONS.values())
    assert {str(scope) for _, scopes in PERMISSIONS.values() for scope in scopes} == set(
        Scope.values
    )
