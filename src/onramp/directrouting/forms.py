"""The Direct Routing pages' forms: parse only; the rules live in the service functions."""

from __future__ import annotations

import csv
from typing import Any

from django import forms

from onramp.core.views.ui import PageForm
from onramp.directrouting.dns import hosted_providers

TEXT = {"autocomplete": "off", "spellcheck": "false"}
CSV_MAX_BYTES = 64 * 1024  # 500 rows (the most at once) of long names fit


class SbcDomainsForm(PageForm):
    sbc_domains = forms.CharField(
        label="SBC domains",
        required=False,
        help_text="One domain per line, such as sbc.example.com: the provider's carrier trunks. "
        "The first is the main one; each service gets a sub-domain of every one.",
        widget=forms.Textarea(attrs={"rows": 3, **TEXT}),
    )

    def values(self) -> dict[str, Any]:
        return {"sbc_domains": self.cleaned_data["sbc_domains"].split()}


def backend_choices() -> list[tuple[str, str]]:
    hosted = [(name, f"Hosted DNS: {name}") for name in hosted_providers()]
    return [
        ("rfc2136", "RFC 2136 dynamic update (BIND, Knot, PowerDNS, Windows DNS)"),
        ("manual", "Manual: Onramp shows the record, you publish it"),
        *hosted,
    ]


class DnsForm(PageForm):
    """One form for every backend: the fields of the chosen one are sent as its settings
    (CONTRACT ``PUT /providers/{id}/dns``); a secret left empty keeps the stored one."""

    required_fields = ("backend", "zone")

    backend = forms.ChoiceField(label="DNS backend", choices=())
    zone = forms.CharField(
        label="Zone",
        required=False,
        help_text="The DNS zone that holds the SBC domains, such as sbc.example.com.",
        widget=forms.TextInput(attrs=TEXT),
    )
    server = forms.CharField(
        label="Server (RFC 2136)",
        required=False,
        help_text="The primary server that accepts dynamic updates: a host name or address.",
        widget=forms.TextInput(attrs=TEXT),
    )
    port = forms.IntegerField(label="Port (RFC 2136)", required=False, min_value=1, max_value=65535)
    key_name = forms.CharField(
        label="TSIG key name (RFC 2136)", required=False, widget=forms.TextInput(attrs=TEXT)
    )
    key_secret = forms.CharField(
        label="TSIG key secret (RFC 2136)",
        required=False,
        help_text="Base64, as in the server's key file. Never shown again; leave empty to keep "
        "the stored one.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    key_algorithm = forms.CharField(
        label="TSIG algorithm (RFC 2136)",
        required=False,
        help_text="hmac-sha256 unless the server's key says otherwise.",
        widget=forms.TextInput(attrs=TEXT),
    )
    resolver = forms.CharField(
        label="Resolver (manual)",
        required=False,
        help_text="HOST or HOST:PORT of the DNS server whose answer counts as published.",
        widget=forms.TextInput(attrs=TEXT),
    )
    options = forms.CharField(
        label="Options (hosted DNS)",
        required=False,
        help_text="One name=value per line, as dns-lexicon names them (auth_token=…). Secret "
        "options are never shown again; leave them out to keep the stored ones.",
        widget=forms.Textarea(attrs={"rows": 3, **TEXT}),
    )

    FIELDS = {
        "rfc2136": ("zone", "server", "port", "key_name", "key_secret", "key_algorithm"),
        "manual": ("zone", "resolver"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["backend"].choices = backend_choices()  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        backend = data["backend"]
        names = self.FIELDS.get(backend, ("zone",))
        settings = {name: data[name] for name in names if data[name] not in ("", None)}
        if backend not in self.FIELDS:
            for line in data["options"].splitlines():
                name, _, value = line.partition("=")
                if name.strip():
                    settings[name.strip()] = value.strip()
        return {"backend": backend, "settings": settings}


class LabelForm(PageForm):
    required_fields = ("subdomain_label",)

    subdomain_label = forms.CharField(
        label="Sub-domain label",
        required=False,
        help_text="Letters, digits and inner hyphens; the service's sub-domains are this label "
        "under each SBC domain.",
        widget=forms.TextInput(attrs=TEXT),
    )


class NumbersForm(PageForm):
    """Rows as a CSV holds them, ``user principal name, phone number``: typed or pasted into
    the box, or a CSV file exported from a spreadsheet (the file wins when both are sent)."""

    numbers = forms.CharField(
        label="Numbers to assign",
        required=False,
        help_text="One row per line: user principal name, E.164 phone number "
        "(alice@contoso.com, +442071234567). Replaces the list sent before.",
        widget=forms.Textarea(attrs={"rows": 4, **TEXT}),
    )
    numbers_file = forms.FileField(
        label="Or a CSV file",
        required=False,
        help_text="UTF-8, comma or semicolon separated, the same two columns; a header row is "
        f"skipped and rows are counted after it. At most {CSV_MAX_BYTES // 1024} KB.",
    )

    def clean_numbers_file(self) -> str | None:
        upload = self.cleaned_data.get("numbers_file")
        if not upload:
            return None
        if upload.size > CSV_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {-(-upload.size // 1024)} KB; at most {CSV_MAX_BYTES // 1024} KB."
            )
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                'The file is not UTF-8 text: save it as "CSV UTF-8" and choose it again.'
            ) from None

    def add_domain_errors(self, errors: dict[str, list[str]]) -> None:
        """The rows' problems next to the file when the rows came from it."""
        if self.cleaned_data.get("numbers_file") and "numbers" in errors:
            errors = {"numbers_file" if k == "numbers" else k: v for k, v in errors.items()}
        super().add_domain_errors(errors)

    def rows(self) -> list[dict[str, str]]:
        text = self.cleaned_data["numbers_file"] or self.cleaned_data["numbers"]
        lines = [line for line in text.splitlines() if line.strip()]
        delimiter = ";" if lines and ";" in lines[0] and "," not in lines[0] else ","
        rows = [[*cells, "", ""] for cells in csv.reader(lines, delimiter=delimiter)]
        if rows and "@" not in rows[0][0]:
            rows = rows[1:]  # a header: every user principal name has an @
        return [{"user_principal_name": upn, "phone_number": number} for upn, number, *_ in rows]
