"""Who did something: an operator (in the browser or by API token), a customer admin (the
invitation link), or the system. Every write takes one; the audit trail records it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    """Who did it: an operator (in the browser or by API token), a customer admin, the system."""

    type: str
    id: str = ""
    label: str = ""
    operator: Any = None  # the Operator acting, for permission checks

    @classmethod
    def for_operator(cls, operator: Any, *, via_token: bool = False) -> Actor:
        return cls("token" if via_token else "operator", str(operator.pk), operator.email, operator)

    @classmethod
    def customer_admin(cls, label: str = "customer admin (invitation link)") -> Actor:
        return cls("admin", "", label)

    @classmethod
    def system(cls) -> Actor:
        return cls("system", "", "Onramp")
