"""Every short-name rule of SPEC.md step 2, with valid and invalid examples."""

from __future__ import annotations

import pytest

from onramp.core.short_names import short_name_errors, short_name_key


@pytest.mark.parametrize(
    "name",
    [
        "abc",
        "Contoso-01",
        "ÄÖÜ-gmbh",
        "a" * 15,
        "x_y+z@1",
        "日本語サービス",
        "Ünïcödé",
        "AUDIT1",
        "e\u0301e\u0301e\u0301",  # three letters once NFC-normalised (é é é), not six code points
        "#$%&'()",
        "ĲĳĲ",
    ],
)
def test_valid_names(name):
    assert short_name_errors(name) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ab", "Use 3 to 15 characters (this has 2)."),
        ("a" * 16, "Use 3 to 15 characters (this has 16)."),
        ("", "Use 3 to 15 characters (this has 0)."),
        ("con.toso", "Remove these characters: ."),
        ("a/b\\c", "Remove these characters: / \\"),
        ('a:b*c?d"e', 'Remove these characters: " * : ?'),
        ("a<b>c|d", "Remove these characters: < > |"),
        ("con toso", "Spaces and other whitespace are not allowed."),
        ("con\ttoso", "Spaces and other whitespace are not allowed."),
        ("con\u00a0toso", "Spaces and other whitespace are not allowed."),
        ("con\u2003toso", "Spaces and other whitespace are not allowed."),
        ("con\u200btoso", "Control and invisible characters are not allowed."),
        ("con\x07toso", "Control and invisible characters are not allowed."),
        ("con\u202etoso", "Control and invisible characters are not allowed."),
        ("audit", "'audit' is a reserved word."),
        ("AuDiT", "'AuDiT' is a reserved word."),
    ],
)
def test_invalid_names(name, message):
    assert message in short_name_errors(name)


def test_several_broken_rules_are_all_reported():
    assert short_name_errors("a.") == [
        "Use 3 to 15 characters (this has 2).",
        "Remove these characters: .",
    ]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme", "acme"),
        ("ÄÖÜ-gmbh", "äöü-GMBH"),
        ("Straße", "STRASSE"),
        ("e\u0301cole", "\u00e9cole"),
    ],
)
def test_names_that_collide(a, b):
    assert short_name_key(a) == short_name_key(b)


def test_different_names_do_not_collide():
    assert short_name_key("Acme1") != short_name_key("Acme2")
