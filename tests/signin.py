"""The one way tests sign a Django test client in as an operator (so a second sign-in factor
changes one place)."""

from __future__ import annotations

from django.test import Client

from onramp.accounts.models import Operator


def sign_in(client: Client, operator: Operator) -> Client:
    client.force_login(operator)
    return client
