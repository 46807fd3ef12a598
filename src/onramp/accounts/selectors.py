"""Reads of operators and API tokens, always scoped to the caller.

An admin sees the operators whose own scope lies inside its scope (a provider admin: every
operator of its provider; a channel admin: its channel's and its customers'; a customer admin:
its customer's); tokens are only ever their own operator's.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from onramp.accounts.models import ApiToken, Operator, OperatorSetup, Scope
from onramp.core.lookup import get_or_not_found
from onramp.tenancy.selectors import customers_visible


def operators_visible(operator: Operator) -> QuerySet[Operator]:
    """With ``setup_pending`` (an unused set-up link) for each row's status."""
    unused = OperatorSetup.objects.filter(operator=OuterRef("pk"), used_at__isnull=True)
    operators = Operator.objects.select_related("provider", "channel", "customer").annotate(
        setup_pending=Exists(unused)
    )
    if operator.scope == Scope.SYSTEM:
        return operators
    if operator.scope == Scope.PROVIDER:
        return operators.filter(provider_id=operator.provider_id)
    in_customers = Q(scope=Scope.CUSTOMER, customer__in=customers_visible(operator).values("pk"))
    if operator.scope == Scope.CHANNEL:
        in_channel = Q(scope=Scope.CHANNEL, channel_id=operator.channel_id)
        return operators.filter(in_channel | in_customers)
    return operators.filter(in_customers)


def operator_get(operator: Operator, operator_id: object) -> Operator:
    return get_or_not_found(operators_visible(operator), operator_id, "operator")


def tokens_of(operator: Operator) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(operator=operator)


def token_get(operator: Operator, token_id: object) -> ApiToken:
    """Another operator's token is "not found", whoever asks."""
    return get_or_not_found(tokens_of(operator).select_related("operator"), token_id, "token")
