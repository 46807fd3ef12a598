"""The created-app flow leaves no delegated token, authorization code, PKCE verifier or private
key in clear anywhere: database (sessions and task rows included), logs, pages, task arguments,
API responses."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from onramp.core.crypto import secret_box
from onramp.createdapp.models import AppCreation
from onramp.createdapp.services import STEP_TASK
from onramp.m365.signin import SignInClient
from onramp.services.onboarding import service_activate
from tests.api.helpers import Api, token_for
from tests.security.scan import every_stored_value

from .conftest import microsoft_sign_in
from .test_flow import _callback, _start

pytestmark = pytest.mark.django_db


def test_no_token_code_verifier_or_private_key_in_clear(
    client, link, tenant, admin_browser, run_steps, queued, operator, actor, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    tokens: list[str] = []
    finish = SignInClient.auth_code_finish

    def spy(self, *args, **kwargs):  # keeps the token Onramp received, to look for it
        signed = finish(self, *args, **kwargs)
        tokens.append(signed.access_token)
        return signed

    monkeypatch.setattr(SignInClient, "auth_code_finish", spy)
    pages = [client.get(f"{link.path}?method=created-app").content.decode()]
    auth_uri = _start(client, link)
    flow = json.loads(secret_box().open(AppCreation.objects.get().flow_sealed))["flow"]
    verifier = flow["code_verifier"]
    params = microsoft_sign_in(admin_browser, auth_uri, tenant.users["ga"])
    code = params["code"]
    response = _callback(client, params)
    page_url = response["Location"]
    pages.append(client.get(page_url).content.decode())
    client.post(page_url)
    pages.append(client.get(page_url).content.decode())
    mid_run = every_stored_value()  # the token is held, sealed, while the steps run
    creation = run_steps(AppCreation.objects.get())
    pages.append(client.get(page_url).content.decode())
    private_key = secret_box().open(creation.invitation.private_key_sealed)
    key_lines = [line for line in private_key.splitlines() if "PRIVATE KEY" not in line]

    api = Api(token_for(operator), operator)
    responses = [api.get(f"/invitations/{link.invitation.pk}").content.decode()]
    service_activate(actor=actor, invitation=creation.invitation)
    responses.append(api.get(f"/services/{link.service.pk}/m365").content.decode())
    other = Client()
    responses.append(other.get(page_url).content.decode())

    (token,) = tokens
    stored = mid_run + every_stored_value()
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    tasks = json.dumps(queued.history)
    assert {args[:2] for args in queued.history} == {(STEP_TASK, str(creation.pk))}  # ids only
    for secret in [token, code, verifier, *key_lines[1:-1]]:
        assert secret not in stored
        assert secret not in logged
        assert secret not in tasks
        assert [i for i, body in enumerate(pages + responses) if secret in body] == []
