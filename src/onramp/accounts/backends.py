"""Password sign-in as Django's ModelBackend, loading the operator with its scope object."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from onramp.accounts.models import Operator


class OperatorBackend(ModelBackend):
    """Every page's header shows the operator's scope (``scope_label``): joining it to the
    operator saves a query per request."""

    def get_user(self, user_id: object) -> Operator | None:
        scoped = Operator.objects.select_related("provider", "channel", "customer")
        try:
            operator = scoped.get(pk=user_id)
        except Operator.DoesNotExist:
            return None
        return operator if self.user_can_authenticate(operator) else None
