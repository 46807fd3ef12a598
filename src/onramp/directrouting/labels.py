"""The SBC sub-domain label of a service (SPEC "Direct Routing provisioning", Plan): derived from
the short name, or typed by an operator, and checked by the same rules.

A service's sub-domains are ``<label>.<SBC domain>`` for each of its provider's SBC domains; the
longest of them must fit Entra ID's 48 characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable

import idna
from idna.idnadata import codepoint_classes
from idna.intranges import intranges_contain

MAX_DOMAIN = 48  # Entra ID's limit for a domain name
MAX_LABEL = 63  # DNS
_ASCII_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
SHAPE_RULE = "Enter a label of letters, digits and inner hyphens."
HYPHENS_RULE = "Only IDNA labels (xn--…) may have hyphens in positions 3 and 4."
TAKEN_RULE = "Another service of this provider already uses this label."


def label_limit(sbc_domains: Iterable[str]) -> int:
    """The longest label whose sub-domain of every SBC domain stays within 48 characters."""
    longest = max((len(domain) for domain in sbc_domains), default=0)
    return min(MAX_LABEL, MAX_DOMAIN - 1 - longest)


def derive_label(short_name: str, *, taken: Collection[str], sbc_domains: Iterable[str]) -> str:
    """NFC, lower case; what UTS #46 rejects and ASCII other than letters, digits and hyphens
    become ``-``; hyphens collapsed and trimmed; IDNA-encoded when non-ASCII letters remain;
    ``svc-<n>`` when nothing valid is left; trimmed to the 48-character limit; ``-2``, ``-3`` …
    while another service of the provider has it."""
    limit = label_limit(sbc_domains)
    text = _hyphenated(unicodedata.normalize("NFC", short_name).lower())
    base = text if _encoded(text, limit) else ""
    if not base:
        return _first_free("svc-{n}", taken, limit)
    for n in range(1, len(taken) + 2):
        suffix = "" if n == 1 else f"-{n}"
        candidate = _encoded(base, limit - len(suffix))
        if candidate and candidate + suffix not in taken:
            return candidate + suffix
    raise AssertionError("unreachable: one of len(taken) + 1 candidates is free")


def label_errors(label: str, *, taken: Collection[str], sbc_domains: Iterable[str]) -> list[str]:
    """What is wrong with a label an operator typed (already trimmed); [] when it may be used.
    A U-label (``litwäre``) is checked as its A-label."""
    label = unicodedata.normalize("NFC", label).lower()
    if not label.isascii():
        try:
            label = idna.encode(label, uts46=True).decode()
        except idna.IDNAError:
            return [SHAPE_RULE]
    if not _ASCII_LABEL.fullmatch(label):
        return [SHAPE_RULE]
    if label[2:4] == "--":
        if not label.startswith("xn--"):
            return [HYPHENS_RULE]
        try:
            idna.decode(label)
        except idna.IDNAError:
            return [f"'{label}' is not a valid IDNA label."]
    domains = list(sbc_domains)
    if domains and len(label) > label_limit(domains):
        longest = max(domains, key=len)
        return [
            f"The sub-domain {label}.{longest} would have {len(label) + 1 + len(longest)} "
            f"characters; Microsoft allows at most {MAX_DOMAIN}."
        ]
    if label in taken:
        return [TAKEN_RULE]
    return []


def ascii_label(label: str) -> str:
    """The A-label to store for a label ``label_errors`` accepted."""
    label = unicodedata.normalize("NFC", label.strip()).lower()
    return label if label.isascii() else idna.encode(label, uts46=True).decode()


def _hyphenated(text: str) -> str:
    """Each code point kept as UTS #46 maps it when the result is valid in a label (PVALID),
    else ``-``; hyphens collapsed and trimmed."""
    out = []
    for char in text:
        try:
            mapped = idna.uts46_remap(char, std3_rules=True, transitional=False)
        except idna.IDNAError:
            mapped = "-"
        out.append(mapped if mapped and all(map(_pvalid, mapped)) else "-")
    return re.sub(r"-+", "-", "".join(out)).strip("-")


def _pvalid(char: str) -> bool:
    return intranges_contain(ord(char), codepoint_classes["PVALID"])


def _encoded(text: str, limit: int) -> str:
    """``text`` as a label of at most ``limit`` characters (trimmed before encoding, so an
    A-label stays valid), or "" when nothing valid fits."""
    while text:
        label = _a_label(text)
        if label is None:
            return ""
        if len(label) <= limit:
            return label
        text = text[:-1].rstrip("-")
    return ""


def _a_label(text: str) -> str | None:
    if text.isascii():
        return text if _ASCII_LABEL.fullmatch(text) else None
    try:
        return idna.encode(text, uts46=False).decode()
    except idna.IDNAError:
        return None


def _first_free(pattern: str, taken: Collection[str], limit: int) -> str:
    n = 1
    while (label := pattern.format(n=n)) in taken:
        n += 1
    return label[:limit]


def subdomains(label: str, sbc_domains: Iterable[str]) -> list[str]:
    """A service's sub-domains: its label under each SBC domain of its provider."""
    return [f"{label}.{domain}" for domain in sbc_domains]
