import pytest

from onramp.accounts.models import Operator
from tests.conftest import PASSWORD


@pytest.fixture
def demo(provider):
    """The demo's own operator: the only one exempt from the second factor."""
    return Operator.objects.create_user(
        "demo@onramp.example",
        PASSWORD,
        role="admin",
        scope="provider",
        provider=provider,
        second_factor_exempt=True,
    )
