"""Without configuration the client targets Microsoft's real hosts (checked without network)."""

from __future__ import annotations

import urllib3

from onramp.m365.config import MicrosoftConfig
from onramp.m365.credentials import ClientSecret
from onramp.m365.validation import ValidationClient


class RecordingPool:
    """Stands in for the network (unreachable here): records the URL, refuses the connection."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def request(self, method, url, **kwargs):
        self.urls.append(url)
        raise urllib3.exceptions.NewConnectionError(None, "no network in this test")


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
    adapter = RecordingPool()
    client.transport.pool = adapter
    result = client.validate(
        tenant="contoso.onmicrosoft.com", client_id="x", credential=ClientSecret("y")
    )
    assert adapter.urls == [
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/"
        "openid-configuration"
    ]
    assert result.reason == "microsoft_unavailable"


def test_requests_ca_bundle_from_the_environment_is_ignored(monkeypatch, sandbox):
    """This machine exports REQUESTS_CA_BUNDLE; only the configured bundle decides trust."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent.pem")
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent.pem")
    without_ca = ValidationClient(MicrosoftConfig(authority=sandbox.url, graph=sandbox.graph_url))
    result = without_ca.validate(
        tenant="contoso.example", client_id="x", credential=ClientSecret("y")
    )
    assert result.message == (
        "Microsoft could not be reached (the TLS certificate was not "
        "trusted). Nothing was changed; try again in a few minutes."
    )
    with_ca = ValidationClient(
        MicrosoftConfig(authority=sandbox.url, graph=sandbox.graph_url, ca_bundle=sandbox.ca_path)
    )
    result = with_ca.validate(tenant="contoso.example", client_id="x", credential=ClientSecret("y"))
    assert result.reason == "tenant_not_found"
