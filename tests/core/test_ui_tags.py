"""The small template helpers of every list page."""

from __future__ import annotations

from onramp.core.templatetags.onramp_ui import email_breaks


def test_an_email_wraps_only_after_its_at_and_before_its_dots():
    assert email_breaks("it-admin@contoso.co.example") == (
        "it-admin@<wbr>contoso<wbr>.co<wbr>.example"
    )


def test_email_breaks_escapes_what_it_is_given():
    assert email_breaks('<b>"x"@a.example') == "&lt;b&gt;&quot;x&quot;@<wbr>a<wbr>.example"
    assert email_breaks("<no-at>") == "&lt;no-at&gt;"
