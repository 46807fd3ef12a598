from __future__ import annotations

import pytest

from tests.factories import ServiceFactory
from tests.invitations.conftest import invite  # noqa: F401 - shared fixture


@pytest.fixture
def active_connection(customer):
    """An active service whose connection holds the secret "the-secret-value"."""
    return ServiceFactory(
        customer=customer, connected=True, connection__secret="the-secret-value"
    ).connection
