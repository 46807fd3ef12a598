"""SPEC "Direct Routing provisioning", Plan: the sub-domain label derived from the short name."""

from __future__ import annotations

import pytest

from onramp.directrouting.labels import derive_label, label_errors

SBC = ["sbc.provider.example"]  # 20 characters: a label may have 48 - 21 = 27


@pytest.mark.parametrize(
    ("short_name", "label"),
    [
        ("Contoso-01", "contoso-01"),
        ("Contoso 01", "contoso-01"),
        ("A_B.C", "a-b-c"),
        ("--Fabrikam--UK--", "fabrikam-uk"),
        ("Litwäre-Voice", "xn--litwre-voice-jcb"),
        ("\uff26\uff41\uff42", "fab"),  # full-width letters: UTS #46 maps them
        ("ab--cd", "ab-cd"),
        ("café☕bar", "xn--caf-bar-dya"),  # the emoji is disallowed: a hyphen
    ],
)
def test_derived_from_the_short_name(short_name, label):
    assert derive_label(short_name, taken=set(), sbc_domains=SBC) == label


@pytest.mark.parametrize("short_name", ["", "---", "☕☕", "_"])
def test_nothing_left_gives_svc_n(short_name):
    assert derive_label(short_name, taken=set(), sbc_domains=SBC) == "svc-1"
    assert derive_label(short_name, taken={"svc-1"}, sbc_domains=SBC) == "svc-2"


def test_collisions_within_the_provider_get_a_number():
    assert derive_label("Contoso", taken={"contoso"}, sbc_domains=SBC) == "contoso-2"
    assert derive_label("Contoso", taken={"contoso", "contoso-2"}, sbc_domains=SBC) == "contoso-3"


def test_trimmed_so_the_longest_domain_is_at_most_48_characters():
    domains = ["sbc.provider.example", "sbc2.backup-carrier.provider.example"]  # 36: label 11
    label = derive_label("Northwind-Traders", taken=set(), sbc_domains=domains)
    assert label == "northwind-t"
    assert max(len(f"{label}.{d}") for d in domains) == 48
    taken = {"northwind-t"}
    assert derive_label("Northwind-Traders", taken=taken, sbc_domains=domains) == "northwind-2"


def test_an_idna_label_is_trimmed_before_encoding():
    label = derive_label("Äääääääääääääääääääää", taken=set(), sbc_domains=SBC)
    assert label.startswith("xn--") and len(label) <= 27
    assert label.encode().decode("idna")  # still a valid A-label


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("contoso", None),
        ("xn--litwre-voice-jcb", None),
        ("Litwäre", None),
        ("", "Enter a label of letters, digits and inner hyphens."),
        ("-contoso", "Enter a label of letters, digits and inner hyphens."),
        ("con toso", "Enter a label of letters, digits and inner hyphens."),
        ("ab--cd", "Only IDNA labels (xn--…) may have hyphens in positions 3 and 4."),
        ("xn--zz", "'xn--zz' is not a valid IDNA label."),
        (
            "a" * 28,
            f"The sub-domain {'a' * 28}.sbc.provider.example would have 49 characters; "
            "Microsoft allows at most 48.",
        ),
        ("taken", "Another service of this provider already uses this label."),
    ],
)
def test_label_rules(label, message):
    errors = label_errors(label, taken={"taken"}, sbc_domains=SBC)
    assert errors == ([message] if message else [])
