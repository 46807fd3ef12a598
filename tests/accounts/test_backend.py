"""The session's operator: loaded with its scope object, and signed out once deactivated."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from onramp.accounts.models import Operator
from tests.signin import sign_in


def test_a_deactivated_operator_is_signed_out_on_the_next_request(client, operator):
    sign_in(client, operator)
    assert client.get("/invitations/").status_code == 200
    Operator.objects.filter(pk=operator.pk).update(is_active=False)
    response = client.get("/invitations/")
    assert response.status_code == 302
    assert response["Location"] == "/login?next=/invitations/"
    assert Operator.objects.get(pk=operator.pk).is_active is False


def test_the_header_shows_the_scope_without_a_query_of_its_own(client, operator, provider):
    sign_in(client, operator)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/account/")
    assert f"Operator · Provider: {provider.name}" in response.content.decode()
    sql = [query["sql"] for query in queries]
    assert [q for q in sql if 'FROM "tenancy_provider"' in q] == []
    operator_read = next(q for q in sql if 'FROM "accounts_operator"' in q)
    assert 'JOIN "tenancy_provider"' in operator_read
