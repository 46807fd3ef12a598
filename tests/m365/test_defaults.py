"""Without configuration the client targets Microsoft's real hosts (checked without network)."""

from __future__ import annotations

import requests
from requests.adapters import BaseAdapter

from onramp.m365.config import MicrosoftConfig
from onramp.m365.validation import ValidationClient


class RecordingAdapter(BaseAdapter):
    """Stands in for the network (unreachable here): records the URL, refuses the connection."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def send(self, request, **kwargs):
        self.urls.append(request.url)
        raise requests.ConnectionError("no network in this test")

    def close(self) -> None:
        pass


def test_settings_default_to_microsofts_hosts(settings):
    config = MicrosoftConfig.from_settings()
    assert config.authority == "https://login.microsoftonline.com"
    assert config.graph == "https://graph.microsoft.com"
    assert config.timeout_seconds == 15
    assert config.required_permissions == (
        "Organization.Read.All",
        "Application.Read.All",
        "User.ReadWrite.All",
        "Domain.ReadWrite.All",
    )
    assert config.required_roles == ("Teams Administrator",)
    assert config.discovery_url("contoso.onmicrosoft.com") == (
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/"
        "openid-configuration"
    )
    assert config.graph_batch_url() == "https://graph.microsoft.com/v1.0/$batch"


def test_first_call_goes_to_login_microsoftonline_com():
    client = ValidationClient(MicrosoftConfig())
    adapter = RecordingAdapter()
    client.transport.session.mount("https://", adapter)
    result = client.validate(tenant="contoso.onmicrosoft.com", client_id="x", client_secret="y")
    assert adapter.urls == [
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/"
        "openid-configuration"
    ]
    assert result.reason == "microsoft_unavailable"


def test_session_ignores_requests_ca_bundle_from_the_environment(monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent.pem")
    client = ValidationClient(MicrosoftConfig())
    assert client.transport.session.trust_env is False
