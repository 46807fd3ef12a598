from tests.invitations.conftest import invite  # noqa: F401 - shared fixture
