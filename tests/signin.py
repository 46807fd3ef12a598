"""How a test signs an operator in: the one place that knows what signing in takes."""

from __future__ import annotations

from django.test import Client

from onramp.accounts.models import Operator


def sign_in(client: Client, operator: Operator) -> Client:
    """The client, signed in as ``operator`` with every factor the login asks for."""
    client.force_login(operator)
    return client
